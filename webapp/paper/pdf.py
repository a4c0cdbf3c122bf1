"""The one writer of the printed forms: A4, real text in an embedded subset of Noto Sans Hant.

A form is what the rulebook's paper form was, filled from the records: the estate's header and
the form's name (zh-Hant, with its English name beside it), the facts that head the sheet
(the unit, the period), a ruled table whose headings repeat on every page, the signature lines
the paper form has, photos as thumbnails, and a footer that says which page of how many and
when it was printed. fpdf2 writes the PDF (text stays text: searchable, small, readable with
``pdftotext``); the font is the one the labels are drawn with (``webapp.labels.fonts``), its
faces parsed once per process (``webapp.paper.faces``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from sync.blobs import Ref
from webapp.labels import fonts
from webapp.paper import faces

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
    """A photo to print: where its bytes are (None: not uploaded yet) and its caption."""

    photo: Ref | None
    caption: str


# Kinsoku: a line never starts with closing punctuation, nor ends with opening punctuation.
NO_LINE_START = frozenset("）」』】〉》、。，．：；！？％)]}’”,.:;!?%")
NO_LINE_END = frozenset("（「『【〈《([{‘“")


def may_break(text: str, i: int) -> bool:
    """Whether a line may end between ``text[i - 1]`` and ``text[i]``: at a space, after a
    slash or hyphen, or beside a CJK character — never inside a Latin word or number, and
    never where kinsoku forbids it ("無法進入（無人" and a lone "）" below)."""
    before, after = text[i - 1], text[i]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if before == " " or after == " " or before in "/-":
        return True
    return before >= "\u2e80" or after >= "\u2e80"


class Paper(FPDF):
    """One printed form (or several, one after another, e.g. a month of units)."""

    def __init__(self, *, estate: str, title_zh: str, title_en: str, printed: datetime,
                 landscape: bool = False):  # fmt: skip
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.estate, self.title_zh, self.title_en = estate, title_zh, title_en
        self.printed = printed
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        faces.add_font(self, FONT, "", fonts.font_path("regular"))
        faces.add_font(self, FONT, "B", fonts.font_path("bold"))
        self.set_title(f"{title_zh} {title_en}")
        self.set_author(estate)
        self.set_creator("Rounds")
        self.set_creation_date(printed)
        self.alias_nb_pages()
        self._widths: dict[tuple[str, float, str], float] = {}

    def set_text_shaping(self, use_shaping_engine: bool = True, **_kwargs) -> None:
        """Refused: HarfBuzz's glyph advances are read from the document's fontTools font, and
        of Noto Sans Hant ``faces`` holds the CFF table alone; zh-Hant and English need no
        shaping."""
        if use_shaping_engine:
            raise NotImplementedError("the printed forms do not shape text")

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
        self.text_lines(text, self.w - self.l_margin - self.r_margin, 3.8)
        self.set_text_color(*INK)
        self.ln(1)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[Cell | str]],
              font_size: float = 8.5) -> None:  # fmt: skip
        """A ruled table; its headings repeat at the top of every page it runs onto.

        Drawn line by line with ``text`` rather than fpdf2's table (which lays every cell out
        twice through ``multi_cell``): a month of 200 units' forms is thousands of rows."""
        total = sum(c.width for c in columns)
        usable = self.w - self.l_margin - self.r_margin
        widths = [usable * c.width / total for c in columns]
        aligns = [c.align for c in columns]
        heads = [Cell(f"{c.zh}\n{c.en}" if c.en else c.zh) for c in columns]
        self.set_line_width(0.2)
        self._row(heads, widths, ["CENTER"] * len(columns), font_size - 1, head=True)
        for row in rows:
            cells = [v if isinstance(v, Cell) else Cell(str(v)) for v in row]
            self._row(cells, widths, aligns, font_size, repeat=(heads, font_size - 1))
        self.ln(2)

    def _row(self, cells, widths, aligns, size, head=False, repeat=None) -> None:
        pad = 1.2
        line_h = size * 0.46  # points to millimetres, with leading
        wrapped = []
        for cell, width in zip(cells, widths, strict=True):
            self._use(head or cell.bad, size)
            wrapped.append(self._wrap(cell.text or "", width - 2 * pad))
        height = max(len(lines) for lines in wrapped) * line_h + 2 * pad
        if not head and self.will_page_break(height):
            self.add_page()
            heads, head_size = repeat
            self._row(heads, widths, ["CENTER"] * len(widths), head_size, head=True)
        x, y = self.l_margin, self.get_y()
        self.set_draw_color(*RULE)
        for cell, width, align, lines in zip(cells, widths, aligns, wrapped, strict=True):
            if head:
                self.set_fill_color(*HEAD_FILL)
                self.rect(x, y, width, height, style="DF")
            else:
                self.rect(x, y, width, height)
            if cell.text:
                self._use(head or cell.bad, size)
                self.set_text_color(*(BAD if cell.bad else INK))
            for i, line in enumerate(lines):
                if not line:
                    continue
                left = x + pad
                if align == "CENTER":
                    left = x + (width - self._width(line)) / 2
                self.text(left, y + pad + (i + 0.78) * line_h, line)
            x += width
        self.set_text_color(*INK)
        self.set_xy(self.l_margin, y + height)

    def _use(self, bold: bool, size: float) -> None:
        """The table font, set only when it changes (fpdf2's own check costs more than this)."""
        style = "B" if bold else ""
        if self.font_style != style or self.font_size_pt != size or self.font_family != FONT:
            self.set_font(FONT, style, size)

    def _width(self, text: str) -> float:
        """``get_string_width`` remembered per font, size and text: a form repeats its words."""
        key = (self.font_style, self.font_size_pt, text)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(text)
        return width

    def _wrap(self, text: str, width: float) -> list[str]:
        """Lines of ``text`` no wider than ``width`` in the current font: breaks at newlines,
        then at the last place ``may_break`` allows, else (one word wider than the cell)
        wherever the width runs out."""
        lines = []
        for para in text.split("\n"):
            while para and self._width(para) > width:
                # The longest prefix that fits (binary search), moved back to a break if any.
                lo, hi = 1, len(para)
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if self._width(para[:mid]) <= width:
                        lo = mid
                    else:
                        hi = mid - 1
                cut = next((i for i in range(lo, 0, -1) if may_break(para, i)), lo)
                lines.append(para[:cut].rstrip())
                para = para[cut:].lstrip()
            lines.append(para)
        return lines or [""]

    def text_lines(self, text: str, width: float, height: float, align: str = "L") -> None:
        """``text`` from the current position down, in lines ``_wrap`` breaks (kinsoku: no
        「。」 alone at a line's start, as fpdf's multi_cell would leave it), each ``height``
        high; then back to the left edge this began at, below the last line."""
        x = self.get_x()
        for line in self._wrap(text, width):
            self.set_x(x)
            self.cell(width, height, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)

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
        image = _thumbnail(photo.photo) if photo.photo else None
        if image is None:
            self.rect(x, y, size, size)
            self.set_xy(x, y + size / 2 - 3)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.text_lines("照片未上傳\nNot uploaded yet", size, 3.5, align="C")
            self.set_text_color(*INK)
        else:
            w, h = image.size
            scale = size / max(w, h)
            iw, ih = w * scale, h * scale
            self.image(image, x + (size - iw) / 2, y + (size - ih) / 2, iw, ih)
            self.rect(x, y, size, size)
        self.set_xy(x, y + size + 0.8)
        self.set_font(FONT, "", 7)
        self.text_lines(photo.caption, size, 3.2, align="C")

    def output_bytes(self) -> bytes:
        """The PDF, and the fonts closed: fontTools reads a font lazily and keeps its file open
        until collected (a ResourceWarning wherever that happens) when fpdf2 reads it itself
        (``faces`` falls back to that for a font it cannot share)."""
        try:
            return bytes(self.output())
        finally:
            self.close_fonts()

    def close_fonts(self) -> None:
        """Close the font files (a form dropped before its bytes are written calls this)."""
        for font in self.fonts.values():
            close = getattr(font, "close", None)
            if close is not None:
                close()


def _thumbnail(photo: Ref) -> Image.Image | None:
    """The photo shrunk for print (JPEG re-encoded by fpdf2), or None if it cannot be read."""
    data = photo.read()  # whole: Pillow seeks, an object store's stream cannot
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = image.convert("RGB")
    except (OSError, ValueError):
        return None
    image.thumbnail((THUMB_PX, THUMB_PX))
    return image
