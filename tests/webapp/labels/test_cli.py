"""`flask labels`: sheets, single labels, reuse of active codes, reprint, and clear refusals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webapp.labels.support import pdf_pages, read_qr_texts
from webapp.extensions import db
from webapp.models import Building, LabelCode, Unit

PRINTED = "HTTP://127.0.0.1:5000/Q/"  # what the QR carries: upper case, alphanumeric mode


def _codes(app):
    with app.app_context():
        return {
            (c.item_type, c.item_id, c.code, c.active)
            for c in db.session.scalars(sa.select(LabelCode))
        }


def _read(path):
    return [read_qr_texts(page) for page in pdf_pages(path.read_bytes())]


def test_a_sheet_by_estate_name_reuses_active_codes(app, seed, runner, tmp_path):
    """Does printing twice print the same active codes, minting nothing new?"""
    before = _codes(app)
    out = tmp_path / "units.pdf"
    result = runner.invoke(
        args=["labels", "--estate", "翠湖花園", "--kind", "unit", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "0 minted" in result.output
    first = _read(out)
    runner.invoke(
        args=["labels", "--estate", str(seed.estate_ids[0]), "--kind", "unit", "--out", str(out)]
    )
    assert _read(out) == first
    assert _codes(app) == before
    with app.app_context():
        active = {
            f"{PRINTED}{c}"
            for c in db.session.scalars(
                sa.select(LabelCode.code).where(
                    LabelCode.estate_id == seed.estate_ids[0],
                    LabelCode.item_type == "unit",
                    LabelCode.active,
                )
            )
        }
    assert sorted(sum(first, [])) == sorted(active)


def test_codes_are_minted_only_for_items_without_one(app, seed, runner, tmp_path):
    """Does an item that lost its code get one minted while the others keep theirs?"""
    with app.app_context():
        unit = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0])
        ).first()
        db.session.execute(
            sa.delete(LabelCode).where(LabelCode.item_type == "unit", LabelCode.item_id == unit.id)
        )
        db.session.commit()
    before = _codes(app)
    out = tmp_path / "units.pdf"
    result = runner.invoke(args=["labels", "--estate", "1", "--kind", "unit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "23 active codes reused, 1 minted" in result.output
    after = _codes(app)
    assert before < after and len(after - before) == 1


def test_building_and_floor_choose_the_items(app, seed, runner, tmp_path):
    """Do --building and --floor print just that building's floor?"""
    out = tmp_path / "floor.pdf"
    result = runner.invoke(
        args=["labels", "--estate", "1", "--kind", "unit", "--building", "1棟", "--floor", "2",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        ids = db.session.scalars(
            sa.select(Unit.id)
            .join(Building)
            .where(Building.name == "1棟", Unit.floor == 2, Unit.estate_id == seed.estate_ids[0])
        ).all()
        urls = {
            f"{PRINTED}{c.code}"
            for c in db.session.scalars(
                sa.select(LabelCode).where(
                    LabelCode.item_type == "unit", LabelCode.item_id.in_(ids), LabelCode.active
                )
            )
        }
    assert ids and set(sum(_read(out), [])) == urls


def test_reprint_retires_the_code_and_prints_the_new_one(app, seed, runner, tmp_path):
    """Does --reprint retire the old code (when, why, by what) and print only the new code?"""
    with app.app_context():
        old = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "key")).first()
        old_code, item = old.code, (old.item_type, old.item_id)
    out = tmp_path / "one.pdf"
    result = runner.invoke(
        args=["labels", "--reprint", old_code.lower(), "--reason", "faded", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        old = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == old_code))
        new = db.session.get(LabelCode, old.replaced_by_id)
        assert not old.active and old.retired_reason == "faded" and old.retired_at is not None
        assert new.active and (new.item_type, new.item_id) == item
        assert new.code in result.output
    assert _read(out) == [[f"{PRINTED}{new.code}"]]
    again = runner.invoke(args=["labels", "--reprint", old_code, "--out", str(out)])
    assert again.exit_code != 0 and "already retired" in again.output and new.code in again.output


def test_one_label_by_code_at_a_skipped_position(app, seed, runner, tmp_path):
    """Does --code print that single label, where --skip says, without retiring anything?"""
    with app.app_context():
        code = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "sign")).first()
        code_text = code.code
    before = _codes(app)
    out = tmp_path / "one.pdf"
    result = runner.invoke(args=["labels", "--code", code_text, "--skip", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _read(out) == [[f"{PRINTED}{code_text}"]]
    assert _codes(app) == before
    from webapp.labels import sheets

    page = pdf_pages(out.read_bytes())[0]
    template = sheets.TEMPLATES["address-24"]
    x, y = template.origin(7)
    w, h = template.size_px
    assert read_qr_texts(page.crop((x, y, x + w, y + h))) == [f"{PRINTED}{code_text}"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--estate", "無此小區", "--kind", "unit"], "no estate '無此小區'; known estates"),
        (["--estate", "1", "--kind", "door"], "unknown kind 'door'; kinds: unit, key, sign"),
        (["--estate", "1", "--kind", "unit", "--template", "a5"], "unknown template 'a5'"),
        (["--estate", "1", "--kind", "unit", "--skip", "-3"], "skip must be 0 to 23"),
        (["--estate", "1", "--kind", "key", "--skip", "40"], "skip must be 0 to 39"),
        (["--estate", "1", "--kind", "unit", "--building", "99棟"], "no building '99棟'"),
        (["--estate", "1", "--kind", "unit", "--floor", "77"], "nothing to print"),
        (["--reprint", "NOPE0NOPE0NOPE00"], "unknown code 'NOPE0NOPE0NOPE00'"),
        (["--code", "!!"], "unknown code '!!'"),
        (["--kind", "unit"], "give --estate and --kind"),
        (["--estate", "1", "--kind", "unit", "--skip", "x"], "'x' is not a valid integer"),
    ],
)
def test_bad_input_gets_a_clear_message_not_a_traceback(app, seed, runner, tmp_path, args, message):
    """Is each kind of bad input refused with a message that says what is wrong?"""
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["labels", *args, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert not out.exists()


def test_a_file_that_cannot_be_written_is_a_message(app, seed, runner, tmp_path):
    """Is an unwritable --out path a clear message?"""
    out = tmp_path / "missing-dir" / "x.pdf"
    result = runner.invoke(args=["labels", "--estate", "1", "--kind", "unit", "--out", str(out)])
    assert result.exit_code != 0 and "cannot write" in result.output


def test_a_reprint_reason_over_200_is_refused(app, seed, runner, tmp_path):
    """Is ``--reason`` of 201 characters refused (it was cut to 200), the code kept active?"""
    with app.app_context():
        old = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "key")).first()
        old_code = old.code
    out = tmp_path / "one.pdf"
    args = ["labels", "--reprint", old_code, "--reason", "x" * 201, "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "at most 200" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(LabelCode).where(LabelCode.code == old_code)).active
