"""Drive a real Kivy app in its own process, like a finger would.

The app runs unchanged in a child process on a real (Xvfb) display; this module's
``main`` adds a thread that reads JSON commands on stdin and answers on stdout:

* ``{"cmd": "tap", "tid": "service-tp"}`` — a touch down and up at the centre of the
  widget tagged ``tid`` (found on the current screen or an open popup), dispatched
  through the window like a real touch, so hit-testing and behaviours are real; the
  answer comes once the touch is up, so what the press does synchronously is done;
* ``{"cmd": "touch", "x": …, "y": …, "hold": …}`` — the same at a point of the window;
* ``{"cmd": "state"}`` — the current screen, the app's own state, every text shown, the
  tagged widgets shown (``tids``) and the toggles ticked (``toggled``);
* ``{"cmd": "shot", "path": …}`` — a screenshot of the window (read back from OpenGL);
* ``{"cmd": "targets"}`` — size in mm of every touch target on screen;
* ``{"cmd": "quit"}``.

The test side is :class:`RemoteApp`. Nothing in the apps exists for it: ``describe()``
is the apps' support summary; a benchmark adds its own probe (``run_app(extra_state=…)``).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]

Reply = Callable[[dict[str, Any]], None]
#: A condition on the app's state (the ``state`` command's answer).
Predicate = Callable[[dict[str, Any]], Any]


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


def _touch_at(x: float, y: float, hold: float, done: Callable[[], None]) -> None:
    """Touch down at (x, y), up ``hold`` seconds later, then ``done()``."""
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()

    def up(_dt: float) -> None:
        touch.touch_up()
        done()

    Clock.schedule_once(up, hold)


def _tap(app: Any, tid: str, hold: float, done: Callable[[], None]) -> None:
    w = _find(app, tid)
    x, y = w.to_window(*w.center)
    _touch_at(x, y, hold, done)


def _tids(app: Any) -> list[str]:
    return [
        w.tid
        for root in _visible_roots(app)
        for w in _walk(root)
        if getattr(w, "tid", "") and _on_screen(app, w)
    ]


def _toggled(app: Any) -> list[str]:
    from kivy.uix.behaviors import ToggleButtonBehavior

    return [
        getattr(w, "tid", "")
        for root in _visible_roots(app)
        for w in _walk(root)
        if isinstance(w, ToggleButtonBehavior) and w.state == "down" and _on_screen(app, w)
    ]


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


def _handle(
    app: Any, cmd: dict[str, Any], reply: Reply, extra_state: Callable[[], dict[str, Any]]
) -> None:
    """Run ``cmd`` on Kivy's thread; ``reply`` once (a touch: when it is up again)."""
    kind = cmd["cmd"]
    if kind == "tap":
        _tap(app, cmd["tid"], cmd.get("hold", 0.05), lambda: reply({"ok": True}))
    elif kind == "touch":
        _touch_at(cmd["x"], cmd["y"], cmd.get("hold", 0.05), lambda: reply({"ok": True}))
    elif kind == "state":
        shown = {"texts": _texts(app), "tids": _tids(app), "toggled": _toggled(app)}
        state = {**shown, **app.describe()}
        reply({"ok": True, **state, **extra_state()})
    else:
        reply(_handle_other(app, cmd))


def _handle_other(app: Any, cmd: dict[str, Any]) -> dict[str, Any]:
    from kivy.core.window import Window

    kind = cmd["cmd"]
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


def serve_commands(app: Any, extra_state: Callable[[], dict[str, Any]] | None = None) -> None:
    """Read commands on stdin (own thread); run each on Kivy's thread; answer on stdout.
    ``extra_state``: more to add to every ``state`` answer (a benchmark's probe)."""
    from kivy.clock import Clock

    out = sys.stdout
    extra = extra_state or dict

    def run(cmd: dict[str, Any]) -> None:
        def reply(answer: dict[str, Any]) -> None:
            answer["id"] = cmd.get("id")
            out.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
            out.flush()

        def on_main(_dt: float) -> None:
            try:
                _handle(app, cmd, reply, extra)
            except Exception as e:  # reported to the test, never kills the app
                reply({"ok": False, "error": f"{type(e).__name__}: {e}"})

        Clock.schedule_once(on_main, 0)

    def reader() -> None:
        for line in sys.stdin:
            if line.strip():
                run(json.loads(line))

    threading.Thread(target=reader, name="remote-control", daemon=True).start()


# ----------------------------------------------------------------------------- test side


