"""Drive a real Kivy app in its own process, like a finger would.

The app runs unchanged in a child process on a real (Xvfb) display; this module's
``main`` adds a thread that reads JSON commands on stdin and answers on stdout:

* ``{"cmd": "tap", "tid": "service-tp"}`` — a touch down and up at the centre of the
  widget tagged ``tid`` (found on the current screen or an open popup), dispatched
  through the window like a real touch, so hit-testing and behaviours are real;
* ``{"cmd": "state"}`` — the current screen, the app's own state and every text shown;
* ``{"cmd": "shot", "path": …}`` — a screenshot of the window (read back from OpenGL);
* ``{"cmd": "targets"}`` — size in mm of every touch target on screen;
* ``{"cmd": "quit"}``.

The test side is :class:`RemoteApp`.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- app side


def _walk(widget: Any):
    yield widget
    for child in widget.children:
        yield from _walk(child)


def _visible_roots(app: Any) -> list[Any]:
    from kivy.core.window import Window
    from kivy.uix.modalview import ModalView

    popups = [w for w in Window.children if isinstance(w, ModalView)]
    return popups or [app.root]


def _on_screen(app: Any, widget: Any) -> bool:
    from kivy.uix.screenmanager import Screen

    w = widget
    while w is not None:
        if isinstance(w, Screen) and w.manager is not None and w.manager.current_screen is not w:
            return False
        if getattr(w, "opacity", 1) == 0:
            return False
        if w.parent is w:  # the window is its own parent
            break
        w = w.parent
    return True


def _find(app: Any, tid: str) -> Any:
    for root in _visible_roots(app):
        for w in _walk(root):
            if getattr(w, "tid", None) == tid and _on_screen(app, w):
                return w
    screen = getattr(getattr(app, "sm", None), "current", "?")
    raise LookupError(f"no widget {tid!r} on screen {screen!r}")


def _texts(app: Any) -> list[str]:
    out = []
    for root in _visible_roots(app):
        for w in _walk(root):
            text = getattr(w, "text", None)
            if isinstance(text, str) and text and _on_screen(app, w):
                out.append(text)
    return out


def _tap(app: Any, tid: str, hold: float = 0.05) -> None:
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    w = _find(app, tid)
    x, y = w.to_window(*w.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    Clock.schedule_once(lambda _dt: touch.touch_up(), hold)


def _touch_at(x: float, y: float, hold: float) -> None:
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    Clock.schedule_once(lambda _dt: touch.touch_up(), hold)


def _targets(app: Any) -> list[dict[str, Any]]:
    from kivy.metrics import Metrics
    from kivy.uix.behaviors import ButtonBehavior

    px_per_mm = Metrics.dpi / 25.4
    out = []
    for root in _visible_roots(app):
        for w in _walk(root):
            if isinstance(w, ButtonBehavior) and _on_screen(app, w):
                out.append(
                    {
                        "tid": getattr(w, "tid", ""),
                        "w_mm": w.width / px_per_mm,
                        "h_mm": w.height / px_per_mm,
                    }
                )
    return out


def _handle(app: Any, cmd: dict[str, Any]) -> dict[str, Any]:
    from kivy.core.window import Window

    kind = cmd["cmd"]
    if kind == "tap":
        _tap(app, cmd["tid"], cmd.get("hold", 0.05))
        return {"ok": True}
    if kind == "touch":
        _touch_at(cmd["x"], cmd["y"], cmd.get("hold", 0.05))
        return {"ok": True}
    if kind == "state":
        return {"ok": True, "texts": _texts(app), **app.describe()}
    if kind == "shot":
        made = Window.screenshot(name=str(Path(cmd["path"]).with_suffix("")) + ".png")
        shutil.move(made, cmd["path"])
        return {"ok": True, "path": cmd["path"]}
    if kind == "targets":
        return {"ok": True, "targets": _targets(app), "window": list(Window.size)}
    if kind == "close":  # what the window manager's close button does
        refused = Window.dispatch("on_request_close")
        return {"ok": True, "refused": bool(refused)}
    if kind == "go":  # jump to a screen (benchmarks: skip what is not being measured)
        app.go(cmd["screen"])
        return {"ok": True}
    if kind == "quit":
        app.quit()
        return {"ok": True}
    raise ValueError(f"unknown command {kind!r}")


def serve_commands(app: Any) -> None:
    """Read commands on stdin (own thread); run each on Kivy's thread; answer on stdout."""
    from kivy.clock import Clock

    out = sys.stdout

    def run(cmd: dict[str, Any]) -> None:
        def on_main(_dt: float) -> None:
            try:
                reply = _handle(app, cmd)
            except Exception as e:  # reported to the test, never kills the app
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            reply["id"] = cmd.get("id")
            out.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
            out.flush()

        Clock.schedule_once(on_main, 0)

    def reader() -> None:
        for line in sys.stdin:
            if line.strip():
                run(json.loads(line))

    threading.Thread(target=reader, name="remote-control", daemon=True).start()


