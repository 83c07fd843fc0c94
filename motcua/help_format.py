"""``--help`` without a ``<bool>`` after every flag.

Typer's rich help (typer ≥ 0.2x) prints a type column from
``TyperOption.display_type_rich``, which answers ``<bool>`` for on/off flags too:
``--check  --no-check  <bool>`` and even ``--help  <bool>``, as if they took a value.
Its plain help already leaves flags without a type; this makes the rich help do the
same, for every command at once (``motcua.cli`` calls `install` before mounting the
commands). tests/test_cli_help.py fails if a Typer upgrade brings the ``<bool>`` back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.core import TyperOption

if TYPE_CHECKING:
    from typer import _click

_typed = TyperOption.display_type_rich


def _flag_has_no_type(self: TyperOption, ctx: _click.Context) -> str | None:
    if self.is_flag and not self.count:
        return self.metavar  # None unless a command gave the flag a metavar on purpose
    return _typed(self, ctx)


def install() -> None:
    """Flags show no value type in ``--help`` (idempotent)."""
    # setattr rather than `=`: mypy refuses assignments to a method (rightly, elsewhere)
    setattr(TyperOption, "display_type_rich", _flag_has_no_type)  # noqa: B010 - see above
