"""Board announcements: Vietnamese number readings and WAVs joined from espeak-ng clips.

The voice tests run the real espeak-ng (skipped locally without it, failing in CI).
"""

from __future__ import annotations

import io
import logging
import shutil
import stat
import statistics
import sys
import threading
import time
import unicodedata
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.voice.announcer import Announcer
from server.voice.pcm import RATE
from server.voice.words import (
    LETTER_NAMES,
    OPENING,
    TO_DESK,
    VOCABULARY,
    call_text,
    call_words,
    letter_name,
    number_words,
)
from tests.support.services import unavailable

READINGS = {
    0: "không",
    1: "một",
    5: "năm",
    9: "chín",
    10: "mười",
    11: "mười một",
    14: "mười bốn",
    15: "mười lăm",
    19: "mười chín",
    20: "hai mươi",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    99: "chín mươi chín",
    100: "một trăm",
    101: "một trăm linh một",
    104: "một trăm linh bốn",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt",
    999: "chín trăm chín mươi chín",
    1000: "một nghìn",
    1005: "một nghìn không trăm linh năm",
    1010: "một nghìn không trăm mười",
    1050: "một nghìn không trăm năm mươi",
    1100: "một nghìn một trăm",
    2024: "hai nghìn không trăm hai mươi tư",
    9999: "chín nghìn chín trăm chín mươi chín",
}


@pytest.mark.parametrize(("n", "reading"), READINGS.items())
def test_number_words(n: int, reading: str) -> None:
    assert number_words(n) == reading.split(" ")


@pytest.mark.parametrize("bad", [-1, 10000, True, 2.0, "5"])
def test_number_words_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError):
        number_words(bad)  # type: ignore[arg-type]


@given(st.integers(0, 9999))
def test_every_number_word_has_a_clip(n: int) -> None:
    assert set(number_words(n)) <= set(VOCABULARY)


def test_readings_are_distinct() -> None:
    """No two numbers sound alike (checked for all 10,000)."""
    readings = {tuple(number_words(n)) for n in range(10000)}
    assert len(readings) == 10000


@pytest.mark.parametrize(
    ("ch", "name"),
    [("A", "a"), ("B", "bê"), ("C", "xê"), ("D", "dê"), ("Đ", "đê"), ("G", "giê"),
     ("J", "gi"), ("L", "e-lờ"), ("Q", "quy"), ("S", "ét-xì"), ("W", "vê kép"),
     ("X", "ích-xì"), ("Y", "i dài"), ("Z", "dét")],
)  # fmt: skip
def test_letter_name(ch: str, name: str) -> None:
    assert letter_name(ch) == name


def test_every_ascii_letter_has_a_name_in_the_vocabulary() -> None:
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        assert letter_name(ch) in VOCABULARY
    with pytest.raises(ValueError):
        letter_name("a")


def test_vocabulary_is_nfc_and_unique() -> None:
    assert len(VOCABULARY) == len(set(VOCABULARY)) == 2 + len(LETTER_NAMES) + 18
    assert all(unicodedata.is_normalized("NFC", w) for w in VOCABULARY)


def test_call_words() -> None:
    assert call_words("A023", 3) == [OPENING, "a", "hai", "mươi", "ba", TO_DESK, "ba"]
    assert call_words("AB105", 12) == [
        OPENING, "a", "bê", "một", "trăm", "linh", "năm", TO_DESK, "mười", "hai",
    ]  # fmt: skip
    assert call_words("B500", 1)[1:4] == ["bê", "năm", "trăm"]
    assert call_words("C000", 2)[1:3] == ["xê", "không"]


def test_call_text() -> None:
    text = call_text("A023", 3)
    assert text == "Mời công dân có số A hai mươi ba đến quầy số ba"
    assert unicodedata.is_normalized("NFC", text)
    assert call_text("AB105", 12) == "Mời công dân có số AB một trăm linh năm đến quầy số mười hai"


