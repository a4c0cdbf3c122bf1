"""Label sheets: every QR reads back as its item's URL, positions, quiet zones and real glyphs."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from tests.webapp.labels.support import pdf_pages, read_qr_texts
from webapp.extensions import db
from webapp.labels import fonts, printing, sheets
from webapp.models import Estate, LabelCode

BASE = "http://127.0.0.1:5000"
PRINTED = "HTTP://127.0.0.1:5000/Q/"  # what the QR carries: upper case, alphanumeric mode


def _sheet(app, estate_id, kind):
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        sheet = printing.prepare_sheet(db.session, printing.Selection(estate, kind), BASE)
        db.session.commit()
        return sheet.labels


def _pdf(labels, template, **kwargs) -> bytes:
    out = io.BytesIO()
    sheets.write_pdf(labels, template, out, **kwargs)
    return out.getvalue()


def _expected_urls(app, estate_id, kind):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(LabelCode.code).where(
                LabelCode.estate_id == estate_id, LabelCode.item_type == kind, LabelCode.active
            )
        )
        return {f"{PRINTED}{code}" for code in rows}


@pytest.mark.parametrize(
    ("kind", "template"), [("unit", "address-24"), ("key", "key-tag"), ("sign", "address-24")]
)
def test_every_qr_on_a_sheet_reads_back_as_its_items_url(app, seed, kind, template):
    """Does a decoder read every QR of the PDF, each the URL of its item's active code?"""
    labels = _sheet(app, seed.estate_ids[0], kind)
    pages = pdf_pages(_pdf(labels, template, workers=2))
    per_page = sheets.TEMPLATES[template].per_page
    assert len(pages) == -(-len(labels) // per_page)
    read = []
    for page in pages:
        read.extend(read_qr_texts(page))
    assert sorted(read) == sorted(label.url for label in labels)
    assert set(read) == _expected_urls(app, seed.estate_ids[0], kind)


def test_a_large_sign_label_reads_back(app, seed):
    """Does the one-per-page sign template carry its URL, one code per page?"""
    labels = _sheet(app, seed.estate_ids[0], "sign")[:3]
    pages = pdf_pages(_pdf(labels, "sign-large"))
    assert [read_qr_texts(p) for p in pages] == [[label.url] for label in labels]


def _label_crop(page: Image.Image, template: sheets.Template, position: int) -> Image.Image:
    x, y = template.origin(position)
    w, h = template.size_px
    # Labels are whole millimetres; the last column may end a pixel past the page.
    return page.crop((x, y, min(x + w, page.width), min(y + h, page.height)))


def test_skip_leaves_the_first_positions_blank_and_starts_after_them(app, seed):
    """With --skip 5, are positions 0-4 untouched and the first label at position 5?"""
    labels = _sheet(app, seed.estate_ids[0], "unit")
    template = sheets.TEMPLATES["address-24"]
    pages = pdf_pages(_pdf(labels, template, skip=5))
    first = pages[0]
    for position in range(5):
        assert _label_crop(first, template, position).getextrema() == (255, 255)
    assert read_qr_texts(_label_crop(first, template, 5)) == [labels[0].url]
    assert len(read_qr_texts(first)) == template.per_page - 5
    # 24 labels after 5 skipped positions need two sheets: 19 + 5.
    assert [len(read_qr_texts(p)) for p in pages] == [19, 5]


@pytest.mark.parametrize("skip", [-1, 24, 1000])
def test_a_skip_outside_the_sheet_is_refused_with_a_message(skip):
    """Is a skip that is no position of the sheet refused, saying what is allowed?"""
    label = sheets.LabelData(
        f"{BASE}/q/0123456789ABCDEF", "ABCDEFG1", "1棟-1單元-1樓-101室", "翠湖花園"
    )
    with pytest.raises(sheets.LabelError, match="skip must be 0 to 23"):
        sheets.write_pdf([label], "address-24", io.BytesIO(), skip=skip)


def test_unknown_template_and_empty_selection_are_refused():
    """Are an unknown template and an empty label list clear errors rather than crashes?"""
    with pytest.raises(sheets.LabelError, match="templates: address-24, key-tag, sign-large"):
        sheets.get_template("tiny")
    with pytest.raises(sheets.LabelError, match="nothing to print"):
        sheets.write_pdf([], "address-24", io.BytesIO())


def test_quiet_zones_are_white_and_every_label_stays_inside_its_box(app, seed):
    """Is the 4-module quiet zone of every QR blank, and does nothing cross a label's edge?"""
    for kind, name in (("unit", "address-24"), ("key", "key-tag")):
        labels = _sheet(app, seed.estate_ids[0], kind)
        template = sheets.TEMPLATES[name]
        plan = sheets.plan_pages(labels, template)[0]
        page, boxes = sheets.render_page(plan, template)
        for box in boxes:
            quiet = sheets.QUIET_MODULES * box.module_px
            assert box.module_px >= template.min_module_px
            ring = page.crop((box.x, box.y, box.x + box.size, box.y + box.size)).copy()
            ImageDraw.Draw(ring).rectangle(
                (quiet, quiet, box.size - quiet - 1, box.size - quiet - 1), fill=1
            )
            assert ring.getextrema() == (1, 1), f"{name}: something in the quiet zone"
        # Draw each label alone and compare: a label drawing beyond its box would differ.
        for offset, label in enumerate(plan.labels[:6]):
            alone = sheets.render_label(label, template)
            on_page = _label_crop(page, template, plan.start + offset)
            assert on_page.tobytes() == alone.crop((0, 0, *on_page.size)).tobytes()
            w, h = template.size_px
            edge = alone.crop((0, 0, w, h))
            inner = edge.copy()
            ImageDraw.Draw(inner).rectangle((4, 4, w - 5, h - 5), fill=1)
            assert inner.getextrema() == (1, 1), f"{name}: ink within 4 px of the label edge"


def test_chinese_text_is_drawn_with_real_glyphs_not_the_missing_glyph_box():
    """Does every character a label prints have a real glyph, unlike the font's .notdef box?"""
    font = fonts.font(48, "bold")
    notdef = font.getmask("\ue000")  # private use: not in Noto Sans Hant, so .notdef
    notdef_bits = (notdef.size, bytes(notdef))
    text = "3棟-2單元-15樓-1502室 防盜鐵門 樓棟號 翠湖花園 業主鑰匙 標識 房屋"
    for char in set(text) - {" "}:
        mask = font.getmask(char)
        assert (mask.size, bytes(mask)) != notdef_bits, f"{char!r} drawn as the missing glyph"
    # And the label drawing itself differs from one drawn with the box in place of the text.
    label = sheets.LabelData(f"{BASE}/q/0123456789ABCDEF", "ABCDEFG1", "棟單元樓室", "翠湖花園")
    boxed = sheets.LabelData(label.url, label.short_code, "\ue000" * 5, label.estate)
    assert (
        sheets.render_label(label, "address-24").tobytes()
        != sheets.render_label(boxed, "address-24").tobytes()
    )


def test_a_missing_font_names_the_fix(monkeypatch, tmp_path):
    """Without the font package, is the error one that says to run make build / npm ci?"""
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "PROJECT_ROOT", tmp_path)
    with pytest.raises(fonts.LabelFontMissing, match=r"make build.*npm ci"):
        fonts.font_path("bold")
    label = sheets.LabelData(f"{BASE}/q/0123456789ABCDEF", "ABCDEFG1", "1棟", "翠湖花園")
    with pytest.raises(fonts.LabelFontMissing):
        sheets.write_pdf([label], "address-24", io.BytesIO())


