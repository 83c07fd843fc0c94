"""docs/mqtt.md's generated parts, made from the code that enforces the contract.

docs/mqtt.md is what a device maker reads. Its facts that live in code (the topic
table, the broker rights, every payload's fields with their types and bounds, the
rating levels, the conduct codes, identifier formats and limits) are written here from
`protocol.topics`, `protocol.access`, the pydantic models and the constants, between
marker comments::

    <!-- generated:topics -->  …  <!-- /generated:topics -->

The prose around them is written by hand and left alone. Usage::

    python -m protocol.contract_doc           # exit 1 if docs/mqtt.md is out of date
    python -m protocol.contract_doc --write   # rewrite the generated parts

``tests/protocol/test_contract_doc.py`` fails when the file and the code disagree.

Apart from the modules it reads because it is documentation: no device imports it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from protocol import SCHEMA_VERSION
from protocol.access import SERVER_ACCESS, Access, device_rules
from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES, RAW_LEVEL_LABELS, SCALES, Group
from protocol.contract_models import model_sections
from protocol.decoding import MAX_INT_DIGITS, MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES
from protocol.messages import YEARS, PrinterState
from protocol.numbers import MAX_SEQ, MIN_DIGITS, NUMBER_PATTERN, PREFIX_PATTERN
from protocol.refusals import REFUSALS, Reason, wording_key
from protocol.text import IDENTIFIER_PATTERN, SERVICE_CODE_PATTERN
from protocol.topics import DEFAULT_PREFIX, SPECS, Grant, Party, Scope

DOC = Path(__file__).resolve().parent.parent / "docs" / "mqtt.md"
REGENERATE = "python -m protocol.contract_doc --write"

_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.DOTALL,
)
_DEVICES = (Party.KIOSK, Party.PAD, Party.BOARD, Party.MONITOR)
_SCOPE_WORDS = {Scope.ANY: "", Scope.OWN: " (its own)", Scope.OWN_DESK: " (of its desk)"}
#: Example ids of the access table: a device's id and a pad's desk.
_ID, _DESK = "{id}", "{desk}"


def _code(text: str) -> str:
    return f"`{text}`"


def _who(grants: tuple[Grant, ...]) -> str:
    """``kiosk (its own), monitor``; four devices with one scope are "every device"."""
    parts: list[str] = []
    for scope in Scope:
        parties = [g.party for g in grants if g.scope is scope]
        if all(p in parties for p in _DEVICES):
            parties = [p for p in parties if p not in _DEVICES]
            parts.append(f"every device{_SCOPE_WORDS[scope]}")
        parts += [f"{p.value}{_SCOPE_WORDS[scope]}" for p in parties]
    return ", ".join(sorted(parts, key=lambda w: (not w.startswith("server"), w)))


def topics_table() -> str:
    rows = [
        "| topic under the root | direction | retained | QoS | payload | written by | "
        "read by | what for |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in SPECS:
        name = s.model.__name__
        rows.append(
            f"| {_code(s.pattern)} | {s.direction.value} | {'yes' if s.retained else 'no'} "
            f"| {s.qos} | [`{name}`](#{name.lower()}) | {_who(s.writers)} | {_who(s.readers)} "
            f"| {s.summary} |"
        )
    return "\n".join(rows)


def access_table() -> str:
    """Every account's broker rules, as the generated Mosquitto ACL has them."""
    accounts: list[tuple[str, list[tuple[Access, str]]]] = [
        ("`server` (the server's account)", [(SERVER_ACCESS, "#")]),
        (f"kiosk `{_ID}`", device_rules(Party.KIOSK, _ID, None)),
        (f"pad `{_ID}` of desk `{_DESK}`", device_rules(Party.PAD, _ID, _DESK)),
        (f"board `{_ID}`", device_rules(Party.BOARD, _ID, None)),
        (f"monitor `{_ID}`", device_rules(Party.MONITOR, _ID, None)),
    ]
    rows = ["| account | publish | subscribe |", "|---|---|---|"]
    for name, rules in accounts:
        publish = [_code(f) for access, f in rules if access != "read"]
        subscribe = [_code(f) for access, f in rules if access != "write"]
        rows.append(f"| {name} | {', '.join(publish) or '—'} | {', '.join(subscribe)} |")
    return "\n".join(rows)


def levels_table() -> str:
    rows = [
        "| level | Vietnamese | English | official level | satisfied | on the 3 / 4 / 5 scale |",
        "|---|---|---|---|---|---|",
    ]
    for level, (vi, en) in RAW_LEVEL_LABELS.items():
        scales = " / ".join("yes" if level in SCALES[n] else "—" for n in sorted(SCALES))
        satisfied = "yes" if level.official.positive else "no"
        rows.append(
            f"| `{level.value}` | {vi} | {en} | `{level.official.value}` | {satisfied} | {scales} |"
        )
    return "\n".join(rows)


