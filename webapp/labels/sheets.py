"""Label sheets: A4 pages at 300 dpi, 1-bit, with QR modules drawn straight from the matrix.

Nothing here touches the database: a sheet is drawn from plain ``LabelData`` so pages can
be drawn in worker processes and the PDF written as they come back.
See docs/labels.md for why the error-correction level and module sizes are what they are.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageDraw, PdfParser
from qrcode.constants import ERROR_CORRECT_Q

from webapp.labels import fonts, qr

DPI = 300
A4_MM = (210.0, 297.0)
QUIET_MODULES = 4  # the quiet zone ISO/IEC 18004 asks for, kept white on every label
ERROR_CORRECTION = ERROR_CORRECT_Q  # 25 % of the code may be dirt or damage
BLACK, WHITE = 0, 1


def mm(value: float) -> int:
    """Millimetres to pixels at 300 dpi."""
    return round(value * DPI / 25.4)


PAGE_SIZE = (mm(A4_MM[0]), mm(A4_MM[1]))


class LabelError(ValueError):
    """A request the renderer cannot honour, with a message for the person asking."""


@dataclass(frozen=True)
class LabelData:
    """What one label shows: plain values, so it can travel to a worker process."""

    url: str
    short_code: str
    text: str  # the item's Chinese text: 3棟-2單元-15樓-1502室
    estate: str
    caption: str = ""  # what kind of thing: 房屋, 業主鑰匙, 標識


@dataclass(frozen=True)
class Template:
    """A label stock: label size, grid on the A4 sheet, and how a label is laid out."""

    name: str
    width_mm: float
    height_mm: float
    cols: int
    rows: int
    left_mm: float
    top_mm: float
    layout: str  # "side": QR left, text right; "poster": one big label per page
    module_px: int  # preferred QR module size in pixels (dots at 300 dpi)
    min_module_px: int  # smaller than this will not scan reliably at arm's length
    pad_px: int = 0  # distance of the QR box (quiet zone included) from the label edge
    text_pad_px: int = 0  # distance of the text from the label's other edges
    code_size: int = 54  # short code font size in pixels
    small_size: int = 28  # estate name and caption
    text_sizes: tuple[int, ...] = (60, 54, 48, 44, 40, 36, 32)
    max_lines: int = 3

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def size_px(self) -> tuple[int, int]:
        return mm(self.width_mm), mm(self.height_mm)

    def origin(self, position: int) -> tuple[int, int]:
        """Top-left pixel of the label at ``position`` (row by row from the top left)."""
        row, col = divmod(position, self.cols)
        return mm(self.left_mm + col * self.width_mm), mm(self.top_mm + row * self.height_mm)


TEMPLATES: dict[str, Template] = {
    # 70 x 37 mm, 3 x 8 = 24 per A4: the common address-label stock.
    "address-24": Template(
        "address-24", 70, 37, 3, 8, 0, 0.5, "side", module_px=8, min_module_px=6,
        pad_px=22, text_pad_px=46, code_size=48, small_size=28,
        text_sizes=(66, 60, 54, 48, 44, 40, 36, 32),
    ),
    # 52.5 x 29.7 mm, 4 x 10 = 40 per A4: small enough for a key tag.
    "key-tag": Template(
        "key-tag", 52.5, 29.7, 4, 10, 0, 0, "side", module_px=6, min_module_px=5,
        pad_px=14, text_pad_px=36, code_size=36, small_size=22,
        text_sizes=(40, 36, 32, 29, 26, 24),
    ),
    # One label per A4 page, for a sign read from a distance.
    "sign-large": Template(
        "sign-large", 210, 297, 1, 1, 0, 0, "poster", module_px=48, min_module_px=24,
        pad_px=180, text_pad_px=180, code_size=170, small_size=64,
        text_sizes=(150, 130, 110, 96, 84, 72), max_lines=3,
    ),
}  # fmt: skip

DEFAULT_TEMPLATE = {"unit": "address-24", "sign": "address-24", "key": "key-tag"}


def get_template(name: str) -> Template:
    """The template called ``name``, or LabelError listing the known ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        known = ", ".join(TEMPLATES)
        raise LabelError(f"unknown template {name!r}; templates: {known}") from None


