"""Photos: content-addressed, checked with Pillow, re-encoded without EXIF location.

The phone names a photo by the sha256 of the bytes it took. The server re-hashes what
arrives, reads only the header first (a pixel flood is refused before any decoding),
decodes, applies the EXIF orientation, and writes a fresh file with no metadata at all (no
EXIF, XMP, comment, text chunk or ICC profile: colours are converted to sRGB first).
The GPS position, when the camera wrote one, is kept as proof in a database field that
only supervisors are shown, never in the stored file.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.blobs import BlobStore, FileStore, as_store
from sync.sql import among
from webapp.models.sync import PhotoBlob, PhotoLink, PhotoUploader

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40 MP phone photo; beyond that, a flood
MAX_SIDE = 12_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ACCEPTED_TYPES = set(FORMATS.values())
_SRGB = ImageCms.createProfile("sRGB")


class PhotoError(Exception):
    """An upload the server refuses; ``status`` is the HTTP answer it deserves."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Stored:
    size: int  # of the stored (cleaned) file
    created: bool


def photo_key(sha256: str) -> str:
    """A photo's key in the blob store (sync/blobs.py): ``ab/cd/abcd…``."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def blob_path(blob_dir: str | Path, sha256: str) -> Path:
    """Where a photo's stored file lives in a folder store."""
    return FileStore(blob_dir).path(photo_key(sha256))


