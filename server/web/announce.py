"""Offline Vietnamese voice announcements for the waiting-room display board.

When a clerk calls a ticket the board plays a chime, then "Mời công dân có số A hai mươi
ba đến quầy số ba". No network and no online TTS: every word the sentence can contain (two
fixed phrases, the letter names, the number words — :data:`VOCABULARY`) is synthesized
once with espeak-ng's Vietnamese voice, trimmed of silence and cached on disk; a call only
joins cached clips in memory (well under a millisecond, no subprocess). If espeak-ng is
missing or fails, and the cache cannot stand in for it, the announcement is the chime alone.

Readings follow Northern usage: 105 "một trăm linh năm" (not "lẻ"), 1000 "một nghìn" (not
"ngàn"), 24 "hai mươi tư" ("tư" rather than "bốn" after "mươi"; "mười bốn" for 14).
"""

from __future__ import annotations

import array
import functools
import hashlib
import io
import logging
import math
import os
import re
import subprocess
import sys
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's output rate; the chime is made at the same rate
CHANNELS = 1
SAMPLE_WIDTH = 2  # 16-bit
SPEECH_RATE = 150  # words per minute; espeak-ng's default 175 is hurried for a hall

OPENING = "Mời công dân có số"
TO_DESK = "đến quầy số"
PHRASES = (OPENING, TO_DESK)

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
NUMBER_VOCABULARY = (*DIGITS, "mốt", "tư", "lăm", "mười", "mươi", "trăm", "linh", "nghìn")

LETTER_NAMES: dict[str, str] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích-xì",
    "Y": "i dài",
    "Z": "dét",
}

#: Every clip an announcement can use; a clip's key is its text.
VOCABULARY: tuple[str, ...] = tuple(
    dict.fromkeys((*PHRASES, *LETTER_NAMES.values(), *NUMBER_VOCABULARY))
)

#: What espeak-ng is given for a clip it misreads as spelled: "gi" alone comes out as a
#: bare buzz (phonemes ``z``), "di" is the same syllable /zi/ in Northern speech.
SPOKEN: dict[str, str] = {"gi": "di"}

_TICKET = re.compile(r"([A-Z]{1,2})([0-9]{1,4})")

# Joining: gaps in seconds.
AFTER_CHIME = 0.35
WORD_GAP = 0.05
PHRASE_GAP = 0.22
TAIL = 0.25

# Trimming: a sample counts as sound above about -44 dBFS; keep a little air around it.
_THRESHOLD = 200
_KEEP_BEFORE = int(0.010 * RATE)
_KEEP_AFTER = int(0.030 * RATE)
_FADE = int(0.004 * RATE)

#: Changes whenever the way clips are made changes, so old cache files are not reused.
_CLIP_FORMAT = "motcua-announce-1"


# ------------------------------------------------------------------ words


def number_words(n: int) -> list[str]:
    """How ``n`` (0..9999) is read aloud, one word per element."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 9999:
        raise ValueError(f"cannot read {n!r}: expected an integer 0..9999")
    if n == 0:
        return [DIGITS[0]]
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    words: list[str] = []
    if thousands:
        words += [DIGITS[thousands], "nghìn"]
    if hundreds or (thousands and below):
        words += [DIGITS[hundreds], "trăm"]  # 1005: "một nghìn không trăm linh năm"
    return words + _below_hundred(below, after_hundreds=bool(thousands or hundreds))


def _below_hundred(n: int, *, after_hundreds: bool) -> list[str]:
    tens, units = divmod(n, 10)
    if n == 0:
        return []
    if tens == 0:
        return ["linh", DIGITS[units]] if after_hundreds else [DIGITS[units]]
    if tens == 1:
        unit = {0: [], 5: ["lăm"]}.get(units, [DIGITS[units]])
        return ["mười", *unit]
    unit = {0: [], 1: ["mốt"], 4: ["tư"], 5: ["lăm"]}.get(units, [DIGITS[units]])
    return [DIGITS[tens], "mươi", *unit]


def letter_name(ch: str) -> str:
    """How a ticket's prefix letter is read aloud ("B" → "bê")."""
    try:
        return LETTER_NAMES[ch]
    except KeyError:
        raise ValueError(f"no Vietnamese name for letter {ch!r}") from None


