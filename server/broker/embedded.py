"""The one-box broker: a Mosquitto the server starts, watches and stops itself.

The single-PC office must be as safe as the production set-up, so it runs the same
broker with the same generated configuration (`server.broker.mosquitto_config`):
per-device passwords and ACLs, one connection per account, a packet size limit,
persistence. The server writes the files into ``data_dir/broker`` (0700, files 0600),
with a fresh random password for its own account at every start, so the one-box site
needs no server secret.

Supervision: Mosquitto runs as a child process. If it exits on its own it is started
again (back-off 1 s … 30 s) and the restarts are reported in ``/api/health``. It dies
with the server, even on ``kill -9`` (Linux ``PR_SET_PDEATHSIG``), so a new server start
never finds the port held by an orphan. Its log lines go to the server's log.

Earlier versions embedded amqtt, a Python broker, in the server process. It fell to a
client-id takeover before authentication, Last Wills that skipped the ACL, retained
messages sent to clients that never subscribed, idle-socket and packet-size floods;
those live in amqtt's connection handling, out of reach of its plugin API, so it was
replaced rather than patched (docs/architecture.md, "The broker").
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import os
import resource
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from server.broker.mosquitto_config import MosquittoFiles, write_mosquitto
from server.broker.passwords import hash_device_password
from server.config import SiteConfig

log = logging.getLogger(__name__)
broker_log = logging.getLogger("motcua.mosquitto")

#: Where Debian and Ubuntu put the binary; /usr/sbin is not on a normal user's PATH.
SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")
RESTART_MAX_S = 30.0

INSTALL_HINT = (
    "không tìm thấy Mosquitto / Mosquitto is not installed: the one-box server runs its "
    "own Mosquitto broker. Install it with `sudo apt-get install mosquitto` "
    "(the package's own service is not needed: `sudo systemctl disable --now mosquitto`), "
    "or set server.broker.mosquitto to the binary's path"
)


class BrokerError(RuntimeError):
    """The one-box broker cannot run; the message says why and what to do."""


def find_mosquitto(configured: Path | None = None) -> Path:
    if configured is not None:
        if not os.access(configured, os.X_OK):
            raise BrokerError(f"server.broker.mosquitto: {configured} is not an executable")
        return configured
    found = shutil.which("mosquitto") or shutil.which(
        "mosquitto", path=os.pathsep.join(SEARCH_PATH)
    )
    if found is None:
        raise BrokerError(INSTALL_HINT)
    return Path(found)


def _child_setup() -> None:
    """In the child, before exec: die with the server, and allow many sockets (a flood of
    idle connections must not use up the open-file limit)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.setsid()  # a Ctrl-C in the terminal goes to the server, which stops the broker


def _level(text: str) -> int:
    """Mosquitto's lines at our levels: problems are warnings, connections are news,
    its periodic "Saving in-memory database" is noise."""
    if "rror" in text or "arning" in text:
        return logging.WARNING
    if text.startswith(("Saving in-memory", "Opening ", "Config loaded", "mosquitto version")):
        return logging.DEBUG
    return logging.INFO


def _run_as() -> str | None:
    """Started as root, Mosquitto would switch to the ``mosquitto`` user, who cannot
    read the server's private files: keep the server's own user."""
    return "root" if os.geteuid() == 0 else None


@dataclass
class EmbeddedBroker:
    config: SiteConfig
    bind: str
    port: int
    data_dir: Path = field(default_factory=lambda: Path("var"))
    server_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    mosquitto: Path | None = None

    def __post_init__(self) -> None:
        self.dir = self.data_dir / "broker"
        self.files: MosquittoFiles | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.last_exit: str | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stopping = threading.Event()
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 15.0) -> None:
        """Write the files, start Mosquitto and wait until it accepts connections."""
        binary = find_mosquitto(self.mosquitto)
        self.files = write_mosquitto(
            self.config,
            self.dir,
            bind=self.bind,
            port=self.port,
            server_hash=hash_device_password(self.server_password),
            run_as=_run_as(),
            private=True,
        )
        self._spawn(binary)
        try:
            self._wait_listening(timeout)
        except BrokerError:
            self._kill()
            raise
        self._watcher = threading.Thread(
            target=self._watch, args=(binary,), name="mosquitto-watch", daemon=True
        )
        self._watcher.start()
        tls = self.config.server.broker.tls
        if tls is None:
            log.info("Mosquitto (one-box broker) listening on %s:%s", self.bind, self.port)
        else:
            log.info("Mosquitto (one-box broker) listening with TLS on %s:%s", self.bind, tls.port)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if self._watcher is not None:
            self._watcher.join(timeout)

    def _kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)

    @property
    def running(self) -> bool:
        proc = self.proc
        return proc is not None and proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    # ------------------------------------------------------------------ internals

    def _spawn(self, binary: Path) -> None:
        assert self.files is not None
        proc = subprocess.Popen(
            [str(binary), "-c", str(self.files.conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_child_setup,  # only async-signal-safe calls, then exec
            close_fds=True,
        )
        with self._lock:
            self.proc = proc
            self._running = threading.Event()
        threading.Thread(
            target=self._forward_log, args=(proc,), name="mosquitto-log", daemon=True
        ).start()

    def _forward_log(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            # Mosquitto starts each line with a Unix time stamp: the logger has its own.
            _stamp, _, text = line.partition(": ")
            text = text or line
            self._tail.append(text)
            if text.startswith("mosquitto version") and text.endswith(" running"):
                self._running.set()
            broker_log.log(_level(text), "%s", text)

    def _wait_listening(self, timeout: float) -> None:
        """Until Mosquitto says it runs (its listeners are open), or it exits."""
        proc = self.proc
        assert proc is not None
        deadline = time.monotonic() + timeout
        while not self._running.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.1)  # let the log thread collect the reason
                if proc.poll() is None:
                    raise BrokerError(
                        f"Mosquitto did not open {self.bind}:{self.port} in {timeout:.0f} s"
                    )
                words = self.last_words()
                if "in use" in words:
                    words += (
                        f" — port {self.port} is taken, often by Debian's own mosquitto "
                        "service: `sudo systemctl disable --now mosquitto`, or set "
                        "server.broker.port"
                    )
                raise BrokerError(f"Mosquitto did not start on {self.bind}:{self.port}: {words}")

    def last_words(self) -> str:
        """The end of Mosquitto's log, for error messages."""
        lines = [t for t in self._tail if "rror" in t] or list(self._tail)[-3:]
        return " / ".join(lines[-3:]) or "(no output)"

    def _watch(self, binary: Path) -> None:
        """Restart Mosquitto if it exits while the server runs."""
        delay = 1.0
        while not self._stopping.is_set():
            proc = self.proc
            if proc is None:
                return
            code = proc.wait()
            if self._stopping.is_set():
                return
            self.last_exit = f"exit code {code}: {self.last_words()}"
            log.error("Mosquitto exited (%s); restarting in %.0f s", self.last_exit, delay)
            if self._stopping.wait(delay):
                return
            try:
                self._spawn(binary)
                self._wait_listening(10.0)
                self.restarts += 1
                log.warning("Mosquitto restarted (%d restart(s) so far)", self.restarts)
                delay = 1.0
            except (BrokerError, OSError) as e:
                log.error("Mosquitto restart failed: %s", e)
                self._kill()
                delay = min(delay * 2, RESTART_MAX_S)
