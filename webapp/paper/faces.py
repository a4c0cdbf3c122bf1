"""The printed forms' font faces, parsed once per process; each document gets its own copy of
whatever writing it changes.

fpdf2's ``add_font`` parses the font file in ``TTFFont``'s constructor (the cmap, every
glyph's width and id, the descriptor's metrics) and ``output`` subsets the face for the
document, which changes what it subsets: the fontTools ``TTFont`` (cut down to the document's
glyphs, then closed), the font descriptor (given the document's object ids and font file), the
``SubsetMap`` of the glyphs used and the list of characters the font lacks; a width lookup of
a character the font lacks adds it to the widths (a ``defaultdict``). So a face keeps what the
constructor computed from the file, read-only from then on (the cmap and glyph ids behind
read-only views), and each document gets fresh everything subsetting or layout changes: its
own ``TTFont``, descriptor, widths, subset map and missing glyphs.

The document's ``TTFont`` is opened lazily on bytes held here, so a document always subsets the
very file its widths were read from. Of a CID-keyed CFF face (Noto Sans Hant's), fpdf2 embeds
the subset's CFF table alone, compiled on its own: the bytes held are the file with only that
table, so the subsetter no longer reads (and subsets, and writes out to be thrown away) the
cmap, the horizontal and vertical metrics, the layout tables, ... for every document — every
glyph of the face is still there. (Text shaping, which reads advance widths from that
``TTFont``, is not used by the forms: ``Paper`` refuses it.) Other faces are held whole.

Each PDF is byte for byte what ``FPDF.add_font`` makes (tests/webapp/paper/test_faces.py). A
face is built whole, then published by one dict assignment: threads that race on a process's
first document may each parse the face, never see half of one; nothing is locked, so a fork
mid-parse leaves no lock held. The file's inode, size and modification time are part
of the key: a font replaced on disk is read again, as fpdf2 would for the next document. Fonts
whose constructor changes the parsed font itself (variable fonts, WOFF, a TrueType font without
a ``.notdef`` glyph) or draws colour glyphs go through fpdf2's own ``add_font``.
"""

from __future__ import annotations

import copy
import io
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

log = logging.getLogger(__name__)

# TTFFont's slots (fpdf2 2.8.9) by what becomes of them. The same for every document of a face:
# immutable values, or read-only (fpdf2 never writes the cmap or glyph ids after the constructor).
SHARED = frozenset({
    "type", "name", "ttffile", "scale", "up", "ut", "sp", "ss", "palette_index",
    "is_compressed", "is_cff", "is_cid_keyed", "is_symbol", "cff_ros", "collection_font_number",
    "cmap", "glyph_ids",
})  # fmt: skip
# Each document's own (``_font_for``): what subsetting, output or layout changes, and what
# add_font's arguments decide (the key and the style).
PER_DOCUMENT = frozenset({
    "i", "fontkey", "emphasis", "ttfont", "desc", "cw", "subset", "missing_glyphs",
    "biggest_size_pt", "_hbfont", "color_font",
})  # fmt: skip
NEVER_SET = frozenset({"unicode_range"})  # a slot the constructor does not assign


def unknown_slots() -> set[str]:
    """TTFFont's slots this module does not know to share or to copy: none on the pinned fpdf2.
    An upgrade that adds or drops one sends every font through fpdf2's add_font (a warning
    says so) until each is sorted into SHARED or PER_DOCUMENT."""
    return set(TTFFont.__slots__) ^ (SHARED | PER_DOCUMENT | NEVER_SET)


_UNKNOWN = unknown_slots()
if _UNKNOWN:
    log.warning("fpdf2's TTFFont changed (%s): font faces are parsed per document", _UNKNOWN)


@dataclass(frozen=True)
class Face:
    """One font face as fpdf2's constructor read it, and the bytes documents subset."""

    source: bytes  # the file, or of a CID-keyed CFF face its CFF table alone
    shared: Mapping[str, Any]
    widths: defaultdict[int, float]  # copied for each document: lookups add to it
    descriptor: Any  # fpdf.fonts.PDFFontDescriptor, copied for each document: output fills it


_faces: dict[str, tuple[tuple[int, int, int], Face | None]] = {}


def _signature(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _cff_alone(data: bytes) -> bytes:
    """The font with its CFF table only, that table's bytes untouched."""
    font = ttLib.TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    for tag in list(font.keys()):  # a copy: tables are deleted on the way
        if tag not in ("CFF ", "GlyphOrder"):
            del font[tag]
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    font.close()
    return out.getvalue()


def _parse(path: Path) -> Face | None:
    """The face as TTFFont's constructor reads it, or None if it cannot be shared safely."""
    if path.suffix.lower() in (".woff", ".woff2"):
        return None  # the constructor changes the parsed font (its flavour)
    data = path.read_bytes()
    probe = ttLib.TTFont(io.BytesIO(data), lazy=True)
    try:
        if "glyf" in probe and ".notdef" not in probe.getGlyphOrder():
            return None  # the constructor draws a .notdef into the parsed font
    finally:
        probe.close()
    font = TTFFont(FPDF(), io.BytesIO(data), "face", "")
    try:
        if font.color_font is not None:
            return None  # colour glyphs: a Type 3 font built per document
        shared = {slot: getattr(font, slot) for slot in SHARED}
        shared["ttffile"] = path  # as add_font gives it (text shaping opens it)
        shared["cmap"] = MappingProxyType(dict(font.cmap))
        shared["glyph_ids"] = MappingProxyType(dict(font.glyph_ids))
        source = _cff_alone(data) if font.is_cff and font.is_cid_keyed else data
        return Face(source, MappingProxyType(shared), font.cw, font.desc)
    finally:
        font.close()


def face(path: Path) -> Face | None:
    """The face of ``path`` (parsed on first use, and again if the file changed), or None for
    a font that fpdf2 must read itself for each document."""
    if _UNKNOWN:
        return None
    path = Path(path).resolve()
    signature = _signature(path)
    held = _faces.get(str(path))
    if held is None or held[0] != signature:
        held = _faces[str(path)] = (signature, _parse(path))
    return held[1]


def _font_for(pdf: FPDF, found: Face, fontkey: str, style: str) -> TTFFont:
    """A TTFFont for one document: the face's shared state, and fresh all the document
    changes."""
    font = TTFFont.__new__(TTFFont)
    for slot, value in found.shared.items():
        setattr(font, slot, value)
    font.i = len(pdf.fonts) + 1
    font.fontkey = fontkey
    font.emphasis = TextEmphasis.coerce(style)
    # Opened as TTFFont's constructor opens the file.
    font.ttfont = ttLib.TTFont(io.BytesIO(found.source), recalcTimestamp=False, lazy=True)
    font.desc = copy.copy(found.descriptor)
    font.cw = defaultdict(found.widths.default_factory, found.widths)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.color_font = None
    font.subset = SubsetMap(font)
    return font


def add_font(pdf: FPDF, family: str, style: str, path: Path | str) -> None:
    """``pdf.add_font(family, style, path)``, with the face parsed once per process."""
    found = face(Path(path))
    if found is None:
        pdf.add_font(family, style, str(path))
        return
    style = "".join(sorted(style.upper()))
    fontkey = f"{family.lower()}{style}"
    if fontkey in pdf.fonts:
        raise ValueError(f"font {fontkey!r} is already in this document")
    font = _font_for(pdf, found, fontkey, style)
    pdf.fonts[fontkey] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # as add_font does: a CID-keyed CFF font needs PDF 1.6
