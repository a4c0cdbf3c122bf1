"""The one writer of the printed forms: A4, real text in an embedded subset of Noto Sans Hant.

A form is what the rulebook's paper form was, filled from the records: the estate's header and
the form's name (zh-Hant, with its English name beside it), the facts that head the sheet
(the unit, the period), a ruled table whose headings repeat on every page, the signature lines
the paper form has, photos as thumbnails, and a footer that says which page of how many and
when it was printed. fpdf2 writes the PDF (text stays text: searchable, small, readable with
``pdftotext``); the font is the one the labels are drawn with (``webapp.labels.fonts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from webapp.labels import fonts

FONT = "noto"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (173, 181, 189)
HEAD_FILL = (233, 236, 239)
BAD = (176, 42, 55)  # an answer that is not the good one
THUMB_MM = 34.0
THUMB_PX = 400  # longest side of an embedded photo: sharp at 34 mm, small in the file


@dataclass(frozen=True)
class Column:
    """A table column: its heading in both languages and its share of the width."""

    zh: str
    en: str
    width: float = 1.0
    align: str = "LEFT"


@dataclass(frozen=True)
class Cell:
    """A table cell's text, drawn in the alarm colour when ``bad``."""

    text: str
    bad: bool = False


@dataclass(frozen=True)
class Thumb:
    """A photo to print: its file (None: not uploaded yet) and the caption under it."""

    path: Path | None
    caption: str


