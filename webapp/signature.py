"""A signature drawn on a desk page's canvas and sent as a PNG (an item's collector, an owner
taking their keys): checked, refused when blank, and kept in the photo store (sync/photos.py)
under the sha256 of its bytes."""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import datetime

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from sync import photos
from sync.blobs import BlobStore

MAX_BYTES = 2 * 1024 * 1024  # a drawn signature is tens of kilobytes
MAX_PIXELS = 4_000_000  # a canvas three times the pad's CSS size is well under this
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
INK_BELOW = 200  # a pixel darker than this (0 black, 255 white) is ink


class Refused(Exception):
    """A signature the desk must draw again; the message says why."""


def _has_ink(data: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                raise Refused(_("The signature is not a drawing from this page."))
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                # Ink on a transparent canvas: flatten on white first.
                flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
                flat.alpha_composite(image.convert("RGBA"))
                image = flat
            darkest, _lightest = image.convert("L").getextrema()
    return darkest < INK_BELOW


def sent(upload) -> bytes:
    """The drawn signature's bytes as a form's file field holds them (empty when none was
    sent): at most ``MAX_BYTES`` + 1, enough for ``keep`` to refuse a larger one."""
    if upload is None or not hasattr(upload, "read"):
        return b""
    return upload.read(MAX_BYTES + 1)


def keep(session: Session, store: BlobStore, data: bytes | None, user_id: int, now: datetime,
         unsigned: str | None = None) -> str:  # fmt: skip
    """Store a drawn signature in the blob store; its sha256. Refused: nothing sent, not a PNG,
    or blank (``unsigned`` says who must sign: the collector unless told)."""
    unsigned = unsigned or _("The collector must sign: draw the signature in the box.")
    if not data:
        raise Refused(unsigned)
    if len(data) > MAX_BYTES or not data.startswith(PNG_MAGIC):
        raise Refused(_("The signature is not a drawing from this page."))
    try:
        if not _has_ink(data):
            raise Refused(unsigned)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise Refused(_("The signature is not a drawing from this page.")) from exc
    sha = hashlib.sha256(data).hexdigest()
    try:
        photos.store(session, store, sha, data, "image/png", user_id, now)
    except photos.PhotoError as exc:
        raise Refused(_("The signature is not a drawing from this page.")) from exc
    return sha