def _parse_ticket(number: str) -> tuple[str, int]:
    m = _TICKET.fullmatch(number) if isinstance(number, str) else None
    if m is None:
        raise ValueError(f"not a ticket number: {number!r} (expected e.g. A023, AB105)")
    return m[1], int(m[2])


def _check_desk(desk_number: int) -> None:
    if isinstance(desk_number, bool) or not isinstance(desk_number, int) or desk_number < 1:
        raise ValueError(f"not a desk number: {desk_number!r}")


def call_words(number: str, desk_number: int) -> list[str]:
    """Clip keys of the whole sentence; leading zeros are not read (A023 → 23)."""
    letters, value = _parse_ticket(number)
    _check_desk(desk_number)
    return [
        OPENING,
        *(letter_name(ch) for ch in letters),
        *number_words(value),
        TO_DESK,
        *number_words(desk_number),
    ]


def call_text(number: str, desk_number: int) -> str:
    """The sentence as text (NFC), for the screen: the prefix as written, numbers as words."""
    letters, value = _parse_ticket(number)
    _check_desk(desk_number)
    return " ".join([OPENING, letters, *number_words(value), TO_DESK, *number_words(desk_number)])


# ------------------------------------------------------------------ audio helpers


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


def _wav(pcm: bytes) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


def _read_wav(data: bytes) -> bytes:
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


def _trim(pcm: bytes) -> bytes:
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


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * SAMPLE_WIDTH)


@functools.cache
def _chime_pcm() -> bytes:
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


# ------------------------------------------------------------------ announcer


