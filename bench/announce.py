"""Board announcements: cached espeak-ng clips joined per call vs. one espeak-ng run per call.

* cold warm-up: an empty cache; every clip of the vocabulary synthesized (in parallel);
* warm start: a second announcer on the full cache (one ``espeak-ng --version`` run);
* per call: ``Announcer.call_wav`` on random tickets and desks — chime, clips, WAV header;
* baseline: the whole sentence spoken by one espeak-ng run per announcement, parsed and
  put after the same chime, as an announcer without a clip cache would have to.

Run:  .venv/bin/python -m bench.announce [--calls 500] [--baseline-calls 20]
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

from server.voice.announcer import AFTER_CHIME, Announcer
from server.voice.espeak import SPEECH_RATE
from server.voice.pcm import RATE, chime_pcm, read_wav, wav
from server.voice.words import VOCABULARY, call_words


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def random_call(rng: random.Random) -> tuple[str, int]:
    prefix = rng.choice(["A", "B", "C", "AB", "TP"])
    return f"{prefix}{rng.randint(1, 999):03d}", rng.randint(1, 12)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def whole_sentence(espeak: str, number: str, desk: int) -> bytes:
    """The baseline: one espeak-ng run for the whole sentence, after the chime."""
    text = " ".join(call_words(number, desk))
    cmd = [espeak, "-v", "vi", "-s", str(SPEECH_RATE), "--stdout", text]
    done = subprocess.run(cmd, capture_output=True, timeout=10, check=True)
    pause = bytes(int(AFTER_CHIME * RATE) * 2)
    return wav(chime_pcm() + pause + read_wav(done.stdout))


def seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--baseline-calls", type=int, default=20)
    args = parser.parse_args()
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
    rng = random.Random(1)
    chime_pcm()  # made once per process; not part of any figure below

    with tempfile.TemporaryDirectory() as tmp:
        cold = Announcer(Path(tmp), espeak=espeak)
        cold_s = timed(cold.warm_up)
        assert cold.voice_available, "espeak-ng could not make the clips"
        warm = Announcer(Path(tmp), espeak=espeak)
        warm_s = timed(warm.warm_up)
        for _ in range(20):  # let the allocator settle
            warm.call_wav(*random_call(rng))
        calls = [random_call(rng) for _ in range(args.calls)]
        joined = [timed(lambda c=c: warm.call_wav(*c)) * 1000 for c in calls]
        length = sum(seconds(warm.call_wav(*c)) for c in calls) / len(calls)

    base_calls = [random_call(rng) for _ in range(args.baseline_calls)]
    whole = [timed(lambda c=c: whole_sentence(espeak, *c)) * 1000 for c in base_calls]
    base_length = sum(seconds(whole_sentence(espeak, *c)) for c in base_calls) / len(base_calls)
    version = subprocess.run([espeak, "--version"], capture_output=True, text=True).stdout

    print(f"{version.split('  Data')[0].strip()}, voice vi, {SPEECH_RATE} words/min")
    print(f"cold warm-up ({len(VOCABULARY)} clips, empty cache): {cold_s * 1000:8.0f} ms")
    print(f"warm start (clips from the cache):        {warm_s * 1000:8.1f} ms")
    print(f"{'per announcement':44}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'audio s':>9}")
    for label, values, audio in (
        ("clips joined (Announcer.call_wav)", joined, length),
        ("one espeak-ng run per sentence (baseline)", whole, base_length),
    ):
        print(
            f"{label:44}{len(values):>5}{percentile(values, 50):9.2f}"
            f"{percentile(values, 95):9.2f}{audio:9.1f}"
        )
    ratio = percentile(whole, 50) / percentile(joined, 50)
    print(f"baseline ÷ joined at p50: {ratio:.0f}×")


if __name__ == "__main__":
    main()