class Paper(FPDF):
    """One printed form (or several, one after another, e.g. a month of units)."""

    def __init__(self, *, estate: str, title_zh: str, title_en: str, printed: datetime,
                 landscape: bool = False):  # fmt: skip
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.estate, self.title_zh, self.title_en = estate, title_zh, title_en
        self.printed = printed
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FONT, "", str(fonts.font_path("regular")))
        self.add_font(FONT, "B", str(fonts.font_path("bold")))
        self.set_title(f"{title_zh} {title_en}")
        self.set_author(estate)
        self.set_creator("Rounds")
        self.set_creation_date(printed)
        self.alias_nb_pages()

    # -- every page ------------------------------------------------------------------------

    def header(self) -> None:
        self.set_text_color(*MUTED)
        self.set_font(FONT, "", 8.5)
        self.cell(0, 4.5, self.estate, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 15)
        self.cell(0, 8, f"《{self.title_zh}》", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4.5, self.title_en, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_draw_color(*INK)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.set_y(self.get_y() + 4)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        printed = self.printed.strftime("%Y-%m-%d %H:%M")
        self.cell(0, 4, f"列印 Printed {printed} · Rounds", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"第 {self.page_no()} / {{nb}} 頁 Page", align="R")
        self.set_text_color(*INK)

    # -- blocks ----------------------------------------------------------------------------

    def facts(self, pairs: Sequence[tuple[str, str, str]], columns: int = 2) -> None:
        """The facts that head the sheet, as label: value, ``columns`` to a row."""
        width = (self.w - self.l_margin - self.r_margin) / columns
        for start in range(0, len(pairs), columns):
            y = self.get_y()
            for i, (zh, en, value) in enumerate(pairs[start : start + columns]):
                self.set_xy(self.l_margin + i * width, y)
                self.set_font(FONT, "B", 9.5)
                label = f"{zh} {en}："
                self.cell(self.get_string_width(label) + 1, 6, label)
                self.set_font(FONT, "", 9.5)
                self.cell(width - self.get_string_width(label) - 3, 6, value or "—")
            self.set_xy(self.l_margin, y + 6.5)
        self.ln(1.5)

    def heading(self, zh: str, en: str = "") -> None:
        """A section heading."""
        if self.will_page_break(18):
            self.add_page()
        self.ln(1)
        self.set_font(FONT, "B", 10.5)
        self.cell(self.get_string_width(zh) + 2, 6, zh)
        if en:
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 6, en)
            self.set_text_color(*INK)
        self.ln(6.5)

    def note(self, text: str) -> None:
        """A line of small print (what a mark in the table means, what was left out)."""
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 3.8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.ln(1)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]],
              font_size: float = 8.5) -> None:  # fmt: skip
        """A ruled table; its headings repeat at the top of every page it runs onto."""
        total = sum(c.width for c in columns)
        usable = self.w - self.l_margin - self.r_margin
        widths = [usable * c.width / total for c in columns]
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.set_font(FONT, "", font_size)
        heading = FontFace(emphasis="BOLD", fill_color=HEAD_FILL, size_pt=font_size - 1)
        with super().table(
            col_widths=widths,
            width=usable,
            headings_style=heading,
            line_height=font_size * 0.5,
            padding=(1.2, 1.2),
            repeat_headings=1,
            cell_fill_mode=TableCellFillMode.NONE,
            text_align=tuple(c.align for c in columns),
        ) as grid:
            head = grid.row()
            for c in columns:
                head.cell(f"{c.zh}\n{c.en}" if c.en else c.zh)
            for row in rows:
                line = grid.row()
                for value in row:
                    cell = value if isinstance(value, Cell) else Cell(str(value))
                    style = FontFace(color=BAD, emphasis="BOLD") if cell.bad else None
                    line.cell(cell.text or "", style=style)
        self.ln(2)

    def signatures(self, roles: Sequence[tuple[str, str]]) -> None:
        """Signature and date lines, side by side: (zh, en) for each who signs."""
        if self.will_page_break(22):
            self.add_page()
        self.ln(4)
        width = (self.w - self.l_margin - self.r_margin) / len(roles)
        y = self.get_y()
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        for i, (zh, en) in enumerate(roles):
            x = self.l_margin + i * width
            self.set_xy(x, y)
            self.set_font(FONT, "B", 9)
            self.cell(width - 6, 5, f"{zh}簽名 {en} signature")
            self.line(x, y + 14, x + width - 8, y + 14)
            self.set_xy(x, y + 15)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.cell(width - 6, 4, "日期 Date：")
            self.set_text_color(*INK)
        self.set_xy(self.l_margin, y + 21)

    def thumbs(self, photos: Sequence[Thumb]) -> None:
        """Photos as thumbnails in rows, each with its caption; a photo whose bytes have not
        arrived yet prints as a box that says so."""
        size = THUMB_MM
        per_row = max(1, int((self.w - self.l_margin - self.r_margin + 4) // (size + 4)))
        for start in range(0, len(photos), per_row):
            if self.will_page_break(size + 10):
                self.add_page()
            y = self.get_y()
            for i, photo in enumerate(photos[start : start + per_row]):
                x = self.l_margin + i * (size + 4)
                self._thumb(photo, x, y, size)
            self.set_xy(self.l_margin, y + size + 9)

    def _thumb(self, photo: Thumb, x: float, y: float, size: float) -> None:
        self.set_draw_color(*RULE)
        image = _thumbnail(photo.path) if photo.path else None
        if image is None:
            self.rect(x, y, size, size)
            self.set_xy(x, y + size / 2 - 3)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.multi_cell(size, 3.5, "照片未上傳\nNot uploaded yet", align="C")
            self.set_text_color(*INK)
        else:
            w, h = image.size
            scale = size / max(w, h)
            iw, ih = w * scale, h * scale
            self.image(image, x + (size - iw) / 2, y + (size - ih) / 2, iw, ih)
            self.rect(x, y, size, size)
        self.set_xy(x, y + size + 0.8)
        self.set_font(FONT, "", 7)
        self.multi_cell(size, 3.2, photo.caption, align="C", max_line_height=3.2)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _thumbnail(path: Path) -> Image.Image | None:
    """The photo shrunk for print (JPEG re-encoded by fpdf2), or None if it cannot be read."""
    try:
        with Image.open(path) as image:
            image.load()
            image = image.convert("RGB")
    except (OSError, ValueError):
        return None
    image.thumbnail((THUMB_PX, THUMB_PX))
    return image