class Announcer:
    """Builds announcement WAVs from cached espeak-ng clips; thread-safe.

    Call :meth:`warm_up` once at start (it loads or synthesizes every clip, in parallel);
    until then :meth:`call_wav` synthesizes the clips it needs on demand. Failures are
    logged once and never raised: the announcement falls back to the chime alone.
    """

    def __init__(self, cache_dir: Path, espeak: str = "espeak-ng", voice: str = "vi") -> None:
        self.cache_dir = Path(cache_dir)
        self.espeak = espeak
        self.voice = voice
        self._clips: dict[str, bytes] = {}
        self._missing: set[str] = set()  # neither cached nor synthesizable (engine broken)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._version_lock = threading.Lock()
        self._version: str | None = None
        self._version_known = False
        self._broken = False  # espeak-ng missing or failed: only the cache can help
        self._warned = False
        self._after_chime = _silence(AFTER_CHIME)
        self._word_gap = _silence(WORD_GAP)
        self._phrase_gap = _silence(PHRASE_GAP)
        self._tail = _silence(TAIL)

    # -------------------------------------------------------------- public

    @property
    def voice_available(self) -> bool:
        """True once every clip of the vocabulary is loaded (after a good :meth:`warm_up`)."""
        return all(w in self._clips for w in VOCABULARY)

    def warm_up(self) -> bool:
        """Load every clip from the cache or synthesize it; returns :attr:`voice_available`."""
        _chime_pcm()  # ~50 ms of Python, once per process: not on the first call
        todo = [w for w in VOCABULARY if w not in self._clips]
        if todo:
            with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
                list(pool.map(self._clip, todo))
        return self.voice_available

    def chime_wav(self) -> bytes:
        return _chime_wav()

    def call_wav(self, number: str, desk_number: int) -> bytes:
        """Chime, pause, the spoken call — or the chime alone without a voice.

        ValueError for a malformed ticket or desk number (a caller's mistake).
        """
        words = call_words(number, desk_number)
        clips = []
        for word in words:
            clip = self._clips.get(word)
            if clip is None:
                clip = self._clip(word)
                if clip is None:
                    return self.chime_wav()
            clips.append(clip)
        parts = [_chime_pcm(), self._after_chime, clips[0]]
        for prev, word, clip in zip(words, words[1:], clips[1:], strict=False):
            phrase = prev in PHRASES or word in PHRASES
            parts += [self._phrase_gap if phrase else self._word_gap, clip]
        parts.append(self._tail)
        return _wav(b"".join(parts))

    def clip_path(self, text: str) -> Path | None:
        """Where ``text``'s clip is cached: named by a hash of what makes the clip (text,
        voice, rate, espeak-ng version, format). None while no espeak-ng version is known."""
        version = self._espeak_version()
        if version is None:
            return None
        key = "\n".join([_CLIP_FORMAT, self.voice, str(SPEECH_RATE), version, _spoken(text)])
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.wav"

    # -------------------------------------------------------------- clips

    def _clip(self, text: str) -> bytes | None:
        """The trimmed PCM of one clip: from memory, the cache, or espeak-ng (once)."""
        if text in self._missing:
            return None
        with self._lock_for(text):
            if text in self._clips:
                return self._clips[text]
            path = self.clip_path(text)
            pcm = self._load(path) if path is not None else None
            if pcm is None and path is not None and not self._broken:
                pcm = self._synthesize(text, path)
            if pcm is None:
                if self._broken:
                    self._missing.add(text)
                return None
            self._clips[text] = pcm
            return pcm

    def _lock_for(self, text: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(text, threading.Lock())

    def _load(self, path: Path) -> bytes | None:
        try:
            return _read_wav(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            log.debug("ignoring unreadable clip %s: %s", path, e)
            return None

    def _synthesize(self, text: str, path: Path) -> bytes | None:
        cmd = [self.espeak, "-v", self.voice, "-s", str(SPEECH_RATE), "--stdout", _spoken(text)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=10)
            if done.returncode != 0:
                err = done.stderr.decode(errors="replace").strip()
                raise ValueError(f"exit status {done.returncode}: {err}")
            pcm = _trim(_read_wav(done.stdout))
            if not pcm:
                raise ValueError("silent output")
        except (OSError, subprocess.SubprocessError, ValueError) as e:
            self._broken = True
            self._warn(f"espeak-ng could not say {text!r} ({e}); announcing with the chime only")
            return None
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(_wav(pcm))
            os.replace(tmp, path)
        except OSError as e:
            self._warn(f"cannot cache voice clips in {self.cache_dir}: {e}")
        return pcm

    def _espeak_version(self) -> str | None:
        """espeak-ng's version (one quick ``--version`` run), recorded in the cache; when
        espeak-ng cannot run, the recorded one, so a complete cache still speaks."""
        with self._version_lock:
            if not self._version_known:
                self._version = self._ask_version()
                self._version_known = True
            return self._version

    def _ask_version(self) -> str | None:
        record = self.cache_dir / "espeak-version"
        try:
            done = subprocess.run(
                [self.espeak, "--version"], capture_output=True, text=True, timeout=10
            )
            m = re.search(r"text-to-speech:\s*(\S+)", done.stdout)
            if done.returncode != 0 or m is None:
                raise ValueError(f"unexpected --version output {done.stdout.strip()!r}")
        except (OSError, subprocess.SubprocessError, ValueError) as e:
            self._broken = True
            try:
                recorded = record.read_text(encoding="utf-8").strip() or None
            except OSError:
                recorded = None
            then = "using the cached clips" if recorded else "announcing with the chime only"
            self._warn(f"espeak-ng ({self.espeak}) not usable: {e}; {then}")
            return recorded
        try:
            if not record.exists() or record.read_text(encoding="utf-8") != m[1]:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                record.write_text(m[1], encoding="utf-8")
        except OSError as e:
            self._warn(f"cannot cache voice clips in {self.cache_dir}: {e}")
        return m[1]

    def _warn(self, message: str) -> None:
        """Log the first failure as a warning; later ones (usually the same) at debug."""
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(level, message)


def _spoken(text: str) -> str:
    return SPOKEN.get(text, text)


@functools.cache
def _chime_wav() -> bytes:
    return _wav(_chime_pcm())
