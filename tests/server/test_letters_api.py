"""Issue 12 through the JSON API of a running server (real Mosquitto, SQLite): the dossier
code at "done" and just after, with its refusals, and the letters — an apology with a new
date ("Phiếu xin lỗi và hẹn lại ngày trả kết quả") or a thank-you — recorded, printed as
PDFs and visible only to whom they belong."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from protocol.messages import IssuedTicket
from server.db.tables import LetterRow, RatingRow, TicketEventRow, TicketRow
from server.queue.changes import Changes
from server.ratings.rules import apply_rating
from server.runtime import ServerRuntime
from tests.server.engine_helpers import desk_rating
from tests.support.http import act, login
from tests.support.poppler import pdf_pages, pdf_text
from tests.support.services import sqlite_url

SITE = "gialoc"
CODE = "000.00.25.H23-261105-0012"
LETTERS = f"/api/sites/{SITE}/letters"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    yield sqlite_url(tmp_path)


def _issue(rt: ServerRuntime, service: str = "tp") -> IssuedTicket:
    changes = Changes()
    with rt.db.write() as s:
        ticket = rt.engine.issue(s, service, None, kiosk_id="kiosk-1", changes=changes)
    rt.publisher.submit(changes)
    return ticket


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.status_code} {r.text}"
    return r.json()


def _refused(r: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code} {r.text}"
    detail: dict[str, str] = r.json()["detail"]
    assert detail["code"] == code, detail
    assert detail["message"] and detail["message_en"], detail
    return detail


def _serving(api: TestClient, rt: ServerRuntime, who: dict[str, str], desk: str = "q1") -> str:
    """A citizen called to ``desk`` and being served; their ticket id."""
    _issue(rt, "tp")
    ticket = _ok(act(api, who, desk, "call-next"))["ticket"]
    _ok(act(api, who, desk, "start"))
    return str(ticket["ticket_id"])


def _ticket(rt: ServerRuntime, ticket_id: str) -> TicketRow:
    with rt.db.read() as s:
        t = s.get(TicketRow, uuid.UUID(ticket_id))
        assert t is not None
        return t


# ----------------------------------------------------------------------------- dossier code


def test_done_with_a_scanned_dossier_code_stores_it_for_the_visit_and_its_rating(
    api: TestClient, server: ServerRuntime
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q1", "open"))
    tid = _serving(api, server, lan)
    out = _ok(act(api, lan, "q1", "done", dossier_code=CODE + "\r\n"))  # a scanner's Enter
    assert out["ticket"]["dossier_code"] == CODE and out["ticket"]["state"] == "done"
    assert _ticket(server, tid).dossier_code == CODE
    last = _ok(api.get(f"/api/sites/{SITE}/desks/q1/last-visit", headers=lan))
    assert last["ticket"]["ticket_id"] == tid and last["ticket"]["dossier_code"] == CODE
    assert last["can_attach"] is True
    # the pad's rating: linked by the ticket, so the per-dossier export finds the code
    with server.db.write() as s:
        apply_rating(
            s,
            server.config,
            desk_rating(uuid.UUID(tid), "satisfied", server.engine.clock()),
            desk_id="q1",
            received_at=server.engine.clock(),
        )
    with server.db.read() as s:
        row = s.execute(
            select(RatingRow.level, TicketRow.dossier_code).join(
                TicketRow, TicketRow.id == RatingRow.ticket_id
            )
        ).one()
    assert tuple(row) == ("satisfied", CODE)
    # another clerk does not see this clerk's visit
    hung = login(api, server, "hung", "clerk", "c02")
    assert _ok(api.get(f"/api/sites/{SITE}/desks/q1/last-visit", headers=hung))["ticket"] is None


def test_the_code_scanned_after_done_is_attached_to_the_visit_just_finished(
    api: TestClient, server: ServerRuntime
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q1", "open"))
    _refused(act(api, lan, "q1", "dossier", dossier_code=CODE), 409, "no_recent_visit")
    tid = _serving(api, server, lan)
    _ok(act(api, lan, "q1", "done"))
    assert _ticket(server, tid).dossier_code is None
    out = _ok(act(api, lan, "q1", "dossier", dossier_code="H23-0012", ticket_id=tid))
    assert out["ticket"]["ticket_id"] == tid and out["ticket"]["dossier_code"] == "H23-0012"
    out = _ok(act(api, lan, "q1", "dossier", dossier_code=CODE))  # corrected
    assert _ticket(server, tid).dossier_code == CODE
    _refused(act(api, lan, "q1", "dossier"), 400, "bad_request")  # which code?
    stale = _refused(
        act(api, lan, "q1", "dossier", dossier_code=CODE, ticket_id=str(uuid.uuid4())),
        409,
        "visit_changed",
    )
    assert "A001" in stale["message"]
    # only the clerk of the desk
    hung = login(api, server, "hung", "clerk", "c02")
    _refused(act(api, hung, "q1", "dossier", dossier_code="X1"), 403, "not_your_desk")
    assert _ticket(server, tid).dossier_code == CODE


@pytest.mark.parametrize(
    ("code", "says", "says_en"),
    [
        ("000.00\x1b[31m.25", "ký tự điều khiển", "control characters"),
        ("H23\x00-0012", "ký tự điều khiển", "control characters"),
        ("9" * 41, "dài quá 40 ký tự", "longer than 40 characters"),
        ("HS 0012", "dấu cách", "not a space"),
        ("HS;DROP", "“;”", "not ';'"),
        ("", "để trống", "empty"),
    ],
)
def test_a_bad_dossier_code_is_a_clear_422_and_nothing_is_stored(
    api: TestClient, server: ServerRuntime, code: str, says: str, says_en: str
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q1", "open"))
    tid = _serving(api, server, lan)
    for action in ("done", "dossier"):
        detail = _refused(act(api, lan, "q1", action, dossier_code=code), 422, "invalid")
        assert detail["message"].startswith("Mã hồ sơ") and says in detail["message"], detail
        assert "dossier_code" in detail["message_en"] and says_en in detail["message_en"]
    t = _ticket(server, tid)
    assert t.state == "serving" and t.dossier_code is None, "still in hand, nothing stored"
    with server.db.read() as s:
        kinds = set(s.scalars(select(TicketEventRow.kind)))
    assert "done" not in kinds and "dossier" not in kinds


# ----------------------------------------------------------------------------- letters


def _letter(api: TestClient, who: dict[str, str], status: int = 201, **body: Any) -> dict[str, Any]:
    r = api.post(LETTERS, json=body, headers=who)
    return _ok(r, status) if status < 400 else r.json()


def test_a_clerk_makes_an_apology_for_a_late_result_and_prints_it(
    api: TestClient, server: ServerRuntime, tmp_path: Path
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q3", "open"))
    _issue(server, "dd")  # a land dossier handed in earlier at desk 3 (Đất đai)
    _ok(act(api, lan, "q3", "call-next"))
    _ok(act(api, lan, "q3", "done", dossier_code=CODE))
    today = server.engine.today()
    new_date = today + timedelta(days=5)
    reason = "Chờ ý kiến <b>Phòng Tài nguyên & Môi trường</b> về nguồn gốc đất"
    out = _letter(
        api, lan, kind="apology", dossier_code=CODE, reason=reason, new_date=str(new_date)
    )
    assert out["kind"] == "apology" and out["dossier_code"] == CODE
    assert (out["desk_id"], out["clerk_id"], out["created_by"]) == ("q3", "c01", "lan")
    assert out["service"] == "dd", "the service of the visit with that dossier code"
    assert out["new_date"] == str(new_date) and out["day"] == str(today)
    assert out["signer_title"] == "Trưởng Bộ phận Một cửa"  # from letters: in the site YAML
    assert out["pdf_url"] == f"{LETTERS}/{out['id']}.pdf"

    r = api.get(out["pdf_url"], headers=lan)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('inline; filename="phieu-xin-loi-')
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    flat = " ".join(text.split())
    for expected in (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND HUYỆN GIA LỘC",
        f"Gia Lộc, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        f"Kính gửi: Ông/Bà có hồ sơ mã số {CODE}",
        f"{new_date:%d/%m/%Y}",
        "TRƯỞNG BỘ PHẬN MỘT CỬA",
        "(Ký, ghi rõ họ tên)",
    ):
        assert expected in flat, (expected, text)
    assert "<b>Phòng Tài nguyên & Môi trường</b>" in flat, "the clerk's text printed as typed"
    pages = pdf_pages(r.content, tmp_path, dpi=60)
    assert len(pages) == 1 and pages[0].stat().st_size > 5000
    # recorded, for printing again and for the reports
    assert _ok(api.get(f"{LETTERS}/{out['id']}", headers=lan))["reason"] == reason
    listed = _ok(api.get(LETTERS, headers=lan))
    assert [x["id"] for x in listed] == [out["id"]]


def test_a_thank_you_letter_needs_no_date_and_a_supervisor_may_make_one(
    api: TestClient, server: ServerRuntime
) -> None:
    boss = login(api, server, "giamsat", "supervisor")
    out = _letter(
        api,
        boss,
        kind="thanks",
        dossier_code="H23.41-0007",
        reason="Cảm ơn ông/bà đã góp ý về chỗ ngồi chờ.",
        new_date=str(server.engine.today()),  # ignored: a thank-you promises no date
        signer_title="Phó Chủ tịch UBND xã",
        signer_name="Trần Văn Hùng",
    )
    assert out["new_date"] is None and out["clerk_id"] is None and out["desk_id"] is None
    assert out["service"] is None  # no visit has this code
    text = " ".join(pdf_text(api.get(out["pdf_url"], headers=boss).content).split())
    assert "THƯ CẢM ƠN" in text and "H23.41-0007" in text
    assert "PHÓ CHỦ TỊCH UBND XÃ" in text and "Trần Văn Hùng" in text


def test_letters_are_validated_and_nothing_is_stored_when_refused(
    api: TestClient, server: ServerRuntime
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    today = server.engine.today()
    good = {
        "kind": "apology",
        "dossier_code": CODE,
        "reason": "Chờ xác minh",
        "new_date": str(today),
    }

    def refused(status: int, code: str, **change: Any) -> dict[str, str]:
        body = {**good, **change}
        return _refused(api.post(LETTERS, json=body, headers=lan), status, code)

    d = refused(422, "bad_new_date", new_date=None)
    assert d["message"] == "Hãy chọn ngày hẹn trả kết quả mới"
    d = refused(422, "bad_new_date", new_date=str(today - timedelta(days=1)))
    assert "không được trước hôm nay" in d["message"] and "before today" in d["message_en"]
    refused(422, "bad_new_date", new_date=str(today + timedelta(days=400)))
    refused(422, "invalid", new_date="02/12/2026")  # JSON takes ISO dates
    d = refused(422, "invalid", reason="   ")
    assert d["message"] == "Hãy ghi lý do hoặc nội dung"
    d = refused(422, "invalid", reason="x" * 501)
    assert "dài quá 500 ký tự" in d["message"] and "reason" in d["message_en"]
    d = refused(422, "invalid", reason="Chờ\x1b xác minh")
    assert "ký tự điều khiển" in d["message"]
    d = refused(422, "invalid", dossier_code="HS\x00")
    assert d["message"].startswith("Mã hồ sơ có ký tự điều khiển")
    refused(422, "invalid", kind="complaint")
    refused(422, "invalid", signer_name="n" * 81)
    refused(422, "invalid", extra="field")
    with server.db.read() as s:
        assert s.scalar(select(func.count()).select_from(LetterRow)) == 0
    # a reason of exactly 500 characters, line breaks kept
    reason = ("Hồ sơ cần bổ sung ý kiến thẩm định.\n" * 20)[:500]
    out = _letter(api, lan, **{**good, "reason": reason})
    assert out["reason"] == reason.strip()


def test_who_may_make_and_read_letters(api: TestClient, server: ServerRuntime) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    hung = login(api, server, "hung", "clerk", "c02")
    boss = login(api, server, "giamsat", "supervisor")
    admin = login(api, server, "admin", "admin")
    board = login(api, server, "bang", "board")
    body = {"kind": "thanks", "dossier_code": CODE, "reason": "Cảm ơn ông/bà."}
    mine = _letter(api, lan, **body)
    theirs = _letter(api, hung, **{**body, "dossier_code": "HS-2"})

    _refused(api.post(LETTERS, json=body, headers=board), 403, "forbidden")
    _refused(api.get(LETTERS, headers=board), 403, "forbidden")
    _refused(api.get(mine["pdf_url"], headers=board), 403, "forbidden")
    _refused(api.post(LETTERS, json=body), 401, "not_logged_in")
    d = _refused(api.get(theirs["pdf_url"], headers=lan), 403, "not_your_letter")
    assert d["message"] == "Phiếu này do cán bộ khác lập"
    _refused(api.get(f"{LETTERS}/{theirs['id']}", headers=lan), 403, "not_your_letter")
    assert [x["id"] for x in _ok(api.get(LETTERS, headers=lan))] == [mine["id"]]
    assert [x["id"] for x in _ok(api.get(LETTERS, headers=hung))] == [theirs["id"]]
    for who in (boss, admin):
        assert {x["id"] for x in _ok(api.get(LETTERS, headers=who))} == {mine["id"], theirs["id"]}
        assert api.get(theirs["pdf_url"], headers=who).status_code == 200
    _refused(api.get(f"{LETTERS}/{uuid.uuid4()}.pdf", headers=boss), 404, "not_found")
    _refused(
        api.get(f"/api/sites/hanoi/letters/{mine['id']}.pdf", headers=boss), 404, "unknown_site"
    )


def test_letters_are_listed_by_period(api: TestClient, server: ServerRuntime) -> None:
    boss = login(api, server, "giamsat", "supervisor")
    out = _letter(api, boss, kind="thanks", dossier_code=CODE, reason="Cảm ơn.")
    today = server.engine.today()
    for period in (str(today), f"{today:%Y-%m}", str(today.year), f"{today}..{today}"):
        assert [
            x["id"] for x in _ok(api.get(LETTERS, params={"period": period}, headers=boss))
        ] == [out["id"]]
    last_year = str(today.year - 1)
    assert _ok(api.get(LETTERS, params={"period": last_year}, headers=boss)) == []
    d = _refused(api.get(LETTERS, params={"period": "2026-13"}, headers=boss), 422, "bad_period")
    assert "2026-13" in d["message"]
