"""`Announcer`: one WAV per call — chime, pause, the spoken call — joined in memory from
the clips `EspeakClips` made once. Thread-safe: the board's audio requests and the
start-up warm-up share it, and each clip is made once by whichever thread needs it first.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server.voice.espeak import EspeakClips
from server.voice.pcm import chime_pcm, chime_wav, silence, wav
from server.voice.words import PHRASES, VOCABULARY, call_words

# Joining: gaps in seconds.
AFTER_CHIME = 0.35
WORD_GAP = 0.05
PHRASE_GAP = 0.22
TAIL = 0.25


class Announcer:
    """Builds announcement WAVs from cached espeak-ng clips; thread-safe.

    Call :meth:`warm_up` once at start (it loads or synthesizes every clip, in parallel);
    until then :meth:`call_wav` synthesizes the clips it needs on demand. Failures are
    logged once and never raised: the announcement falls back to the chime alone.
    """

    def __init__(self, cache_dir: Path, espeak: str = "espeak-ng", voice: str = "vi") -> None:
        self.maker = EspeakClips(cache_dir, espeak, voice)
        self._clips: dict[str, bytes] = {}
        self._missing: set[str] = set()  # neither cached nor synthesizable (engine broken)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._after_chime = silence(AFTER_CHIME)
        self._word_gap = silence(WORD_GAP)
        self._phrase_gap = silence(PHRASE_GAP)
        self._tail = silence(TAIL)

    # -------------------------------------------------------------- public

    @property
    def cache_dir(self) -> Path:
        return self.maker.cache_dir

    @property
    def voice_available(self) -> bool:
        """True once every clip of the vocabulary is loaded (after a good :meth:`warm_up`)."""
        return all(w in self._clips for w in VOCABULARY)

    def warm_up(self) -> bool:
        """Load every clip from the cache or synthesize it; returns :attr:`voice_available`."""
        chime_pcm()  # ~50 ms of Python, once per process: not on the first call
        todo = [w for w in VOCABULARY if w not in self._clips]
        if todo:
            with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
                list(pool.map(self._clip, todo))
        return self.voice_available

    def chime_wav(self) -> bytes:
        return chime_wav()

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
        parts = [chime_pcm(), self._after_chime, clips[0]]
        for prev, word, clip in zip(words, words[1:], clips[1:], strict=False):
            phrase = prev in PHRASES or word in PHRASES
            parts += [self._phrase_gap if phrase else self._word_gap, clip]
        parts.append(self._tail)
        return wav(b"".join(parts))

    def clip_path(self, text: str) -> Path | None:
        """Where ``text``'s clip is cached (`EspeakClips.clip_path`)."""
        return self.maker.clip_path(text)

    # -------------------------------------------------------------- clips

    def _clip(self, text: str) -> bytes | None:
        """The trimmed PCM of one clip: from memory, the cache, or espeak-ng (once)."""
        if text in self._missing:
            return None
        with self._lock_for(text):
            if text in self._clips:
                return self._clips[text]
            pcm = self.maker.make(text)
            if pcm is None:
                if self.maker.broken:
                    self._missing.add(text)
                return None
            self._clips[text] = pcm
            return pcm

    def _lock_for(self, text: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(text, threading.Lock())
