"""Configuration problems as a person reads them: items named by their id (or their
position from 1), Vietnamese then English, a did-you-mean for a misspelt key."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import ConfigError, parse_site_config
from tests.support.sites import site_data


def _message(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_site_config(data, "site.yaml")
    return str(info.value).splitlines()


def test_an_item_without_an_id_is_named_by_its_position_from_one() -> None:
    data = site_data()
    del data["devices"][2]["id"]
    lines = _message(data)
    assert any(
        "devices[#3].id (thiết bị #3): thiếu trường bắt buộc này / Field required" in line
        for line in lines
    ), lines


def test_a_misspelt_key_inside_a_list_item_suggests_the_field() -> None:
    data = site_data()
    data["desks"][1]["nmae"] = data["desks"][1].pop("name")
    lines = _message(data)
    assert len(lines) == 2, lines  # the missing `name` is not told twice
    assert "desks[q2].nmae (quầy q2)" in lines[1]
    assert "có phải ý bạn là name?" in lines[1] and "did you mean name?" in lines[1]


def test_a_wrong_identifier_says_what_an_identifier_is() -> None:
    data = site_data()
    data["devices"][0]["id"] = "Kiosk 1"
    lines = _message(data)
    line = next(x for x in lines if "devices[Kiosk 1].id" in x)
    assert "chữ thường không dấu" in line and "lowercase a–z" in line
    assert "^[a-z0-9]" not in line  # no regular expression for people


def test_a_header_counts_the_problems_in_both_languages() -> None:
    data = site_data()
    data["site"]["timezone"] = "Asia/Hanoi"
    data["calling"]["every_n"] = "ba"
    lines = _message(data)
    assert lines[0] == (
        "site.yaml: cấu hình đơn vị sai (2 lỗi) / invalid site configuration (2 problem(s)):"
    )
    assert "múi giờ lạ 'Asia/Hanoi'" in lines[1] and "unknown time zone" in lines[1]
    assert "calling.every_n: phải là số nguyên / Input should be a valid integer" in lines[2]
