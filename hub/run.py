"""``motcua hub``: one worker process, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from hub.config import HubConfig
from hub.worker import HubWorker
from server.config import ConfigError
from server.db.database import Database
from server.db.migrate import upgrade


def run_worker(config: HubConfig, name: str | None = None) -> None:
    password = config.worker_password()
    if password is None:
        raise ConfigError(
            f"the hub workers' broker password is missing: set {config.broker.password_env}"
        )
    db = Database(config.database())
    upgrade(db)  # under an advisory lock: workers starting together migrate once
    worker = HubWorker(config, password, name=name, database=db)
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.start()
    broker = config.broker
    print(f"motcua hub: {config.name}", flush=True)
    print(
        f"  worker {worker.name}: mqtt://{broker.host}:{broker.port} "
        f"$share/{broker.share_group}/{broker.prefix}/+/hub/…",
        flush=True,
    )
    print(f"  DB:    {db.engine.url.render_as_string(hide_password=True)}", flush=True)
    try:
        stop.wait()
    finally:
        worker.stop()
        c = worker.counts
        print(f"stopped: {c.stored} facts stored, {c.rejected} refused", file=sys.stderr)
