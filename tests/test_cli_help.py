"""``motcua --help`` as an installer reads it: every option and argument of every command
says what it is for, no flag pretends to take a ``<bool>`` value, and ``--version`` /
``-V`` say which motcua this is."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from motcua.cli import app

ROOT = Path(__file__).resolve().parents[1]
MOTCUA = str(Path(sys.executable).with_name("motcua"))
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _commands() -> Iterator[tuple[list[str], typer.core.TyperCommand | typer.core.TyperGroup]]:
    """Every command and group of the app, with the words that reach it."""

    def walk(
        cmd: typer.core.TyperCommand | typer.core.TyperGroup, path: list[str]
    ) -> Iterator[tuple[list[str], typer.core.TyperCommand | typer.core.TyperGroup]]:
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    yield from walk(root, [])


COMMANDS = list(_commands())


def test_every_option_and_argument_says_what_it_is_for() -> None:
    missing = [
        f"motcua {' '.join(path)} {param.opts[0] if param.opts else param.name}"
        for path, cmd in COMMANDS
        for param in cmd.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert not missing, "options without help text: " + ", ".join(missing)


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "motcua")
def test_no_flag_shows_a_bool_value(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_a_flag_still_shows_both_its_spellings_and_options_their_type() -> None:
    out = CliRunner().invoke(app, ["server", "--help"], terminal_width=120).output
    assert "--check" in out and "--no-check" in out
    assert "<path>" in out  # --config takes a value: its type is still shown


def test_version_long_and_short() -> None:
    for flag in ("--version", "-V"):
        result = subprocess.run(
            [MOTCUA, flag], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"motcua {VERSION}\n"


def test_version_is_listed_in_the_help() -> None:
    out = CliRunner().invoke(app, ["--help"], terminal_width=120).output
    assert "--version" in out and "-V" in out and "phiên bản" in out