def check_skip(template: Template, skip: int) -> None:
    """Refuse a skip that is not a position on the first sheet."""
    if skip < 0 or skip >= template.per_page:
        raise LabelError(
            f"skip must be 0 to {template.per_page - 1}: a {template.name} sheet has "
            f"{template.per_page} positions"
        )


def group_short_code(short: str) -> str:
    """The short code as printed, grouped for reading aloud: ABCD-EFG7."""
    return f"{short[:4]}-{short[4:]}" if len(short) > 4 else short


# --- the QR code ----------------------------------------------------------------------


def qr_matrix(data: str) -> qr.Matrix:
    """The (full, never Micro) QR symbol for ``data``, exactly as qrcode makes it."""
    return qr.make(data, ERROR_CORRECTION)


def draw_matrix(draw: ImageDraw.ImageDraw, matrix: qr.Matrix, x: int, y: int, px: int) -> None:
    """Draw dark modules as one rectangle per horizontal run, straight onto the page."""
    rectangle = draw.rectangle
    for r, start, end in matrix.dark_runs():
        top = y + r * px
        rectangle((x + start * px, top, x + end * px - 1, top + px - 1), fill=BLACK)


# --- text ---------------------------------------------------------------------------------

_BREAK_AFTER = "-·・ /"


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: after separators, else between CJK characters."""
    pieces, current = [], ""
    for char in text:
        current += char
        if char in _BREAK_AFTER:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _atoms(piece: str) -> list[str]:
    """A piece split between CJK characters, keeping runs of Latin letters and digits."""
    atoms, current = [], ""
    for char in piece:
        if ord(char) > 0x2E80:
            if current:
                atoms.append(current)
            atoms.append(char)
            current = ""
        else:
            current += char
    if current:
        atoms.append(current)
    return atoms


def _wrap(tokens: list[str], font, width: int) -> list[str]:
    lines, line = [], ""
    for token in tokens:
        candidate = line + token
        if line and font.getlength(candidate.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _balanced(tokens: list[str], font, width: int, count: int) -> list[str] | None:
    """The same number of lines with the longest as short as possible (None: no better)."""
    if count < 2 or len(tokens) < count:
        return None
    widths = [font.getlength(t) for t in tokens]
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    n = len(tokens)
    inf = float("inf")
    # best[j][i]: the smallest longest line putting the first i tokens on j lines.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for j in range(1, count + 1):
        for i in range(1, n + 1):
            for k in range(j - 1, i):
                value = max(best[j - 1][k], prefix[i] - prefix[k])
                if value < best[j][i]:
                    best[j][i], cut[j][i] = value, k
    lines, i = [], n
    for j in range(count, 0, -1):
        k = cut[j][i]
        lines.append("".join(tokens[k:i]).strip())
        i = k
    lines.reverse()
    if any(not line or font.getlength(line) > width for line in lines):
        return None
    return lines


def fit_text(text: str, width: int, height: int, sizes: Iterable[int], max_lines: int):
    """The largest size (and its lines) at which ``text`` fits the box, breaking nicely."""
    pieces = _tokens(text)
    atoms = [a for p in pieces for a in _atoms(p)]
    size, lines = 0, [text]
    for size in sizes:
        font = fonts.font(size, "bold")
        if size * 1.15 > height:
            continue
        for tokens in (pieces, atoms):
            lines = _wrap(tokens, font, width)
            fits = all(font.getlength(line) <= width for line in lines)
            if fits and len(lines) <= max_lines and len(lines) * size * 1.15 <= height:
                return size, _balanced(tokens, font, width, len(lines)) or lines
    # Smallest size, cut to the lines that fit: never drawn outside the label.
    font = fonts.font(size, "bold")
    lines = _wrap(atoms, font, width)[:max_lines]
    return size, lines


def _draw_lines(draw, lines, x, y, size, weight="bold", align_width: int | None = None):
    """Draw lines from top ``y``; centred in ``align_width`` if given. Returns the bottom."""
    font = fonts.font(size, weight)
    pitch = round(size * 1.15)
    baseline = y + round(size * 0.9)
    for line in lines:
        lx = x
        if align_width is not None:
            lx = x + (align_width - round(font.getlength(line))) // 2
        draw.text((lx, baseline), line, font=font, fill=BLACK, anchor="ls")
        baseline += pitch
    return y + pitch * len(lines)


def _clip_to_width(text: str, size: int, width: int, weight: str = "regular") -> str:
    font = fonts.font(size, weight)
    while text and font.getlength(text) > width:
        text = text[:-1]
    return text


# --- one label -------------------------------------------------------------------------


def module_px_for(template: Template, modules: int) -> int:
    """The module size for a code of ``modules`` modules on this template, or LabelError."""
    box_modules = modules + 2 * QUIET_MODULES
    w, h = template.size_px
    if template.layout == "poster":
        room = min(w - 2 * template.pad_px, h // 2 + h // 8)
    else:
        room = h - template.pad_px - round(template.code_size * 1.25) - template.pad_px // 2
    px = min(template.module_px, room // box_modules)
    if px < template.min_module_px:
        raise LabelError(
            f"the QR code ({modules} modules) does not fit a {template.name} label at "
            f"{template.min_module_px} dots per module: shorten PUBLIC_BASE_URL"
        )
    return px


@dataclass(frozen=True)
class QrBox:
    """Where a label's QR code sits, quiet zone included (for tests and previews)."""

    x: int
    y: int
    module_px: int
    modules: int

    @property
    def size(self) -> int:
        return (self.modules + 2 * QUIET_MODULES) * self.module_px


