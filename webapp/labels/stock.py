"""What a label is and the stocks it is printed on: 300 dpi units, the templates (label size,
grid on the A4 sheet, layout), the plain data one label shows, and the checks on a request.

Nothing here draws; ``draw`` draws one label and ``sheets`` lays them out on pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from qrcode.constants import ERROR_CORRECT_H

DPI = 300
A4_MM = (210.0, 297.0)
QUIET_MODULES = 4  # the quiet zone ISO/IEC 18004 asks for, kept white on every label
ERROR_CORRECTION = ERROR_CORRECT_H  # 30 % of the code may be dirt or damage
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
        "address-24", 70, 37, 3, 8, 0, 0.5, "side", module_px=9, min_module_px=6,
        pad_px=12, text_pad_px=46, code_size=40, small_size=28,
        text_sizes=(66, 60, 54, 48, 44, 40, 36, 32),
    ),
    # 52.5 x 29.7 mm, 4 x 10 = 40 per A4: small enough for a key tag.
    "key-tag": Template(
        "key-tag", 52.5, 29.7, 4, 10, 0, 0, "side", module_px=7, min_module_px=5,
        pad_px=12, text_pad_px=36, code_size=36, small_size=22,
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
