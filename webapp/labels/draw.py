"""Drawing one label: its QR code straight from the matrix, its text fitted to the room left,
and the side and poster layouts (see docs/labels.md for the module sizes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from webapp.labels import fonts, qr
from webapp.labels.stock import (
    BLACK,
    ERROR_CORRECTION,
    QUIET_MODULES,
    WHITE,
    LabelData,
    LabelError,
    Template,
    get_template,
    group_short_code,
)

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
    code_baseline = code_top + round(template.code_size * 0.82)
    draw.text(
        (box.x + (box.size - code_w) // 2, code_baseline),
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
    # The caption stands on the short code's baseline, so the bottom line reads as one.
    caption_top = code_baseline - round(small * 0.9) if label.caption else bottom
    text_top = top + round(small * 1.15) + small // 3
    text_h = caption_top - small // 3 - text_top
    size, lines = fit_text(label.text, tw, text_h, template.text_sizes, template.max_lines)
    _draw_lines(draw, lines, tx, text_top, size)
    if label.caption:
        caption = _clip_to_width(label.caption, small, tw)
        _draw_lines(draw, [caption], tx, caption_top, small, weight="regular")
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
