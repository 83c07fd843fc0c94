"""An office's WAN link on loopback, which a test can cut and restore: socat forwarding
``127.0.0.1:{port}`` to the hub. `cut` kills socat and every connection it carries (as a
dead link would: both ends see their sockets die) and refuses new ones; `restore`
starts it again on the same port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

from tests.support.services import free_port, unavailable, wait_port


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        if shutil.which("socat") is None:
            unavailable("socat is not installed (apt-get install socat)")
        self.target = (target_host, target_port)
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self.restore()

    def restore(self) -> None:
        if self._proc is not None:
            return
        host, port = self.target
        self._proc = subprocess.Popen(
            [
                "socat",
                f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                f"TCP:{host}:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its children (one per connection) die with it
        )
        wait_port(self.port)

    def cut(self) -> None:
        if self._proc is None:
            return
        os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(10)
        self._proc = None

    def close(self) -> None:
        self.cut()