@pytest.mark.parametrize(
    "number",
    ["", "023", "A", "a023", "ABC1", "A-23", "A 23", "A12345", "A023\n", "Đ023", "A٢٣", None],
)
def test_malformed_numbers(number: object) -> None:
    with pytest.raises(ValueError):
        call_words(number, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        call_text(number, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("desk", [0, -1, 10000, True])
def test_malformed_desk_numbers(desk: int) -> None:
    with pytest.raises(ValueError):
        call_words("A023", desk)


# ---------------------------------------------------------------------- audio


def read(data: bytes) -> tuple[wave._wave_params, bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as w:
        return w.getparams(), w.readframes(w.getnframes())


def test_chime() -> None:
    params, frames = read(Announcer(Path("unused")).chime_wav())
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    assert 1.0 <= params.nframes / RATE <= 1.5
    assert any(frames)


def test_no_espeak_and_empty_cache_gives_the_chime_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="server.voice")
    a = Announcer(tmp_path / "cache", espeak=str(tmp_path / "no-espeak-ng"))
    assert a.call_wav("A023", 3) == a.chime_wav()  # before warm-up
    assert a.warm_up() is False
    assert a.voice_available is False
    assert a.call_wav("AB105", 12) == a.chime_wav()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings


@pytest.fixture(scope="module")
def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        unavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    return path


@pytest.fixture(scope="module")
def warm(espeak: str, tmp_path_factory: pytest.TempPathFactory) -> Announcer:
    a = Announcer(tmp_path_factory.mktemp("voice"), espeak=espeak)
    assert a.warm_up(), "espeak-ng could not synthesize the Vietnamese clips"
    return a


def test_call_wav(warm: Announcer) -> None:
    chime_params, chime = read(warm.chime_wav())
    params, frames = read(warm.call_wav("A023", 3))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, RATE)
    assert 3 <= params.nframes / RATE <= 10
    assert params.nframes > chime_params.nframes + RATE  # at least a second of voice
    assert frames[: len(chime)] == chime
    assert frames[len(chime) :].strip(b"\0")  # and the voice is not silence
    assert warm.call_wav("A024", 3) != warm.call_wav("A023", 3)
    assert warm.call_wav("A023", 4) != warm.call_wav("A023", 3)


def test_cache_is_reused_without_espeak(warm: Announcer) -> None:
    again = Announcer(warm.cache_dir, espeak=str(warm.cache_dir / "no-espeak-ng"))
    assert again.warm_up()
    assert again.call_wav("AB105", 12) == warm.call_wav("AB105", 12)


def wrapper(
    tmp_path: Path, espeak: str, version: str | None = None, rate: int | None = None
) -> Path:
    """The real espeak-ng behind a script that logs each run's arguments; optionally it
    claims another version, or relabels the output's sample rate."""
    script = tmp_path / "espeak-wrapper"
    script.write_text(
        f"""#!{sys.executable}
import subprocess, sys
with open({str(tmp_path / "runs.log")!r}, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:] == ["--version"] and {version!r}:
    print("eSpeak NG text-to-speech: " + {version!r} + "  Data at: /x")
    sys.exit(0)
out = subprocess.run([{espeak!r}, *sys.argv[1:]], capture_output=True).stdout
if {rate!r} and "--stdout" in sys.argv:
    out = out[:24] + ({rate!r}).to_bytes(4, "little") + out[28:]
sys.stdout.buffer.write(out)
"""
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def runs(tmp_path: Path) -> list[str]:
    log = tmp_path / "runs.log"
    return log.read_text().splitlines() if log.exists() else []


def test_second_start_only_asks_the_version(warm: Announcer, espeak: str, tmp_path: Path) -> None:
    again = Announcer(warm.cache_dir, espeak=str(wrapper(tmp_path, espeak)))
    assert again.warm_up()
    assert runs(tmp_path) == ["--version"]


def test_new_espeak_version_regenerates(warm: Announcer, espeak: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(warm.cache_dir, cache)
    newer = Announcer(cache, espeak=str(wrapper(tmp_path, espeak, version="99.0")))
    assert newer.warm_up()
    assert len(runs(tmp_path)) == 1 + len(VOCABULARY)
    assert newer.clip_path(OPENING) != warm.clip_path(OPENING)
    assert (cache / "espeak-version").read_text() == "99.0"


def test_clips_in_another_format_are_a_failure(
    espeak: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a = Announcer(tmp_path / "cache", espeak=str(wrapper(tmp_path, espeak, rate=16000)))
    assert a.warm_up() is False
    assert a.call_wav("A023", 3) == a.chime_wav()
    assert "WAV parameters" in caplog.text


def test_concurrent_calls_before_warm_up(warm: Announcer, espeak: str, tmp_path: Path) -> None:
    """Clips are made lazily, each once, by whichever thread needs it first."""
    cold = Announcer(tmp_path / "cache", espeak=str(wrapper(tmp_path, espeak)))
    calls = [(f"A{n:03d}", n % 7 + 1) for n in range(12)]
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        results[i] = cold.call_wav(*calls[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, call in enumerate(calls):
        assert results[i] == warm.call_wav(*call)
    synth = [r for r in runs(tmp_path) if r != "--version"]
    assert len(synth) == len(set(synth))  # no clip synthesized twice
    assert runs(tmp_path).count("--version") == 1


def test_joining_is_fast(warm: Announcer) -> None:
    """The goal is under 5 ms a call once warm (bench/announce.py measures ~0.03 ms)."""
    times = []
    for n in range(1, 51):
        started = time.perf_counter()
        warm.call_wav(f"B{n:03d}", n % 9 + 1)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.005
