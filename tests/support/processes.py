"""Stopping a command the tests started as a subprocess, the way an operator would."""

from __future__ import annotations

import signal
import subprocess


def interrupt(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Ctrl-C ``proc`` and wait for it; killed if it does not stop within ``timeout``.
    Returns its exit code (negative when it had to be killed)."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