def _gps(exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(0x8825)
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse a photo
        return None
    if not gps:
        return None

    def degrees(values, ref):
        d, m, s = (float(v) for v in values)
        value = d + m / 60 + s / 3600
        return -value if ref in ("S", "W") else value

    try:
        lat = degrees(gps[2], gps.get(1))
        lon = degrees(gps[4], gps.get(3))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _bare(img: Image.Image) -> Image.Image:
    """The pixels alone: no EXIF, XMP, comment (JPEG COM), text chunks or ICC profile.

    Pillow's encoders write some of these back from ``img.info`` (a JPEG's comment, a PNG's
    ICC profile): the info is emptied, keeping only a palette's transparency. Colours in
    another profile (a phone's Display P3) are first converted to sRGB, so they look the same
    without it; a profile that cannot be read is dropped.
    """
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            img = ImageCms.profileToProfile(img, source, _SRGB, outputMode=img.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    keep = {k: img.info[k] for k in ("transparency",) if k in img.info}
    img.info.clear()
    img.info.update(keep)
    return img


def clean(data: bytes) -> tuple[bytes, str, int, int, tuple[float, float] | None]:
    """Check and re-encode an image: (bytes, content type, width, height, gps)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                if fmt not in FORMATS:
                    raise PhotoError(415, "unsupported_media_type", "Not a JPEG, PNG or WebP.")
                width, height = img.size
                # Header only so far: refuse a flood before a single pixel is decoded.
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise PhotoError(413, "too_many_pixels", "The image has too many pixels.")
                gps = _gps(img.getexif())
                img.load()
                # In place: a photo that needs no turn is not copied (6 MB for 1600 × 1200).
                ImageOps.exif_transpose(img, in_place=True)
                img = _bare(img)
                out = io.BytesIO()
                if fmt == "JPEG":
                    if img.mode not in ("RGB", "L"):
                        img = img.convert("RGB")
                    # No optimize pass: it took as long again as the encoding itself (a 1600 ×
                    # 1200 photo: 4 → 10 ms) for a file 8 % smaller.
                    img.save(out, "JPEG", quality=85)
                elif fmt == "PNG":
                    if img.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
                        img = img.convert("RGBA")
                    img.save(out, "PNG", optimize=False)
                else:
                    if img.mode not in ("RGB", "RGBA"):
                        img = img.convert("RGBA")
                    img.save(out, "WEBP", quality=85)
                return out.getvalue(), FORMATS[fmt], img.width, img.height, gps
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoError(413, "too_many_pixels", "The image has too many pixels.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise PhotoError(415, "unsupported_media_type", "Not a readable image.") from exc


def store(
    session: Session,
    blobs: BlobStore | str | Path,
    sha256: str,
    data: bytes,
    content_type: str | None,
    user_id: int,
    now: datetime,
) -> Stored:
    """Check, clean and keep an uploaded photo; idempotent on its sha256."""
    if len(data) > MAX_BYTES:
        raise PhotoError(413, "too_large", "A photo may be at most 10 MB.")
    base_type = (content_type or "").split(";")[0].strip().lower()
    if base_type not in ACCEPTED_TYPES:
        raise PhotoError(415, "unsupported_media_type", "Send image/jpeg, image/png or image/webp.")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PhotoError(400, "hash_mismatch", "The body does not hash to the sha256 in the URL.")
    blobs = as_store(blobs)
    held = _held_size(session, sha256)
    if held is not None and blobs.exists(photo_key(sha256)):
        _add_uploader(session, sha256, user_id)
        return Stored(held, False)
    cleaned, stored_type, width, height, gps = clean(data)
    if stored_type != base_type:
        raise PhotoError(415, "unsupported_media_type", "The content type does not match.")
    blobs.put(photo_key(sha256), cleaned)  # atomic: never half a file
    created = False
    if held is None:
        # One statement, not a savepoint around an ORM add: a concurrent upload of the same
        # photo waits on the key and then inserts nothing (its row is the one kept).
        row = {
            "sha256": sha256,
            "stored_sha256": hashlib.sha256(cleaned).hexdigest(),
            "content_type": stored_type,
            "size": len(cleaned),
            "width": width,
            "height": height,
            "gps_lat": gps[0] if gps else None,
            "gps_lon": gps[1] if gps else None,
            "uploaded_by_id": user_id,
            "created_at": now,
        }
        inserted = session.execute(
            _insert(session, PhotoBlob).values(row).on_conflict_do_nothing().returning(_SIZE)
        ).scalar()
        created = inserted is not None
        held = inserted if created else _held_size(session, sha256)
    _add_uploader(session, sha256, user_id)
    return Stored(held, created)


_SIZE = PhotoBlob.__table__.c.size


def _held_size(session: Session, sha256: str) -> int | None:
    """The stored size of a photo held (a row), or None."""
    return session.execute(sa.select(_SIZE).where(PhotoBlob.sha256 == sha256)).scalar()


def _insert(session: Session, model):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _add_uploader(session: Session, sha256: str, user_id: int) -> None:
    uploader = {"sha256": sha256, "user_id": user_id}
    session.execute(_insert(session, PhotoUploader).values(uploader).on_conflict_do_nothing())
    # The uploader had the photo's bytes: the links their records made to it now show it.
    session.execute(
        sa.update(PhotoLink)
        .where(
            PhotoLink.sha256 == sha256,
            PhotoLink.user_id == user_id,
            PhotoLink.vouched.is_(False),
        )
        .values(vouched=True)
    )


def shown_links(session: Session, record_type: str, ids) -> list[tuple[str, str]]:
    """(record id, sha256) of the photos these records show, in the order they were named.

    A link shows when vouched, or while nobody holds the bytes (its upload is still to come:
    nothing to leak). A record that merely names a hash someone else holds shows nothing, on
    every screen and in the pull alike, until its author uploads the bytes."""
    ids = [i for i in ids if i]
    if not ids:
        return []
    rows = session.execute(_SHOWN, {"record_type": record_type, "ids": ids})
    return [(record_id, sha) for record_id, sha in rows]


# Built once; a pull page's thousand record ids bound as one list (sync/sql.py).
_SHOWN = (
    sa.select(PhotoLink.record_id, PhotoLink.sha256)
    .where(
        PhotoLink.record_type == sa.bindparam("record_type"),
        among(PhotoLink.record_id, "ids"),
        sa.or_(
            PhotoLink.vouched.is_(True),
            ~sa.exists().where(PhotoBlob.sha256 == PhotoLink.sha256),
        ),
    )
    .order_by(PhotoLink.record_id, PhotoLink.id)
)


def visible(session: Session, sha256: str, user_id: int, estate_ids: list[int]) -> bool:
    """Tell whether a user may see a photo: they uploaded it, or a vouched link puts it on
    one of their estates (a link is vouched when its author uploaded or could see the photo:
    naming a hash is not enough)."""
    return sha256 in visible_among(session, {sha256}, user_id, estate_ids)


def visible_among(session: Session, shas: set[str], user_id: int, estate_ids: list[int]):
    """The photos among ``shas`` that are stored and that the user may see (see visible)."""
    if not shas:
        return set()
    uploaded = sa.select(PhotoUploader.sha256).where(
        PhotoUploader.user_id == user_id, PhotoUploader.sha256.in_(shas)
    )
    linked = sa.select(PhotoLink.sha256).where(
        PhotoLink.sha256.in_(shas),
        PhotoLink.vouched.is_(True),
        PhotoLink.estate_id.in_(estate_ids),
    )
    query = sa.select(PhotoBlob.sha256).where(
        PhotoBlob.sha256.in_(shas),
        sa.or_(PhotoBlob.sha256.in_(uploaded), PhotoBlob.sha256.in_(linked)),
    )
    return set(session.scalars(query))