def test_the_font_is_found_by_env_override(monkeypatch, tmp_path):
    """Does ROUNDS_LABEL_FONT win, and a wrong one say to fix the variable?"""
    real = fonts.font_path("regular")
    monkeypatch.setenv(fonts.ENV_VAR, str(real))
    assert fonts.font_path("bold") == real
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "nope.otf"))
    with pytest.raises(fonts.LabelFontMissing, match=fonts.ENV_VAR):
        fonts.font_path("regular")


def test_short_code_is_printed_grouped_for_reading():
    """Is an 8-character short code printed as two groups of four?"""
    assert sheets.group_short_code("ABCDEFG7") == "ABCD-EFG7"


def test_long_text_wraps_inside_the_column():
    """Does a long item text wrap at separators and fit the column width?"""
    size, lines = sheets.fit_text(
        "12棟-3單元-28樓-2803室 電子對講門", 400, 200, (58, 48, 40, 32), 3
    )
    font = fonts.font(size, "bold")
    assert len(lines) <= 3 and all(font.getlength(line) <= 400 for line in lines)
    assert "".join(lines).replace(" ", "") == "12棟-3單元-28樓-2803室電子對講門"


def test_render_label_png_gives_one_readable_label(app, seed):
    """Does render_label_png (the PWA's fake-camera source) give a PNG of one readable label?"""
    with app.app_context():
        code = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "unit")).first()
        png = printing.render_label_png(code)
        url = f"{PRINTED}{code.code}"
        key = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "key")).first()
        key_png = printing.render_label_png(key, "sign-large")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and round(image.info["dpi"][0]) == 300
    template = sheets.TEMPLATES["address-24"]
    assert image.size == (template.size_px[0] + 80, template.size_px[1] + 80)
    assert read_qr_texts(image.convert("L")) == [url]
    assert read_qr_texts(Image.open(io.BytesIO(key_png)).convert("L")) == [f"{PRINTED}{key.code}"]