# ----------------------------------------------------------------------------- test side


class RemoteApp:
    """A Kivy app in a child process, driven with :meth:`tap` and read with :meth:`state`."""

    def __init__(self, args: list[str], display: str, log_path: Path) -> None:
        env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.kivy_remote", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=ROOT,
        )
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def cmd(self, timeout: float = 15.0, **command: Any) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise RuntimeError(f"app exited ({self.proc.returncode}):\n{self.log()}")
        assert self.proc.stdin is not None
        self._next_id += 1
        command["id"] = self._next_id
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:  # answers to earlier commands that timed out are dropped
            try:
                reply = self._replies.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"no answer to {command} in {timeout} s:\n{self.log()}"
                ) from None
            if reply.get("id") == command["id"]:
                break
        if not reply.get("ok"):
            raise AssertionError(f"{command}: {reply.get('error')}")
        return reply

    def tap(self, tid: str, settle: float = 0.3) -> None:
        self.cmd(cmd="tap", tid=tid)
        time.sleep(settle)

    def tap_through(self, tid: str, tries: int = 4) -> dict[str, Any]:
        """Tap ``tid`` until the screen changes, as a citizen taps again when nothing
        happens: on a busy machine a tap can land inside the press guard of the one
        before (the app ignores it by design). The state on the next screen."""
        screen = self.state()["screen"]
        for _ in range(tries):
            if self.state()["screen"] != screen:
                break  # the previous tap did it, slowly
            try:
                self.cmd(cmd="tap", tid=tid)
                return self.wait_for(lambda s: s["screen"] != screen, timeout=4)
            except AssertionError:  # ignored, or the screen changed under the tap
                continue
        return self.wait_for(lambda s: s["screen"] != screen, what=f"{tid} to leave {screen}")

    def state(self) -> dict[str, Any]:
        return self.cmd(cmd="state")

    def wait_for(self, predicate: Any, timeout: float = 20.0, what: str = "") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = self.state()
            if predicate(state):
                return state
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what or predicate}: last state {state}")

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.cmd(cmd="state", timeout=2)
            except TimeoutError:
                continue
        raise TimeoutError(f"the app did not start:\n{self.log()}")

    def shot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.cmd(cmd="shot", path=str(path))
        return path

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.cmd(cmd="quit", timeout=5)
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(5)
        self._log.close()


class Starter:
    """Starts apps of one kind (``kiosk``/``pad``) on ``display``, each with its own log;
    ``stop_all`` at the end of the test."""

    def __init__(self, kind: str, display: str, log_dir: Path) -> None:
        self.kind, self.display, self.log_dir = kind, display, log_dir
        self.apps: list[RemoteApp] = []

    def start(self, config: Path) -> RemoteApp:
        log = self.log_dir / f"{self.kind}-{len(self.apps) + 1}.log"
        app = RemoteApp([self.kind, str(config)], self.display, log)
        self.apps.append(app)
        app.wait_ready()
        return app

    def stop_all(self) -> None:
        for app in self.apps:
            app.stop()


def main() -> None:
    """``python -m tests.support.kivy_remote kiosk CONFIG``: the app, remote-controlled."""
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    kind, config_path = sys.argv[1], sys.argv[2]
    from touch_ui import boot

    if kind == "kiosk":
        from kiosk.config import KioskConfig
        from touch_ui.device_config import load_device_config

        config = load_device_config(config_path, KioskConfig)
        boot.configure(config.screen, config.state_dir)
        from kiosk.app import KioskApp
        from kiosk.core import KioskCore

        app: Any = KioskApp(config, KioskCore(config))
    elif kind == "pad":
        from rating_pad.main import load

        pad_config = load(config_path)
        boot.configure(pad_config.screen, pad_config.state_dir)
        from rating_pad.app import PadApp
        from rating_pad.core import PadCore

        app = PadApp(pad_config, PadCore(pad_config))
    else:
        raise SystemExit(f"unknown app {kind!r}")
    serve_commands(app)
    app.run()


if __name__ == "__main__":
    main()
