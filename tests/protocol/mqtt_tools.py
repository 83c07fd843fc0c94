"""Helpers for the link tests: a negative check, a TCP gate in front of a broker, a
responder logged in as the server, and a device running in its own process."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.decoding import decode
from protocol.messages import IssuedTicket, Receipt, TicketRequest, TicketResponse
from server.config import SiteConfig
from tests.support.services import TOOL_PASSWORD, Broker, tool_account
from tests.support.sites import device_password

ROOT = Path(__file__).resolve().parents[2]
DEVICE_SCRIPT = Path(__file__).with_name("device_proc.py")


def holds_for(predicate: Callable[[], bool], seconds: float) -> bool:
    """True if ``predicate`` holds at every check during ``seconds`` (a negative check:
    not a wait, it watches that nothing changes; to wait, use `eventually`)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not predicate():
            return False
        time.sleep(0.05)  # the pace of the checks
    return predicate()


# ---------------------------------------------------------------------- gate


class Gate:
    """A TCP forwarder to a broker port whose door a test opens and closes.

    While closed, new connections are accepted and dropped at once (the device sees a
    failed connect and backs off); closing also cuts the connections already through.
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="gate", daemon=True)
        self._thread.start()

    def open(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    def shutdown(self) -> None:
        self._stop.set()
        self.close()
        self._thread.join(5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                down, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._open.is_set():
                down.close()
                continue
            try:
                up = socket.create_connection((self.host, self.target_port), timeout=2)
            except OSError:
                down.close()
                continue
            up.settimeout(None)
            with self._lock:
                self._conns += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


# ---------------------------------------------------------------------- server side


def server_client(broker: Broker, site: SiteConfig) -> mqtt.Client:
    """A raw paho client with the server's rights (may publish anywhere), on a test-tool
    account: the broker keeps one connection per account, so it must not be the
    server's own."""
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"server-test-{uuid.uuid4().hex[:8]}",
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    c.username_pw_set(tool_account(), TOOL_PASSWORD)
    connected = threading.Event()
    c.on_connect = lambda cl, ud, fl, rc, pr: connected.set() if rc == 0 else None
    c.connect(broker.host, broker.port, 30)
    c.loop_start()
    if not connected.wait(10):
        c.loop_stop()
        raise AssertionError("the server account could not connect")
    return c


def stop_client(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


class Responder:
    """Answers ticket requests as the server does: a `TicketResponse` by ``request_id``.

    With ``batch=2`` it collects two requests and answers them in reverse order, which
    shows that replies are matched by id, not by arrival order. The answer's ticket
    carries the requested service and a number counted from A001.
    """

    def __init__(self, broker: Broker, site: SiteConfig, batch: int = 1) -> None:
        self.site = site
        self.batch = batch
        self.received: list[TicketRequest] = []
        self._inbox: queue.SimpleQueue[mqtt.MQTTMessage | None] = queue.SimpleQueue()
        self._subscribed = threading.Event()
        self._count = 0
        self.client = server_client(broker, site)
        self.client.on_message = lambda cl, ud, msg: self._inbox.put(msg)  # hand off only
        self.client.on_subscribe = lambda cl, ud, mid, rc, pr: self._subscribed.set()
        self.client.subscribe(f"{site.topics.root}/kiosk/+/ticket/request", 1)
        if not self._subscribed.wait(10):
            raise AssertionError("responder subscription not acknowledged")
        self._worker = threading.Thread(target=self._run, name="responder", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        held: list[mqtt.MQTTMessage] = []
        while True:
            msg = self._inbox.get()
            if msg is None:
                return
            held.append(msg)
            if len(held) < self.batch:
                continue
            for m in reversed(held):
                self._answer(m)
            held = []

    def _answer(self, msg: mqtt.MQTTMessage) -> None:
        req = decode(TicketRequest, msg.payload)
        self.received.append(req)
        self._count += 1
        now = datetime.now(UTC)
        reply = TicketResponse(
            request_id=req.msg_id,
            ok=True,
            ticket=IssuedTicket(
                ticket_id=uuid.uuid4(),
                number=f"A{self._count:03d}",
                service=req.service,
                service_name="Tư pháp – Hộ tịch",
                priority=req.priority,
                people_ahead=self._count - 1,
                eta_minutes=5,
                issued_at=now,
                day=date.today(),
            ),
        )
        self.client.publish(self.site.topics.ticket_response(req.device_id), reply.to_json(), qos=1)

    def stop(self) -> None:
        self._inbox.put(None)
        self._worker.join(5)
        stop_client(self.client)


class Confirmer:
    """Plays the server's part of durable delivery: for every event on ``topic_filter``
    it publishes a `Receipt` on the sender's ``device/{id}/receipt`` topic."""

    def __init__(self, broker: Broker, site: SiteConfig, topic_filter: str) -> None:
        self.site = site
        self.confirmed: list[str] = []
        self._inbox: queue.SimpleQueue[mqtt.MQTTMessage | None] = queue.SimpleQueue()
        self._subscribed = threading.Event()
        self.client = server_client(broker, site)
        self.client.on_message = lambda cl, ud, msg: self._inbox.put(msg)  # hand off only
        self.client.on_subscribe = lambda cl, ud, mid, rc, pr: self._subscribed.set()
        self.client.subscribe(topic_filter, 1)
        if not self._subscribed.wait(10):
            raise AssertionError("confirmer subscription not acknowledged")
        self._worker = threading.Thread(target=self._run, name="confirmer", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        while (msg := self._inbox.get()) is not None:
            data = json.loads(msg.payload)
            receipt = Receipt(device_id=data["device_id"], msg_ids=[data["msg_id"]])
            topic = self.site.topics.device_receipt(data["device_id"])
            self.client.publish(topic, receipt.to_json(), qos=1)
            self.confirmed.append(data["msg_id"])

    def stop(self) -> None:
        self._inbox.put(None)
        self._worker.join(5)
        stop_client(self.client)


# ---------------------------------------------------------------------- device process


class DeviceProcess:
    """`device_proc.py` in a subprocess: a device that can be SIGKILLed."""

    def __init__(
        self,
        site: SiteConfig,
        broker: Broker,
        device_id: str,
        *,
        outbox: Path | None = None,
        events: int = 0,
        wait_connected: bool = False,
    ) -> None:
        config: dict[str, Any] = {
            "host": broker.host,
            "port": broker.port,
            "device_id": device_id,
            "password": device_password(device_id),
            "prefix": site.server.broker.prefix,
            "site": site.site.code,
            "outbox": str(outbox) if outbox else None,
            "events": events,
            "wait_connected": wait_connected,
        }
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, str(DEVICE_SCRIPT), json.dumps(config)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()
        self.boot_id = self.expect("BOOT")
        self.queued: list[str] = json.loads(self.expect("QUEUED")) if events else []
        if wait_connected:
            self.expect("CONNECTED")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def expect(self, word: str, timeout: float = 20.0) -> str:
        """The rest of the next stdout line, which must start with ``word``."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None or not line.startswith(word):
            self.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"device process: expected {word}, got {line!r}\n{err}")
        return line[len(word) :].strip()

    def kill(self) -> None:
        """SIGKILL: no clean disconnect, no chance to flush anything."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