_GROUP_NAMES = {Group.XIN: "4 Xin", Group.LUON: "4 Luôn", Group.KHONG: "5 Không"}


def conduct_table() -> str:
    rows = [
        "| code | group | Vietnamese | English | may be praised | may be a reason |",
        "|---|---|---|---|---|---|",
    ]
    for item in CONDUCT_ITEMS:
        praise = "yes" if item.code in PRAISE_CODES else "no"
        rows.append(
            f"| `{item.code}` | {_GROUP_NAMES[item.group]} | {item.vi} | {item.en} | {praise} "
            "| yes |"
        )
    return "\n".join(rows)


def vocabulary() -> str:
    printer = ", ".join(_code(p.value) for p in PrinterState)
    return "\n".join(
        [
            "### Rating levels",
            "",
            "`level` is the face pressed, on the site's scale; only the top two count as "
            "satisfied (SIPAS practice).",
            "",
            levels_table(),
            "",
            f"### Conduct items (4 Xin, 4 Luôn, 5 Không: {len(CONDUCT_ITEMS)} codes)",
            "",
            "`praised`: only with a satisfied level, only 4 Xin and 4 Luôn items. "
            "`reasons`: only with a level that is not satisfied, any item (a 5 Không "
            "violation, or a Xin / Luôn the clerk missed). No item twice.",
            "",
            conduct_table(),
            "",
            "### Formats",
            "",
            "| what | rule |",
            "|---|---|",
            f"| identifier (device, desk, site, clerk, priority, conduct code) "
            f"| `{IDENTIFIER_PATTERN}` |",
            f"| service code | `{SERVICE_CODE_PATTERN}` |",
            f"| service prefix | `{PREFIX_PATTERN}` |",
            f"| ticket number | `{NUMBER_PATTERN}`: the prefix, then the day's sequence of "
            f"the service padded to {MIN_DIGITS} digits (`A` + 23 → `A023`, `B` + 1000 → "
            f"`B1000`), at most {MAX_SEQ}; written no other way (`A0505` is not `A505`) |",
            f"| topic root | `{{prefix}}/{{site}}`, prefix `{DEFAULT_PREFIX}` by default |",
            f"| printer state (`DeviceHealth.printer`) | {printer} |",
        ]
    )


def limits() -> str:
    return "\n".join(
        [
            "| limit | value |",
            "|---|---|",
            f"| `schema` of every message | {SCHEMA_VERSION} |",
            f"| payload the server reads | {MAX_PAYLOAD_BYTES // 1024} KiB "
            f"({MAX_PAYLOAD_BYTES} bytes); larger: refused `too_large` |",
            f"| MQTT packet a client may send | {MAX_PACKET_BYTES // 1024} KiB "
            f"({MAX_PACKET_BYTES} bytes); larger: the broker disconnects the client |",
            f"| digits of a JSON number | {MAX_INT_DIGITS} |",
            f"| years of a device's timestamps and days | {YEARS[0]}–{YEARS[1]} |",
            "| any string | 2000 characters, unless its field says less |",
        ]
    )


def refusals_table() -> str:
    """Every refusal code with the sentence a device may show (``{…}`` is filled in)."""
    rows = ["| code | Vietnamese | English |", "|---|---|---|"]
    for code in Reason:
        text = REFUSALS[wording_key(code)]
        rows.append(f"| `{code.value}` | {_cell(text.vi)} | {_cell(text.en)} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


SECTIONS: dict[str, Callable[[], str]] = {
    "topics": topics_table,
    "access": access_table,
    "limits": limits,
    "payloads": model_sections,
    "vocabulary": vocabulary,
    "refusals": refusals_table,
}


def render(text: str) -> str:
    """``text`` with every generated block rewritten; other text untouched."""
    found = {m.group("name") for m in _BLOCK.finditer(text)}
    missing = set(SECTIONS) - found
    if missing:
        raise ValueError(f"docs/mqtt.md lacks the markers of {sorted(missing)}")

    def body(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in SECTIONS:
            raise ValueError(f"unknown generated section {name!r}")
        return f"{m.group(1)}{SECTIONS[name]().rstrip()}\n{m.group(4)}"

    return _BLOCK.sub(body, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite the generated parts")
    parser.add_argument("--doc", type=Path, default=DOC, help="the file (docs/mqtt.md)")
    args = parser.parse_args(argv)
    current = args.doc.read_text(encoding="utf-8")
    wanted = render(current)
    if args.write:
        if wanted != current:
            args.doc.write_text(wanted, encoding="utf-8")
        print(f"{args.doc}: {'rewritten' if wanted != current else 'already current'}")
        return 0
    if wanted != current:
        print(f"{args.doc} is out of date; run `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
