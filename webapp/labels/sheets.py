"""Label sheets: A4 pages at 300 dpi, 1-bit, with QR modules drawn straight from the matrix.

Nothing here touches the database: a sheet is drawn from plain ``LabelData`` so pages can
be drawn in worker processes and the PDF written as they come back.
See docs/labels.md for why the error-correction level and module sizes are what they are.
What a label and a stock are lives in ``stock``, drawing one label in ``draw``; this module
lays labels out on pages and writes the PDF, and is where the rest of the app reads all three.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageDraw, PdfParser

from webapp.labels import fonts
from webapp.labels.draw import (
    QrBox,
    draw_label,
    draw_matrix,
    fit_text,
    module_px_for,
    qr_matrix,
    render_label,
)
from webapp.labels.stock import (
    DEFAULT_TEMPLATE,
    DPI,
    PAGE_SIZE,
    QUIET_MODULES,
    TEMPLATES,
    WHITE,
    LabelData,
    LabelError,
    Template,
    check_skip,
    get_template,
    group_short_code,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "DPI",
    "QUIET_MODULES",
    "TEMPLATES",
    "WHITE",
    "LabelData",
    "LabelError",
    "PagePlan",
    "PdfWriter",
    "QrBox",
    "Template",
    "check_skip",
    "default_workers",
    "draw_matrix",
    "fit_text",
    "get_template",
    "group_short_code",
    "plan_pages",
    "qr_matrix",
    "render_label",
    "render_page",
    "write_pdf",
]


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
