"""espeak-ng as a maker of clips, with the clips cached on disk.

One quick ``--version`` run per process; a clip's cache file is named by a hash of what
makes it (text, voice, rate, espeak-ng version, clip format), so a new espeak-ng or a
new way of making clips never reuses old files. The version is recorded in the cache: when
espeak-ng cannot run, a complete cache still speaks. Apart from the `Announcer` because it
is the only part that runs a subprocess and writes files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import threading
from pathlib import Path

from server.voice.pcm import read_wav, trim, wav
from server.voice.words import spoken

log = logging.getLogger(__name__)

SPEECH_RATE = 150  # words per minute; espeak-ng's default 175 is hurried for a hall

#: Changes whenever the way clips are made changes, so old cache files are not reused.
_CLIP_FORMAT = "motcua-announce-1"


class EspeakClips:
    """Loads a clip from the cache or has espeak-ng say it (and caches it); thread-safe
    for different texts (the `Announcer` makes each text once). Failures are logged once
    and never raised: `broken` tells that only the cache can help any more."""

    def __init__(self, cache_dir: Path, espeak: str = "espeak-ng", voice: str = "vi") -> None:
        self.cache_dir = Path(cache_dir)
        self.espeak = espeak
        self.voice = voice
        self._version_lock = threading.Lock()
        self._version: str | None = None
        self._version_known = False
        #: espeak-ng missing or failed: only the cache can help.
        self.broken = False
        self._warned = False

    def make(self, text: str) -> bytes | None:
        """The trimmed PCM of ``text``'s clip: from the cache, else from espeak-ng (unless
        it is `broken`); None when neither can give it."""
        path = self.clip_path(text)
        pcm = self._load(path) if path is not None else None
        if pcm is None and path is not None and not self.broken:
            pcm = self._synthesize(text, path)
        return pcm

    def clip_path(self, text: str) -> Path | None:
        """Where ``text``'s clip is cached: named by a hash of what makes the clip (text,
        voice, rate, espeak-ng version, format). None while no espeak-ng version is known."""
        version = self._espeak_version()
        if version is None:
            return None
        key = "\n".join([_CLIP_FORMAT, self.voice, str(SPEECH_RATE), version, spoken(text)])
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.wav"

    def _load(self, path: Path) -> bytes | None:
        try:
            return read_wav(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            log.debug("ignoring unreadable clip %s: %s", path, e)
            return None

    def _synthesize(self, text: str, path: Path) -> bytes | None:
        cmd = [self.espeak, "-v", self.voice, "-s", str(SPEECH_RATE), "--stdout", spoken(text)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=10)
            if done.returncode != 0:
                err = done.stderr.decode(errors="replace").strip()
                raise ValueError(f"exit status {done.returncode}: {err}")
            pcm = trim(read_wav(done.stdout))
            if not pcm:
                raise ValueError("silent output")
        except (OSError, subprocess.SubprocessError, ValueError) as e:
            self.broken = True
            self._warn(f"espeak-ng could not say {text!r} ({e}); announcing with the chime only")
            return None
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(wav(pcm))
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
            self.broken = True
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
