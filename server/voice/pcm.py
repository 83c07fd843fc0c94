"""The sound itself: 16-bit mono PCM at espeak-ng's rate, WAV in and out, trimming a
clip's silence, silence of a given length, and the synthesized two-note chime.

Standard library only (``array``, ``wave``), apart from espeak-ng and the joining so that
the format is defined once: every clip, the chime and every announcement share it.
"""

from __future__ import annotations

import array
import functools
import io
import math
import sys
import wave

RATE = 22050  # espeak-ng's output rate; the chime is made at the same rate
CHANNELS = 1
SAMPLE_WIDTH = 2  # 16-bit

# Trimming: a sample counts as sound above about -44 dBFS; keep a little air around it.
_THRESHOLD = 200
_KEEP_BEFORE = int(0.010 * RATE)
_KEEP_AFTER = int(0.030 * RATE)
_FADE = int(0.004 * RATE)


def _to_samples(pcm: bytes) -> array.array[int]:
    samples = array.array("h", pcm)
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    return samples


def _to_pcm(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def wav(pcm: bytes) -> bytes:
    """``pcm`` as a WAV file in our format."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


def read_wav(data: bytes) -> bytes:
    """The PCM of a WAV in our format; ValueError for any other format.

    espeak-ng's ``--stdout`` header has a placeholder length; ``wave`` then reads to EOF.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            params = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype())
            pcm = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"not a WAV file: {e}") from None
    if params != (CHANNELS, SAMPLE_WIDTH, RATE, "NONE"):
        raise ValueError(f"WAV parameters {params}, expected {(CHANNELS, SAMPLE_WIDTH, RATE)}")
    return pcm[: len(pcm) - len(pcm) % SAMPLE_WIDTH]


def trim(pcm: bytes) -> bytes:
    """Cut leading and trailing silence, keeping a few ms, with a short fade against clicks."""
    s = _to_samples(pcm)
    loud = [i for i in range(len(s)) if abs(s[i]) > _THRESHOLD]
    if not loud:
        return b""
    clip = s[max(0, loud[0] - _KEEP_BEFORE) : loud[-1] + 1 + _KEEP_AFTER]
    fade = min(_FADE, len(clip) // 2)
    for i in range(fade):
        clip[i] = clip[i] * i // fade
        clip[-1 - i] = clip[-1 - i] * i // fade
    return _to_pcm(clip)


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * SAMPLE_WIDTH)


@functools.cache
def chime_pcm() -> bytes:
    """A two-note "ding-dong" (E5 then C5, a major third down), about 1.2 s.

    Each note: a sine with two harmonics, each decaying exponentially (higher ones faster),
    with a 6 ms attack; the whole ends with a short fade so it does not click.
    """
    n = int(1.2 * RATE)
    out = [0.0] * n
    partials = ((1, 1.0, 0.45), (2, 0.30, 0.22), (3, 0.10, 0.12))  # (×f, level, decay s)
    attack = int(0.006 * RATE)
    for start_s, freq in ((0.0, 659.25), (0.42, 523.25)):
        start = int(start_s * RATE)
        for i in range(n - start):
            t = i / RATE
            v = sum(
                level * math.exp(-t / decay) * math.sin(2 * math.pi * k * freq * t)
                for k, level, decay in partials
            )
            out[start + i] += v * min(1.0, i / attack)
    fade = int(0.05 * RATE)
    for i in range(fade):
        out[n - 1 - i] *= i / fade
    scale = 0.55 * 32767 / max(abs(v) for v in out)
    return _to_pcm(array.array("h", (round(v * scale) for v in out)))


@functools.cache
def chime_wav() -> bytes:
    """The chime alone, as a WAV (what is played without a voice)."""
    return wav(chime_pcm())
