"""The alerts of the supervisor dashboard, computed from the database on demand.

Five kinds, all driven by the site configuration:

- ``satisfaction_drop`` (critical): at one desk, at least ``rating.alert.min_ratings``
  ratings received in the last ``rating.alert.window_minutes`` and a share of
  "dissatisfied" (official level, partial ratings included) of at least
  ``rating.alert.unhappy_pct`` %.
- ``device_offline`` (critical): a configured device whose last status is ``offline``.
- ``printer_paper``: an online kiosk whose last health report names a printer fault
  (critical) or paper running low (warning).
- ``wait_beyond_target`` (warning): a service where someone has been waiting today
  longer than the service's ``target_wait_minutes``.
- ``clock_skew`` (warning): an online device whose last health report says its clock is
  more than `CLOCK_ALERT_S` seconds off the server's (`protocol.clock`). Its events are
  still judged on the server's clock, but its screen and printed times are wrong.

`current_alerts` runs three queries whatever the size of the site (it is called every few
seconds and after every change). Every alert is worded in Vietnamese and English from
`WORDING`, a `protocol.i18n.Catalog` keyed by the alert's kind.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.conduct import Level
from protocol.i18n import Catalog, Localized
from server.config import Desk, Device, SiteConfig
from server.db.tables import DeviceRow, RatingRow, TicketRow
from server.queue.context import QueueContext
from server.queue.states import WAITING
from server.timeutil import fmt_local, local_day

AlertKind = Literal[
    "satisfaction_drop", "device_offline", "printer_paper", "wait_beyond_target", "clock_skew"
]
Severity = Literal["warning", "critical"]

#: Printer states worth an alert, and how serious each is (worded ``printer_paper.{state}``).
PRINTER_PROBLEMS: dict[str, Severity] = {
    "paper_out": "critical",
    "cover_open": "critical",
    "offline": "critical",
    "paper_near_end": "warning",
}
#: A device clock further than this from the server's raises ``clock_skew``.
CLOCK_ALERT_S = 30.0

#: The wording of the alerts, by kind (and ``kind.variant``), and of the names in them.
WORDING = Catalog(
    {
        "satisfaction_drop": (
            "{desk}: {unhappy}/{total} đánh giá không hài lòng trong {minutes} phút qua",
            "{desk}: {unhappy}/{total} ratings dissatisfied in the last {minutes} minutes",
        ),
        "device_offline": ("{device}: mất kết nối", "{device}: offline"),
        "device_offline.since": (
            "{device}: mất kết nối từ {when}",
            "{device}: offline since {when}",
        ),
        "printer_paper.paper_out": ("{device}: máy in hết giấy", "{device}: printer out of paper"),
        "printer_paper.cover_open": (
            "{device}: máy in đang mở nắp",
            "{device}: printer cover open",
        ),
        "printer_paper.offline": (
            "{device}: máy in mất kết nối",
            "{device}: printer not responding",
        ),
        "printer_paper.paper_near_end": (
            "{device}: máy in sắp hết giấy",
            "{device}: printer paper running low",
        ),
        "clock_skew": (
            "Đồng hồ của {device} lệch {seconds} giây so với máy chủ — kiểm tra đồng bộ giờ (NTP)",
            "The clock of {device} is {seconds} s off the server's — check time sync (NTP)",
        ),
        "wait_beyond_target": (
            "{service}: có người chờ {minutes} phút (mục tiêu {target} phút)",
            "{service}: someone has waited {minutes} minutes (target {target} minutes)",
        ),
        # names
        "desk": ("{name}", "Desk {number}"),
        "device": ("{kind} {id}", "{kind} {id}"),
        "kind.kiosk": ("Ki-ốt", "Kiosk"),
        "kind.pad": ("Máy đánh giá", "Rating pad"),
        "kind.board": ("Màn hình gọi số", "Display board"),
        "kind.monitor": ("Màn hình giám sát", "Monitor"),
    }
)

_T = TicketRow.__table__.c
_R = RatingRow.__table__.c


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AlertKind
    severity: Severity
    #: Stable identity ("device_offline:kiosk-1"): the page tells new alerts from ongoing ones.
    key: str
    message: str
    message_en: str
    #: Aware UTC: when the condition started, when known.
    since: datetime | None
    desk_id: str | None = None
    service: str | None = None
    device_id: str | None = None


def current_alerts(
    s: Session, config: SiteConfig, engine: QueueContext, now: datetime | None = None
) -> list[Alert]:
    """The alerts at ``now`` (default: the engine's clock): critical first, then oldest
    first (alerts whose start is unknown last)."""
    now = (now or engine.clock()).astimezone(UTC)
    alerts = [
        *_satisfaction_drops(s, config, now),
        *_device_alerts(s, config, now),
        *_waits_beyond_target(s, config, engine, now),
    ]
    return sorted(
        alerts,
        key=lambda a: (
            a.severity != "critical",
            a.since is None,
            a.since or now,
            a.key,
        ),
    )


def _satisfaction_drops(s: Session, config: SiteConfig, now: datetime) -> list[Alert]:
    """Ratings received in ``[now − window, now]``, counted per desk."""
    rule = config.rating.alert
    rows = s.execute(
        select(_R.desk_id, _R.level, _R.received_at).where(
            _R.site == config.site.code,
            _R.received_at >= now - timedelta(minutes=rule.window_minutes),
            _R.received_at <= now,
        )
    ).all()
    per_desk: dict[str, list[tuple[str, datetime]]] = {}
    for desk_id, level, received_at in rows:
        per_desk.setdefault(desk_id, []).append((level, received_at))
    alerts = []
    for desk_id, ratings in per_desk.items():
        unhappy = sorted(at for level, at in ratings if level == Level.DISSATISFIED)
        total = len(ratings)
        # Integer arithmetic: 2 of 4 is exactly 50 %, whatever float rounding says.
        if total < rule.min_ratings or not unhappy or len(unhappy) * 100 < rule.unhappy_pct * total:
            continue
        desk = config.desk_by_id.get(desk_id)
        name = _desk_label(desk) if desk else desk_id
        said = WORDING.both(
            "satisfaction_drop",
            desk=name,
            unhappy=len(unhappy),
            total=total,
            minutes=rule.window_minutes,
        )
        alerts.append(
            Alert(
                kind="satisfaction_drop",
                severity="critical",
                key=f"satisfaction_drop:{desk_id}",
                message=said.vi,
                message_en=said.en,
                since=unhappy[0],
                desk_id=desk_id,
            )
        )
    return alerts


def _desk_label(desk: Desk) -> Localized:
    """The desk's name; in English its ``name_en``, else "Desk N"."""
    label = WORDING.both("desk", name=desk.name, number=desk.number)
    return Localized(label.vi, desk.name_en or label.en)


def _device_label(dev: Device) -> Localized:
    """The device's configured name (in English: ``name_en``, else its kind and id),
    else its kind and id."""
    kind = WORDING.get(f"kind.{dev.kind}", Localized(dev.kind, dev.kind))
    unnamed = WORDING.both("device", kind=kind, id=dev.id)
    return Localized(dev.name or unnamed.vi, dev.name_en or unnamed.en)


def _when(at: datetime, now: datetime, config: SiteConfig) -> str:
    """HH:MM local today, else dd/mm/yyyy HH:MM."""
    if local_day(at, config.tz) == local_day(now, config.tz):
        return at.astimezone(config.tz).strftime("%H:%M")
    return fmt_local(at, config.tz)


def _device_alerts(s: Session, config: SiteConfig, now: datetime) -> list[Alert]:
    """Offline devices and kiosk printer problems.

    A configured device the server has never heard from (no row) raises nothing: a site
    may list devices that are not installed yet. The server keeps only the latest health
    report, so when a printer fault began is unknown (``since`` is None).
    """
    rows = s.scalars(select(DeviceRow).where(DeviceRow.site == config.site.code))
    alerts = []
    for row in rows:
        dev = config.device_by_id.get(row.device_id)
        if dev is None:
            continue
        label = _device_label(dev)
        if row.status == "offline":
            since = row.status_since
            if since is None:
                said = WORDING.both("device_offline", device=label)
            else:
                when = _when(since, now, config)
                said = WORDING.both("device_offline.since", device=label, when=when)
            alerts.append(
                Alert(
                    kind="device_offline",
                    severity="critical",
                    key=f"device_offline:{dev.id}",
                    message=said.vi,
                    message_en=said.en,
                    since=since,
                    device_id=dev.id,
                )
            )
            continue
        # Online from here: an offline device's last health report is stale.
        health = row.health or {}
        found = (_printer_alert(dev, label, health), _clock_alert(dev, label, health))
        alerts.extend(a for a in found if a is not None)
    return alerts


def _printer_alert(dev: Device, label: Localized, health: dict[str, Any]) -> Alert | None:
    printer = health.get("printer")
    if dev.kind != "kiosk" or printer not in PRINTER_PROBLEMS:
        return None
    said = WORDING.both(f"printer_paper.{printer}", device=label)
    return Alert(
        kind="printer_paper",
        severity=PRINTER_PROBLEMS[printer],
        # The state is part of the identity: "near end" → "out" is a new alert.
        key=f"printer_paper:{dev.id}:{printer}",
        message=said.vi,
        message_en=said.en,
        since=None,
        device_id=dev.id,
    )


def _clock_alert(dev: Device, label: Localized, health: dict[str, Any]) -> Alert | None:
    offset = health.get("clock_offset_s")
    if not isinstance(offset, int | float) or abs(offset) <= CLOCK_ALERT_S:
        return None
    said = WORDING.both("clock_skew", device=label, seconds=round(abs(offset)))
    return Alert(
        kind="clock_skew",
        severity="warning",
        key=f"clock_skew:{dev.id}",
        message=said.vi,
        message_en=said.en,
        since=None,
        device_id=dev.id,
    )


def _waits_beyond_target(
    s: Session, config: SiteConfig, engine: QueueContext, now: datetime
) -> list[Alert]:
    """The longest wait per service, as `server.readmodels.queue_state` computes
    ``longest_wait_s`` (now − the oldest issue time of today's waiting tickets), for all
    services in one grouped query instead of a full queue state each."""
    rows = s.execute(
        select(_T.service, func.min(_T.issued_at))
        .where(_T.site == config.site.code, _T.state == WAITING, _T.day == engine.today(now))
        .group_by(_T.service)
    ).all()
    alerts = []
    for code, oldest in rows:
        svc = config.service_by_code.get(code)
        if svc is None or oldest is None:
            continue
        waited_s = (now - oldest).total_seconds()
        if waited_s <= svc.target_wait_minutes * 60:
            continue
        # Rounded up: 15 min 10 s over a 15-minute target reads "16 phút", not "15 phút".
        minutes = math.ceil(waited_s / 60)
        said = WORDING.both(
            "wait_beyond_target",
            service=Localized(svc.name, svc.name_en),
            minutes=minutes,
            target=svc.target_wait_minutes,
        )
        alerts.append(
            Alert(
                kind="wait_beyond_target",
                severity="warning",
                key=f"wait_beyond_target:{code}",
                message=said.vi,
                message_en=said.en,
                since=oldest,
                service=code,
            )
        )
    return alerts