def draw_label(draw: ImageDraw.ImageDraw, label: LabelData, template: Template, ox: int, oy: int):
    """Draw one label with its top-left corner at (ox, oy); return where its QR box is."""
    matrix = qr_matrix(label.url)
    n = matrix.size
    px = module_px_for(template, n)
    if template.layout == "poster":
        return _draw_poster(draw, label, template, ox, oy, matrix, px)
    w, h = template.size_px
    box = QrBox(ox + template.pad_px, oy + template.pad_px, px, n)
    quiet = QUIET_MODULES * px
    draw_matrix(draw, matrix, box.x + quiet, box.y + quiet, px)

    # The short code under the QR box, centred on it, outside the quiet zone.
    code = group_short_code(label.short_code)
    code_font = fonts.font(template.code_size, "bold")
    code_w = round(code_font.getlength(code))
    code_top = box.y + box.size + template.pad_px // 4
    draw.text(
        (box.x + (box.size - code_w) // 2, code_top + round(template.code_size * 0.82)),
        code,
        font=code_font,
        fill=BLACK,
        anchor="ls",
    )

    # The text column to the right of the QR box.
    tx = box.x + box.size + template.pad_px // 2
    tw = ox + w - template.text_pad_px - tx
    top = oy + round(template.text_pad_px * 0.6)
    bottom = oy + h - round(template.text_pad_px * 0.6)
    small = template.small_size
    estate = _clip_to_width(label.estate, small, tw)
    _draw_lines(draw, [estate], tx, top, small, weight="regular")
    caption_h = round(small * 1.15) if label.caption else 0
    text_top = top + round(small * 1.15) + small // 3
    text_h = bottom - caption_h - small // 3 - text_top
    size, lines = fit_text(label.text, tw, text_h, template.text_sizes, template.max_lines)
    _draw_lines(draw, lines, tx, text_top, size)
    if label.caption:
        caption = _clip_to_width(label.caption, small, tw)
        _draw_lines(draw, [caption], tx, bottom - caption_h, small, weight="regular")
    return box


def _draw_poster(draw, label: LabelData, template: Template, ox, oy, matrix, px) -> QrBox:
    w, h = template.size_px
    pad = template.pad_px
    inner = w - 2 * pad
    y = oy + pad
    estate = _clip_to_width(label.estate, template.small_size, inner)
    y = _draw_lines(draw, [estate], ox + pad, y, template.small_size, "regular", inner)
    y += template.small_size // 2
    size, lines = fit_text(
        label.text, inner, round(max(template.text_sizes) * 1.15 * 3), template.text_sizes, 3
    )
    y = _draw_lines(draw, lines, ox + pad, y, size, "bold", inner)
    n = matrix.size
    box_size = (n + 2 * QUIET_MODULES) * px
    box = QrBox(ox + (w - box_size) // 2, y + template.small_size // 2, px, n)
    quiet = QUIET_MODULES * px
    draw_matrix(draw, matrix, box.x + quiet, box.y + quiet, px)
    y = box.y + box.size
    code = group_short_code(label.short_code)
    y = _draw_lines(draw, [code], ox + pad, y, template.code_size, "bold", inner)
    if label.caption:
        _draw_lines(draw, [label.caption], ox + pad, y, template.small_size, "regular", inner)
    return box


def render_label(label: LabelData, template: Template | str) -> Image.Image:
    """One label on its own, at 300 dpi, 1-bit (for previews and the PWA's fake camera)."""
    template = get_template(template) if isinstance(template, str) else template
    image = Image.new("1", template.size_px, WHITE)
    draw_label(ImageDraw.Draw(image), label, template, 0, 0)
    return image


# --- pages and the PDF -----------------------------------------------------------------


@dataclass(frozen=True)
class PagePlan:
    """What one page holds: the position of its first label and the labels in order."""

    start: int
    labels: tuple[LabelData, ...]


def plan_pages(labels: list[LabelData], template: Template, skip: int = 0) -> list[PagePlan]:
    """Split labels into pages, leaving the first ``skip`` positions of the first sheet."""
    check_skip(template, skip)
    if not labels:
        raise LabelError("nothing to print: no labels were chosen")
    pages, i, start = [], 0, skip
    while i < len(labels):
        room = template.per_page - start
        pages.append(PagePlan(start, tuple(labels[i : i + room])))
        i += room
        start = 0
    return pages


def render_page(plan: PagePlan, template: Template) -> tuple[Image.Image, list[QrBox]]:
    """Draw one A4 page of labels; return it and where each label's QR box is."""
    page = Image.new("1", PAGE_SIZE, WHITE)
    draw = ImageDraw.Draw(page)
    boxes = []
    for offset, label in enumerate(plan.labels):
        ox, oy = template.origin(plan.start + offset)
        boxes.append(draw_label(draw, label, template, ox, oy))
    return page, boxes


def encode_page(page: Image.Image) -> bytes:
    """The page as a CCITT Group 4 stream, as Pillow's own PDF writer embeds 1-bit pages."""
    out = io.BytesIO()
    width, height = page.size
    page.save(out, "TIFF", compression="group4", strip_size=math.ceil(width / 8) * height)
    return out.getvalue()[8:]


def _render_encoded(job: tuple[str, PagePlan]) -> bytes:
    name, plan = job
    page, _boxes = render_page(plan, TEMPLATES[name])
    return encode_page(page)


class PdfWriter:
    """A PDF written page by page with Pillow's PdfParser, so memory stays one page deep."""

    def __init__(self, fp: BinaryIO, pages: int, size_px: tuple[int, int] = PAGE_SIZE):
        self.size_px = size_px
        self.pdf = PdfParser.PdfParser(f=fp, mode="w+b")
        self.pdf.start_writing()
        self.pdf.write_header()
        self.pdf.write_comment("Rounds label sheet")
        self.page_refs, self.content_refs = [], []
        for _ in range(pages):
            self.page_refs.append(self.pdf.next_object_id(0))
            self.content_refs.append(self.pdf.next_object_id(0))
            self.pdf.pages.append(self.page_refs[-1])
        self.pdf.write_catalog()
        self.written = 0
        self.fp = fp

    def add_page(self, g4: bytes) -> None:
        width, height = self.size_px
        params = PdfParser.PdfArray(
            [PdfParser.PdfDict({"K": -1, "BlackIs1": True, "Columns": width, "Rows": height})]
        )
        image_ref = self.pdf.write_obj(
            None,
            stream=g4,
            Type=PdfParser.PdfName("XObject"),
            Subtype=PdfParser.PdfName("Image"),
            Width=width,
            Height=height,
            Filter=PdfParser.PdfArray([PdfParser.PdfName("CCITTFaxDecode")]),
            DecodeParms=params,
            BitsPerComponent=1,
            ColorSpace=PdfParser.PdfName("DeviceGray"),
        )
        pw, ph = width * 72.0 / DPI, height * 72.0 / DPI
        i = self.written
        self.pdf.write_page(
            self.page_refs[i],
            Resources=PdfParser.PdfDict(
                ProcSet=[PdfParser.PdfName("PDF"), PdfParser.PdfName("ImageB")],
                XObject=PdfParser.PdfDict(image=image_ref),
            ),
            MediaBox=[0, 0, pw, ph],
            Contents=self.content_refs[i],
        )
        self.pdf.write_obj(
            self.content_refs[i], stream=b"q %f 0 0 %f 0 0 cm /image Do Q\n" % (pw, ph)
        )
        self.written += 1

    def close(self) -> None:
        if self.written != len(self.page_refs):
            raise RuntimeError(f"PDF has {self.written} of {len(self.page_refs)} pages")
        self.pdf.write_xref_and_trailer()
        self.fp.flush()
        self.pdf.close()


def default_workers() -> int:
    """Worker processes for a long sheet: one per core."""
    return max(1, os.cpu_count() or 1)


def _encoded_pages(pages: list[PagePlan], template: Template, workers: int) -> Iterator[bytes]:
    jobs = [(template.name, plan) for plan in pages]
    if workers <= 1 or len(pages) < 2:
        yield from map(_render_encoded, jobs)
        return
    # fork: workers inherit the loaded fonts and modules instead of importing the app again.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(pages)), mp_context=context) as pool:
        yield from pool.map(_render_encoded, jobs)


def write_pdf(
    labels: list[LabelData],
    template: Template | str,
    out: BinaryIO | str | os.PathLike,
    *,
    skip: int = 0,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the labels as an A4 PDF (1-bit pages, 300 dpi); return the number of pages."""
    template = get_template(template) if isinstance(template, str) else template
    fonts.check()
    pages = plan_pages(labels, template, skip)
    # Draw the first label before opening the file: a bad URL or template fails cleanly.
    module_px_for(template, qr_matrix(labels[0].url).size)
    if isinstance(out, (str, os.PathLike)):
        try:
            with open(out, "wb") as fp:
                return _write(fp, pages, template, workers, progress)
        except BaseException:
            # Never leave half a PDF that looks like a finished one.
            Path(out).unlink(missing_ok=True)
            raise
    return _write(out, pages, template, workers, progress)


def _write(fp, pages, template, workers, progress) -> int:
    writer = PdfWriter(fp, len(pages))
    if progress:
        progress(0, len(pages))
    for done, g4 in enumerate(_encoded_pages(pages, template, workers), 1):
        writer.add_page(g4)
        if progress:
            progress(done, len(pages))
    writer.close()
    return len(pages)
