"""Read label PDFs back: the 1-bit page images exactly as embedded, and the QR codes on them."""

from __future__ import annotations

import io
import struct

import zxingcpp
from PIL import Image, PdfParser


def _tiff(stream: bytes, width: int, height: int) -> bytes:
    """Wrap a CCITT Group 4 stream in a minimal TIFF so Pillow can decode it."""
    entries = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, 4),  # Compression: CCITT Group 4
        (262, 3, 1, 1),  # Photometric: BlackIsZero, as Pillow wrote it
        (273, 4, 1, 8),  # StripOffsets: right after the header
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, len(stream)),  # StripByteCounts
    ]
    ifd_offset = 8 + len(stream) + (len(stream) % 2)
    out = io.BytesIO()
    out.write(b"II*\x00" + struct.pack("<I", ifd_offset))
    out.write(stream)
    if len(stream) % 2:
        out.write(b"\x00")
    out.write(struct.pack("<H", len(entries)))
    for tag, kind, count, value in entries:
        packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 else struct.pack("<I", value)
        out.write(struct.pack("<HHI", tag, kind, count) + packed)
    out.write(struct.pack("<I", 0))
    return out.getvalue()


def pdf_pages(data: bytes) -> list[Image.Image]:
    """The page images of a label PDF, decoded from the streams the PDF holds."""
    pdf = PdfParser.PdfParser(buf=data)
    pages = []
    for page_ref in pdf.pages:
        page = pdf.read_indirect(page_ref)
        assert page[b"MediaBox"][2:] == [595.2, 841.92], "an A4 page at 300 dpi"
        xobject = page[b"Resources"][b"XObject"][b"image"]
        image = pdf.read_indirect(xobject)
        image_dict, stream = image.dictionary, image.buf
        width, height = image_dict[b"Width"], image_dict[b"Height"]
        assert image_dict[b"BitsPerComponent"] == 1
        image = Image.open(io.BytesIO(_tiff(bytes(stream), width, height)))
        image.load()
        pages.append(image.convert("L"))
    return pages


def read_qr_texts(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds on an image, as text."""
    return [
        r.text
        for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        if r.valid
    ]
