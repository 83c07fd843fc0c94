"""docs/mqtt.md, the contract a device maker reads, says what the code does: its
generated parts are exactly what `protocol.contract_doc` makes from the code now."""

from __future__ import annotations

import difflib
import unicodedata

import pytest

from protocol.conduct import CONDUCT_ITEMS
from protocol.contract_doc import DOC, REGENERATE, SECTIONS, main, render
from protocol.topics import SPECS


def test_docs_mqtt_md_generated_parts_are_current() -> None:
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current)
    diff = "\n".join(
        difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), "docs/mqtt.md", "generated", n=1
        )
    )
    assert wanted == current, f"docs/mqtt.md is out of date: run `{REGENERATE}`\n{diff[:4000]}"


def test_the_check_command_agrees() -> None:
    assert main([]) == 0


def test_rendering_is_stable_and_keeps_the_prose() -> None:
    text = "".join(
        f"prose before {name}\n<!-- generated:{name} -->\nSTALE TEXT\n<!-- /generated:{name} -->\n"
        for name in SECTIONS
    )
    once = render(text)
    assert render(once) == once
    assert "STALE TEXT" not in once
    for name in SECTIONS:
        assert f"prose before {name}\n<!-- generated:{name} -->\n" in once


def test_missing_or_unknown_markers_are_refused() -> None:
    with pytest.raises(ValueError, match="lacks the markers"):
        render("no markers at all")
    every = "".join(f"<!-- generated:{n} -->\n<!-- /generated:{n} -->\n" for n in SECTIONS)
    with pytest.raises(ValueError, match="unknown generated section"):
        render(every + "<!-- generated:nothing -->\n<!-- /generated:nothing -->\n")


def test_the_document_names_every_topic_model_and_conduct_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    for spec in SPECS:
        assert f"`{spec.pattern}`" in text
        assert f"### {spec.model.__name__}\n" in text
    for item in CONDUCT_ITEMS:
        assert f"| `{item.code}` |" in text and item.vi in text
