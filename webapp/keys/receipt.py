"""《業主鑰匙簽收單》 printed: an owner's keys as handed over at the desk, on A4 through the paper
writer (webapp/paper/pdf.py) — the estate, the unit, the keys, the owner, the identity document
checked (its type and the last 4 of its number, masked), when, who handed them over, the
owner's signature as drawn on the desk's screen, and a line for the desk to sign the paper copy.
Chinese with the English beside (vocab names, never the reader's catalogue), like every form."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image, UnidentifiedImageError

from webapp import vocab
from webapp.keys.history import masked
from webapp.keys.owner import Issue
from webapp.paper.pdf import FONT, INK, MUTED, RULE, Column, Paper

TITLE = ("業主鑰匙簽收單", "Owner key receipt")
SIGNATURE_MM = (90.0, 30.0)  # the box the drawn signature is fitted into (the pad is 3:1)


def _both(vocabulary: str, value: str | None) -> str:
    if not value:
        return ""
    return f"{vocab.zh(vocabulary, value)} {vocab.en(vocabulary, value)}"


def _drawing(data: bytes | None) -> Image.Image | None:
    """The drawn signature flattened on white (its canvas is transparent), or None."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            drawn = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    flat = Image.new("RGBA", drawn.size, (255, 255, 255, 255))
    flat.alpha_composite(drawn)
    return flat.convert("RGB")


def _signature_box(paper: Paper, drawing: Image.Image | None, caption: str) -> None:
    """The owner's signature as drawn, fitted into a ruled box, a caption under it."""
    width, height = SIGNATURE_MM
    if paper.will_page_break(height + 12):
        paper.add_page()
    x, y = paper.l_margin, paper.get_y()
    paper.set_draw_color(*RULE)
    paper.set_line_width(0.2)
    paper.rect(x, y, width, height)
    if drawing is None:
        paper.set_xy(x, y + height / 2 - 2)
        paper.set_font(FONT, "", 8)
        paper.set_text_color(*MUTED)
        paper.cell(width, 4, "未有簽名圖像 No signature drawn", align="C")
    else:
        w, h = drawing.size
        scale = min((width - 4) / w, (height - 4) / h)
        iw, ih = w * scale, h * scale
        paper.image(drawing, x + (width - iw) / 2, y + (height - ih) / 2, iw, ih)
    paper.set_xy(x, y + height + 1)
    paper.set_font(FONT, "", 7.5)
    paper.set_text_color(*MUTED)
    paper.cell(0, 4, caption)
    paper.set_text_color(*INK)
    paper.set_xy(paper.l_margin, y + height + 7)


def render(issue: Issue, drawn: bytes | None, tz, printed: datetime) -> bytes:
    """The receipt as a PDF (bytes)."""
    event, estate, unit = issue.event, issue.estate, issue.unit
    when = event.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed)
    paper.add_page()
    checked = (
        f"{_both('id_document', event.id_type)}  {masked(event.id_last4)}"
        if event.id_type
        else "未記錄 Not recorded"
    )
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("房屋", "Unit", unit.label if unit else ""),
            ("業主", "Owner", event.borrower_name or ""),
            ("交付時間", "Issued", when),
            ("經手人", "Handed over by", issue.handed_by),
        ],
        columns=2,
    )
    paper.set_y(paper.get_y() - 1.5)
    paper.facts([("核驗證件", "ID checked", checked)], columns=1)
    paper.heading("鑰匙", "Keys handed over")
    paper.table(
        [
            Column("#", "", 0.4, "CENTER"),
            Column("鑰匙", "Key", 4.0),
            Column("開啟", "Opens", 2.4),
            Column("數量", "Qty", 0.8, "CENTER"),
        ],
        [
            [str(n), key.label, _both("owner_key_kind", key.kind), "1"]
            for n, key in enumerate(issue.keys, 1)
        ],
        font_size=9,
    )
    owner_name, count = event.borrower_name or "", len(issue.keys)
    paper.set_font(FONT, "", 9.5)
    paper.set_x(paper.l_margin)
    paper.text_lines(
        f"本人 {owner_name} 已收妥上列鑰匙共 {count} 把，並出示身份證件供核驗。\n"
        f"I, {owner_name}, have received the keys listed above ({count} in all), and showed"
        " my identity document to be checked.",
        paper.w - paper.l_margin - paper.r_margin,
        5,
    )
    paper.ln(1.5)
    paper.note(
        "證件號碼只記錄末四位，全號不予保存。"
        " Only the last 4 characters of the ID number are recorded; the whole number is never kept."
    )
    paper.heading("業主簽名", "Owner's signature")
    _signature_box(
        paper, _drawing(drawn), f"於 {when} 在前臺螢幕上簽署 Signed on the desk's screen"
    )
    paper.signatures((("經手人", "Handed over by"),))
    return paper.output_bytes()
