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
