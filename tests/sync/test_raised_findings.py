"""Findings the server raises from a check (a 有問題 with nothing failed, a label to replace,
two refusals in a row), and findings linked to the check that raised them — through push."""

from __future__ import annotations

import copy
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from sync import derived
from sync.photos import shown_links, store
from tests.sync.conftest import check_op, drain, finding_op
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit
from webapp.models.sync import Check, Finding
from webapp.rounds.service import ensure_defaults

# Long before the demo's history: no other check of the units falls between these.
T = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def place(app, seed):
    """The first estate's round templates by kind, and the codes of its units with no finding
    and no refusal in the demo's history (whose checks all come after ``T``)."""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        templates = {
            t.kind: (t.id, t.checklist_version) for t in ensure_defaults(db.session, estate)
        }
        db.session.commit()
        refused = sa.select(Check.id).where(
            Check.item_type == "unit", Check.item_id == Unit.id, Check.result == "no_access"
        )
        reported = sa.select(Finding.id).where(
            Finding.item_type == "unit", Finding.item_id == Unit.id
        )
        codes = db.session.scalars(
            sa.select(LabelCode.code)
            .join(Unit, sa.and_(LabelCode.item_type == "unit", LabelCode.item_id == Unit.id))
            .where(
                Unit.estate_id == estate.id,
                LabelCode.active,
                ~sa.exists(refused),
                ~sa.exists(reported),
            )
            .order_by(Unit.id)
        ).all()
    assert len(codes) >= 8
    return {"templates": templates, "units": list(codes)}


def _statuses(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [r["status"] for r in response.get_json()["results"]]


def _findings(app, **where) -> list[Finding]:
    with app.app_context():
        query = sa.select(Finding).order_by(Finding.occurred_at, Finding.id)
        for name, value in where.items():
            query = query.where(getattr(Finding, name) == value)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def _item(app, code: str) -> tuple[str, int]:
    with app.app_context():
        row = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == code))
        return row.item_type, row.item_id


def _on_item(app, code: str, category: str | None = None) -> list[Finding]:
    item_type, item_id = _item(app, code)
    found = _findings(app, item_type=item_type, item_id=item_id)
    return [f for f in found if category is None or f.category == category]


def _round_check(place, kind: str, code: str, at=T, **payload) -> dict:
    template_id, version = place["templates"][kind]
    answers = {"_v": version} | payload.pop("answers", {})
    return check_op(code, at, round_id=str(template_id), answers=answers, **payload)


def _photo(app, seed) -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    with app.app_context():
        patrol = seed.user_ids["patrol"]
        store(db.session, app.config["BLOB_DIR"], sha, data, "image/jpeg", patrol, T)
        db.session.commit()
    return sha


# ---------------------------------------------------------------- 有問題 with nothing failed


def test_an_issue_with_nothing_failed_raises_one_finding_with_its_note_and_photos(
    app, phone, seed, place
):
    """Does a renovation check marked 有問題 whose checklist failed nothing raise exactly one
    finding: the round's category, medium, the check's note, photos, item, time and id?"""
    sha = _photo(app, seed)
    code = place["units"][0]
    op = _round_check(
        place,
        "renovation",
        code,
        result="issue",
        note="樓梯間堆放建材",
        photos=[sha],
        answers={"load_bearing": "yes", "facade": "yes", "waterproof": "yes"},
    )
    assert _statuses(phone.push([op])) == ["applied"]
    (finding,) = _on_item(app, code)
    check_id = op["payload"]["id"]
    assert finding.id == derived.derived_id(check_id, "issue")
    assert finding.check_id == check_id
    assert (finding.category, finding.severity, finding.status) == ("裝修違規", "medium", "open")
    assert finding.note == "樓梯間堆放建材"
    assert finding.occurred_at == T and finding.op_id
    with app.app_context():
        check = db.session.get(Check, check_id)
        assert (finding.estate_id, finding.user_id) == (check.estate_id, check.user_id)
        assert shown_links(db.session, "finding", [finding.id]) == [(finding.id, sha)]


def test_an_issue_outside_a_round_with_no_note_says_so(app, phone, place):
    """Does a unit checked 有問題 outside any round, with no note, raise 其他 with a note that
    says what the check said?"""
    code = place["units"][1]
    assert _statuses(phone.push([check_op(code, T, result="issue")])) == ["applied"]
    (finding,) = _on_item(app, code)
    assert (finding.category, finding.note) == ("其他", derived.ISSUE_NOTE)


