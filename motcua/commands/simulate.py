"""``motcua simulate``: realistic past days written through the queue engine, for the
demo and the benchmarks (`server.simulation`)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from motcua.commands.common import ConfigOpt, load_site, make_private

app = typer.Typer(
    help="Dữ liệu mô phỏng cho bản trình diễn và đo hiệu năng / simulated data.",
    no_args_is_help=True,
)


@app.command("history")
def simulate_history(
    days: Annotated[
        int, typer.Option(min=1, max=3660, help="Số ngày, đến hết --end / number of days")
    ],
    config: ConfigOpt = Path("config/site.yaml"),
    seed: Annotated[
        int | None,
        typer.Option(
            help="Hạt giống: cùng hạt giống, cùng lịch sử / random seed: same seed, same "
            "history (default: a new one, printed)"
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Ngày cuối cùng YYYY-MM-DD / last day (default: yesterday)",
        ),
    ] = None,
    visits_per_day: Annotated[
        float | None,
        typer.Option(
            min=1,
            max=5000,
            help="Số lượt một ngày thường / visits on an ordinary weekday (default: 15 per desk)",
        ),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
) -> None:
    """Tạo lịch sử mô phỏng những ngày đã qua / write realistic past days.

    Through the queue engine's own actions: arrivals by hour and weekday, clerks of
    different skill and satisfaction, ratings and reasons, no-shows, transfers. Days that
    already hold tickets are refused: nothing is written twice.
    """
    from server.db.database import Database
    from server.db.migrate import upgrade
    from server.simulation.write import HistoryRefused, history_range
    from server.simulation.write import simulate_history as write_history
    from server.timeutil import local_day, now_utc

    cfg = load_site(config)
    url = database_url or cfg.database_url()
    seed = secrets.randbelow(1_000_000) if seed is None else seed
    make_private(url)
    db = Database(url)
    try:
        first, last = history_range(days, end.date() if end else None, local_day(now_utc(), cfg.tz))
        upgrade(db)
        typer.echo(
            f"Đang tạo lịch sử {first:%d/%m/%Y}–{last:%d/%m/%Y} (hạt giống {seed})… / "
            f"generating history {first}–{last} (seed {seed})…"
        )
        summary = write_history(
            db, cfg, first=first, last=last, seed=seed, visits_per_day=visits_per_day
        )
    except HistoryRefused as e:
        typer.echo(f"{e.message}\n{e.message_en}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(summary.text())


@app.command("offices")
def simulate_offices(
    hub_config: Annotated[
        Path, typer.Option("--hub-config", help="Tệp cấu hình trung tâm / the hub's YAML")
    ] = Path("config/hub.yaml"),
    offices: Annotated[int, typer.Option(min=1, max=2000, help="Số đơn vị / offices")] = 120,
    hours: Annotated[float, typer.Option(min=0.01, max=24, help="Số giờ mô phỏng / hours")] = 8,
    speed: Annotated[
        float, typer.Option(min=0.1, max=100_000, help="Tua nhanh / time compression")
    ] = 60,
    seed: Annotated[int, typer.Option(help="Hạt giống / random seed")] = 1,
    start: Annotated[
        str, typer.Option(help="Giờ bắt đầu HH:MM (giờ đơn vị) / local start time")
    ] = "07:30",
    day: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Ngày mô phỏng / the day (default: today, or the last working weekday)",
        ),
    ] = None,
    template: Annotated[
        Path, typer.Option(help="Cấu hình đơn vị mẫu / the offices' site YAML template")
    ] = Path("config/site.example.yaml"),
    broker_dir: Annotated[
        Path | None,
        typer.Option(help="Thư mục tệp Mosquitto trung tâm / hub broker folder (data_dir/broker)"),
    ] = None,
    broker_pid: Annotated[
        int | None,
        typer.Option(help="PID của Mosquitto trung tâm: gửi SIGHUP / the hub broker's pid"),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Máy trung tâm / hub host (default: wan.public_host)")
    ] = None,
) -> None:
    """Mô phỏng N đơn vị gửi dữ liệu lên trung tâm / drive a hub with N offices' traffic.

    Makes the accounts sim-001 … (new passwords each run) in the hub database and the
    hub broker's files; reload the hub broker (or give --broker-pid) so they may log in.
    Each office publishes, on its own topic with its own account, every fact its forwarder
    would send over the period (the history model's day), time compressed --speed times;
    prints what was sent and the lag to the hub's receipts.
    """
    import os
    import signal
    from datetime import time as dtime

    from hub.config import load_hub_config
    from hub.simulate import Simulation, make_accounts, sim_offices, working_day
    from server.config import ConfigError
    from server.db.database import Database
    from server.db.migrate import upgrade
    from server.timeutil import local_day, now_utc

    try:
        hub = load_hub_config(hub_config)
        hh, mm = (int(x) for x in start.split(":"))
        begin = dtime(hh, mm)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    except ValueError:
        typer.echo(f"--start {start!r}: HH:MM", err=True)
        raise typer.Exit(2) from None
    site = load_site(template)
    db = Database(hub.database())
    try:
        upgrade(db)
        out = broker_dir or hub.data_dir / "broker"
        accounts = make_accounts(hub, db, offices, out)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"{offices} tài khoản / accounts sim-001…: {out / 'passwd'}, {out / 'acl'}")
    if broker_pid is not None:
        os.kill(broker_pid, signal.SIGHUP)
        typer.echo(f"đã nạp lại / reloaded the hub broker (SIGHUP to {broker_pid})")
    else:
        typer.echo("nạp lại Mosquitto trung tâm / reload the hub broker now (SIGHUP); waiting…")
    wan = hub.broker.wan
    the_day = day.date() if day else working_day(local_day(now_utc(), site.tz))
    sim = Simulation(
        site,
        sim_offices(accounts, seed),
        host or wan.public_host,
        wan.port,
        hub.broker.prefix,
        str(wan.ca_file) if wan.tls and wan.ca_file else None,
        seed,
    )
    try:
        sim.connect(timeout=120)
        typer.echo(
            f"ngày / day {the_day:%d/%m/%Y}, {hours} h từ / from {start}, ×{speed:g} "
            f"(≈ {hours * 3600 / speed:.0f} s)…"
        )
        report = sim.run(the_day, begin, hours, speed)
    except TimeoutError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from None
    finally:
        sim.close()
    for line in report.lines():
        typer.echo(line)
    if report.lags.waiting():
        raise typer.Exit(1)