class RemoteApp:
    """A Kivy app in a child process, driven with :meth:`tap` and read with :meth:`state`.

    ``module`` is what runs in the child (``python -m MODULE ARGS``): this module's
    ``main`` by default, a benchmark's own entry point with its probe otherwise.
    """

    def __init__(
        self, args: list[str], display: str, log_path: Path, module: str = __name__
    ) -> None:
        env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT), SDL_AUDIODRIVER="dummy")
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
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
        end = time.monotonic() + timeout
        while True:  # reading replies, not polling: answers to timed-out commands are dropped
            try:
                reply = self._replies.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"no answer to {command} in {timeout} s:\n{self.log()}"
                ) from None
            if reply.get("id") == command["id"]:
                break
        if not reply.get("ok"):
            raise AssertionError(f"{command}: {reply.get('error')}")
        return reply

    def tap(self, tid: str) -> dict[str, Any]:
        """Touch ``tid`` and let go; returns once the press has been handled."""
        return self.cmd(cmd="tap", tid=tid)

    def touch(self, x: float, y: float, hold: float = 0.05) -> dict[str, Any]:
        """Touch the window at (x, y) (Kivy's coordinates) for ``hold`` seconds."""
        return self.cmd(cmd="touch", x=x, y=y, hold=hold, timeout=15 + hold)

    def tap_until(
        self, tid: str, done: Predicate, what: str = "", timeout: float = 20.0
    ) -> dict[str, Any]:
        """Tap ``tid`` until ``done(state)``, as a citizen taps again when nothing happened:
        a press guard ignores a tap that comes too soon after the last press (by design).
        The state once done."""
        return self._press_until(lambda: self.tap(tid), done, what or f"a tap on {tid}", timeout)

    def touch_until(
        self, x: float, y: float, done: Predicate, what: str = "", timeout: float = 20.0
    ) -> dict[str, Any]:
        """Touch (x, y) until ``done(state)`` (e.g. past the ticket screen's touch lock)."""
        return self._press_until(lambda: self.touch(x, y), done, what or "a touch", timeout)

    def tap_through(self, tid: str, timeout: float = 20.0) -> dict[str, Any]:
        """Tap ``tid`` until the screen changes; the state on the next screen."""
        screen = self.state()["screen"]
        return self.tap_until(
            tid, lambda s: s["screen"] != screen, f"{tid} to leave {screen}", timeout
        )

    def _press_until(
        self, press: Callable[[], Any], done: Predicate, what: str, timeout: float
    ) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def pressed() -> dict[str, Any] | None:
            press()  # handled when it returns: its effect is in the next state
            last.update(self.state())
            return dict(last) if done(last) else None

        try:
            return eventually(pressed, what, timeout, interval=0.1)
        except AssertionError as e:
            raise AssertionError(f"{e}: no effect; last state {last}") from e

    def state(self) -> dict[str, Any]:
        return self.cmd(cmd="state")

    def wait_for(
        self, predicate: Predicate, timeout: float = 20.0, what: str = ""
    ) -> dict[str, Any]:
        """The first state for which ``predicate`` holds (polled; no fixed waits)."""
        last: dict[str, Any] = {}

        def check() -> dict[str, Any] | None:
            last.update(self.state())
            return dict(last) if predicate(last) else None

        try:
            return eventually(check, what or repr(predicate), timeout, interval=0.1)
        except AssertionError as e:
            raise AssertionError(f"{e}; last state {last}") from e

    def holds(self, predicate: Predicate, seconds: float, what: str = "") -> dict[str, Any]:
        """Check that ``predicate`` stays true for ``seconds`` (something must NOT happen:
        the app is watched the whole time, not looked at once after a sleep)."""
        end = time.monotonic() + seconds
        while True:
            state = self.state()
            assert predicate(state), f"no longer {what or predicate}: {state}"
            if time.monotonic() > end:
                return state
            time.sleep(0.1)

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        def answers() -> dict[str, Any] | None:
            try:
                return self.cmd(cmd="state", timeout=2)
            except TimeoutError:
                return None

        try:
            return eventually(answers, "the app to start", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}:\n{self.log()}") from e

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


def make_app(kind: str, config_path: str) -> Any:
    """The ``kiosk`` or ``pad`` app of ``config_path``, as ``motcua kiosk|pad`` makes it."""
    if kind == "kiosk":
        from kiosk.main import make_app as make_kiosk

        return make_kiosk(config_path)
    if kind == "pad":
        from rating_pad.main import make_app as make_pad

        return make_pad(config_path)
    raise SystemExit(f"unknown app {kind!r}")


def run_app(app: Any, extra_state: Callable[[], dict[str, Any]] | None = None) -> None:
    """Run ``app`` until it quits, remote-controlled through stdin/stdout."""
    serve_commands(app, extra_state)
    app.run()


def main() -> None:
    """``python -m tests.support.kivy_remote kiosk CONFIG``: the app, remote-controlled."""
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    run_app(make_app(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