def test_an_issue_whose_checklist_failed_raises_none_of_the_servers(app, phone, place):
    """With a failed item the phone reports the finding itself (naming the check): does the
    server raise none — with the phone's findings, and without them — where the same check
    with nothing failed raises one?"""
    code, other, passed = place["units"][2], place["units"][3], place["units"][5]
    check = _round_check(
        place, "renovation", code, result="issue", answers={"load_bearing": "no", "facade": "no"}
    )
    check_id = check["payload"]["id"]
    phones = [
        finding_op(code, T, category="裝修違規", severity="critical", check_id=check_id)
        for _ in range(2)
    ]
    assert _statuses(phone.push([check, *phones])) == ["applied"] * 3
    found = _on_item(app, code)
    assert sorted(f.id for f in found) == sorted(p["payload"]["id"] for p in phones)
    assert {f.check_id for f in found} == {check_id}
    alone = _round_check(place, "renovation", other, result="issue", answers={"permit": "no"})
    fine = _round_check(place, "renovation", passed, result="issue", answers={"permit": "yes"})
    assert _statuses(phone.push([alone, fine])) == ["applied"] * 2
    assert _on_item(app, other) == []
    assert [f.check_id for f in _on_item(app, passed)] == [fine["payload"]["id"]]


def test_a_check_pushed_again_never_raises_a_second(app, phone, place):
    """Does the same check pushed twice in a batch, again in a later batch, and once more
    under a new op_id (rejected: its id is taken) leave one check and one finding?"""
    code = place["units"][4]
    op = check_op(code, T, result="issue", note="門口漏水")
    assert _statuses(phone.push([op, op])) == ["applied", "duplicate"]
    assert _statuses(phone.push([op])) == ["duplicate"]
    again = copy.deepcopy(op) | {"op_id": str(uuid.uuid4())}
    result = phone.push([again]).get_json()["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "id_reused")
    assert len(_on_item(app, code)) == 1


def test_a_check_and_its_finding_are_kept_together_or_not_at_all(app, phone, place):
    """When a check cannot be stored (its id belongs to another check), is its finding not
    stored either, while the batch's other ops are?"""
    code, other = place["units"][5], place["units"][6]
    first = check_op(code, T)
    assert _statuses(phone.push([first])) == ["applied"]
    clash = check_op(other, T, result="issue", id=first["payload"]["id"])
    fine = check_op(other, T + timedelta(hours=1), result="issue")
    assert _statuses(phone.push([clash, fine])) == ["rejected", "applied"]
    found = _on_item(app, other)
    assert [f.check_id for f in found] == [fine["payload"]["id"]]


# ---------------------------------------------------------------- an older app's findings


def test_an_older_apps_finding_is_linked_to_its_check_in_either_order(
    app, phone, make_phone, place
):
    """Is a finding with no check_id linked to the sender's check of the same item and time —
    in the same batch, when the check came in an earlier batch, and when the check comes in a
    later one — and does its check then raise no finding of its own? Is a finding a second
    later, or another user's at the same time, left unlinked?"""
    a, b, c, d = place["units"][:4]
    same = [
        check_op(a, T, result="issue"),
        finding_op(a, T),
    ]
    assert _statuses(phone.push(same)) == ["applied"] * 2
    check_first = check_op(b, T, result="ok")
    assert _statuses(phone.push([check_first])) == ["applied"]
    assert _statuses(phone.push([finding_op(b, T)])) == ["applied"]
    late = finding_op(c, T)
    assert _statuses(phone.push([late])) == ["applied"]
    check_late = check_op(c, T, result="issue")
    assert _statuses(phone.push([check_late])) == ["applied"]
    assert [f.check_id for f in _on_item(app, a)] == [same[0]["payload"]["id"]]
    assert [f.check_id for f in _on_item(app, b)] == [check_first["payload"]["id"]]
    assert [(f.id, f.check_id) for f in _on_item(app, c)] == [
        (late["payload"]["id"], check_late["payload"]["id"])
    ]
    assert (
        _statuses(phone.push([check_op(d, T), finding_op(d, T + timedelta(seconds=1))]))
        == ["applied"] * 2
    )
    assert _statuses(make_phone("supervisor").push([finding_op(d, T)])) == ["applied"]
    assert [f.check_id for f in _on_item(app, d)] == [None, None]


def test_the_pull_sends_a_findings_check_and_a_checks_manual_reason(app, phone, place):
    """Does a pull send a finding's check_id (also once linked after it was pulled) and a
    check's manual_reason?"""
    code = place["units"][7]
    now = datetime.now(UTC)
    finding = finding_op(code, now)
    assert _statuses(phone.push([finding])) == ["applied"]
    _changes, cursor = drain(phone)
    check = check_op(code, now, method="manual", manual_reason="label_unreadable")
    assert _statuses(phone.push([check])) == ["applied"]
    changes, _cursor = drain(phone, cursor)
    by_id = {(c["type"], c["id"]): c["data"] for c in changes}
    check_id = check["payload"]["id"]
    assert by_id[("finding", finding["payload"]["id"])]["check_id"] == check_id
    assert by_id[("check", check_id)]["manual_reason"] == "label_unreadable"


# ---------------------------------------------------------------- a label to replace


def test_a_missing_or_damaged_label_raises_one_relabel_finding_while_open(app, phone, place):
    """Does a check not scanned for a missing label raise one low relabel finding; a damaged
    one on the same item (in the batch or later) none while it is open; an unreadable one
    none; and, once it is closed, the next missing label a new one?"""
    code, other = place["units"][0], place["units"][1]
    first = check_op(code, T, method="manual", manual_reason="label_missing")
    second = check_op(code, T + timedelta(hours=1), method="typed", manual_reason="label_damaged")
    unreadable = check_op(other, T, method="manual", manual_reason="label_unreadable")
    assert _statuses(phone.push([first, second, unreadable])) == ["applied"] * 3
    (relabel,) = _on_item(app, code)
    assert (relabel.category, relabel.severity) == (derived.RELABEL_CATEGORY, "low")
    assert relabel.check_id == first["payload"]["id"]
    assert relabel.note == derived.RELABEL_NOTE["label_missing"]
    assert _on_item(app, other) == []
    later = check_op(code, T + timedelta(days=1), method="manual", manual_reason="label_missing")
    assert _statuses(phone.push([later])) == ["applied"]
    assert len(_on_item(app, code)) == 1
    with app.app_context():
        db.session.get(Finding, relabel.id).status = "closed"
        db.session.commit()
    again = check_op(code, T + timedelta(days=2), method="manual", manual_reason="label_damaged")
    assert _statuses(phone.push([again])) == ["applied"]
    assert [f.check_id for f in _on_item(app, code)] == [
        first["payload"]["id"],
        again["payload"]["id"],
    ]


# ---------------------------------------------------------------- refused twice in a row


def _refused(code, at, **payload):
    return check_op(code, at, result="no_access", answers={"no_access": "refused"}, **payload)


def _nobody(code, at):
    return check_op(code, at, result="no_access", answers={"no_access": "nobody_home"})


def test_two_refusals_in_a_row_raise_one_finding_and_a_third_none_while_open(app, phone, place):
    """Do two refusals in a row raise one finding (medium, naming the second check), and a
    third refusal none while it is open?"""
    code = place["units"][2]
    one, two = _refused(code, T), _refused(code, T + timedelta(days=7))
    assert _statuses(phone.push([one])) == ["applied"]
    assert _on_item(app, code) == []
    assert _statuses(phone.push([two])) == ["applied"]
    (finding,) = _on_item(app, code)
    assert (finding.category, finding.severity) == (derived.REFUSED_CATEGORY, "medium")
    assert finding.check_id == two["payload"]["id"]
    assert finding.occurred_at == T + timedelta(days=7)
    assert "2021-03-01" in finding.note and "2021-03-08" in finding.note
    three = _refused(code, T + timedelta(days=14))
    assert _statuses(phone.push([three])) == ["applied"]
    assert len(_on_item(app, code)) == 1


def test_a_visit_or_nobody_home_between_breaks_the_streak(app, phone, place):
    """Does a nobody-home or a visit between two refusals mean no finding, even when it
    arrives before them, where the same refusals without it raise one?"""
    a, b, c = place["units"][3], place["units"][4], place["units"][7]
    ops = [_refused(a, T), _nobody(a, T + timedelta(days=1)), _refused(a, T + timedelta(days=2))]
    ops += [_refused(c, T), _refused(c, T + timedelta(days=2))]
    assert _statuses(phone.push(ops)) == ["applied"] * 5
    assert len(_on_item(app, c)) == 1
    assert _statuses(phone.push([check_op(b, T + timedelta(days=1))])) == ["applied"]
    assert _statuses(phone.push([_refused(b, T + timedelta(days=2))])) == ["applied"]
    assert _statuses(phone.push([_refused(b, T)])) == ["applied"]
    assert _on_item(app, a) == [] and _on_item(app, b) == []


def test_refusals_arriving_out_of_order_raise_one(app, phone, place):
    """Does the earlier refusal arriving after the later one raise the finding (naming the
    one that arrived last), and two refusals in one batch in reverse order raise one?"""
    a, b = place["units"][5], place["units"][6]
    later, earlier = _refused(a, T + timedelta(days=7)), _refused(a, T)
    assert _statuses(phone.push([later])) == ["applied"]
    assert _statuses(phone.push([earlier])) == ["applied"]
    assert [f.check_id for f in _on_item(app, a)] == [earlier["payload"]["id"]]
    batch = [_refused(b, T + timedelta(days=7)), _refused(b, T)]
    assert _statuses(phone.push(batch)) == ["applied"] * 2
    assert len(_on_item(app, b, derived.REFUSED_CATEGORY)) == 1
