"""Bytes on the wire per ticket: text mode vs raster, at 9600 and 115200 baud.

Usage: python bench/ticket_bytes.py [--paper 80|58] [--qr TEXT]

Wire time is computed for 8N1 serial (10 bits per byte, baud/10 bytes per second): it is
the least time the ticket takes to reach the printer, whatever the printer does next.
Render time is measured (best of 5) on this machine.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from ticket_printer import PrinterProfile, Ticket
from ticket_printer.render import render_ticket

BAUDS = (9600, 115200)


def standard_ticket(qr: str) -> Ticket:
    return Ticket(
        office_name="Bộ phận Một cửa UBND xã Gia Lộc",
        service_name="Tư pháp – Hộ tịch",
        number="A023",
        priority="Người cao tuổi",
        people_ahead=4,
        estimated_wait_min=12,
        issued_at=datetime(2025, 3, 5, 8, 17, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        qr=qr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", type=int, choices=(58, 80), default=80)
    parser.add_argument("--qr", default="https://motcua.example/t/A023-7F3A9C")
    args = parser.parse_args()
    ticket = standard_ticket(args.qr)
    rows = [
        ("text, TCVN-3 (ESC t 30/31)", {"mode": "tcvn3"}),
        ("text, WPC1258 (ESC t 52)", {"mode": "cp1258"}),
        ("raster, Vietnamese lines only", {"mode": "raster", "raster_scope": "lines"}),
        ("raster, full ticket", {"mode": "raster", "raster_scope": "full"}),
    ]
    results = []
    for label, settings in rows:
        profile = PrinterProfile(paper_mm=args.paper, **settings)
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            data = render_ticket(ticket, profile)
            best = min(best, time.perf_counter() - started)
        results.append((label, len(data), best))

    text_bytes = results[0][1]
    print(
        f"Standard ticket, {args.paper} mm paper, QR {len(args.qr)} characters "
        f"(Python {platform.python_version()}, {platform.machine()})"
    )
    header = (
        f"{'mode':<32}{'bytes':>8}{'@ 9600 baud':>14}{'@ 115200 baud':>16}"
        f"{'× text':>9}{'render':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, size, seconds in results:
        wire = [size * 10 / baud for baud in BAUDS]
        print(
            f"{label:<32}{size:>8}{wire[0]:>12.2f} s{wire[1]:>14.3f} s"
            f"{size / text_bytes:>9.1f}{seconds * 1000:>8.1f} ms"
        )
    full = results[-1][1]
    print(
        f"\nFull raster / TCVN-3 text: {full / text_bytes:.0f}× the bytes; at 9600 baud "
        f"{full * 10 / 9600:.1f} s instead of {text_bytes * 10 / 9600:.2f} s."
    )


if __name__ == "__main__":
    main()
