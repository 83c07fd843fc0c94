"""A real X display for Kivy windows: Xvfb on a free display number."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from tests.support.services import unavailable

WIDTH, HEIGHT = 1920, 1080


@dataclass
class Display:
    name: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_xvfb(width: int = WIDTH, height: int = HEIGHT) -> Display:
    if shutil.which("Xvfb") is None:
        unavailable("Xvfb is not installed (apt-get install xvfb libgl1-mesa-dri)")
    with tempfile.TemporaryFile() as fd_file:
        r, w = os.pipe()
        proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(w),
                "-screen",
                "0",
                f"{width}x{height}x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(w,),
            stdout=subprocess.DEVNULL,
            stderr=fd_file,
        )
        os.close(w)
        with os.fdopen(r) as f:
            number = f.readline().strip()
        if not number:
            proc.kill()
            fd_file.seek(0)
            raise RuntimeError(f"Xvfb did not start: {fd_file.read().decode(errors='replace')}")
    return Display(f":{number}", proc)
