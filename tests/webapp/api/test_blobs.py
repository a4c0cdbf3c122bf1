"""Photos: content-addressed, re-encoded without GPS, refused when not a safe image, scoped."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from sync.photos import blob_path
from tests.sync.conftest import check_op, codes_of, finding_op, issue_device
from webapp.extensions import db
from webapp.models.sync import PhotoBlob, PhotoUploader


def jpeg_with_gps(size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (25.0, 2.0, 3.0), 3: "E", 4: (121.0, 33.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_bytes(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 255)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width=60000, height=60000) -> bytes:
    """A PNG header claiming billions of pixels with a tiny body (a pixel flood)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(phone, data, content_type="image/jpeg", name=None):
    return phone.client.put(
        f"/api/blobs/{name or sha(data)}",
        data=data,
        headers=phone.headers | {"Content-Type": content_type},
    )


def test_a_photo_is_stored_without_gps_and_gps_kept_as_proof(app, phone, seed):
    """Is a JPEG with EXIF GPS stored re-encoded with no GPS, the position kept in a field?"""
    data = jpeg_with_gps()
    response = put(phone, data)
    assert response.status_code == 201
    assert put(phone, data).status_code == 200
    with app.app_context():
        blob = db.session.get(PhotoBlob, sha(data))
        assert blob.gps_lat == pytest.approx(25.034, abs=1e-3)
        assert blob.gps_lon == pytest.approx(121.55, abs=1e-3)
        stored = blob_path(app.config["BLOB_DIR"], sha(data)).read_bytes()
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG" and img.size == (64, 48)
        assert not img.getexif().get_ifd(0x8825) and 0x8825 not in img.getexif()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    got = phone.client.get(f"/api/blobs/{sha(data)}", headers=phone.headers)
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.data == stored


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"<html><script>alert(1)</script></html>", "image/jpeg", 415),
        (b"<html><script>alert(1)</script></html>", "text/html", 415),
        (png_bytes(), "image/jpeg", 415),
        (png_bomb(), "image/png", 413),
        (png_bomb(20000, 20000), "image/png", 413),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "image/jpeg", 415),
        (b"GIF89a" + b"\0" * 40, "image/gif", 415),
        (b"", "image/png", 415),
    ],
)
def test_the_photo_corpus_never_gets_a_5xx(app, phone, seed, body, content_type, status):
    """Is every bad upload (bomb, wrong type, junk) refused with its 4xx, nothing stored?"""
    response = put(phone, body, content_type)
    assert response.status_code == status, response.get_json()
    with app.app_context():
        assert db.session.get(PhotoBlob, sha(body)) is None


def test_hash_mismatch_and_bad_address(phone, seed):
    """Is a body not matching its sha256 refused 400, and a non-hex address 400?"""
    assert put(phone, png_bytes(), "image/png", name="0" * 64).status_code == 400
    assert put(phone, png_bytes(), "image/png", name="XYZ").status_code == 400


def test_too_large_is_413(phone, seed):
    """Is a photo over 10 MB refused with 413?"""
    data = b"\xff" * (10 * 1024 * 1024 + 1)
    assert put(phone, data).status_code == 413


def test_photos_are_visible_to_their_estate_only(app, phone, make_phone, seed):
    """Does a photo linked to a check show to its estate's users and 404 to another estate's?"""
    data = png_bytes()
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code, photos=[sha(data)])
    result = phone.push([op]).get_json()["results"][0]
    assert result["status"] == "applied" and result["data"]["missing_blobs"] == [sha(data)]
    assert put(phone, data, "image/png").status_code == 201
    colleague, outsider = make_phone("supervisor"), make_phone("patrol2")
    url = f"/api/blobs/{sha(data)}"
    assert phone.client.head(url, headers=colleague.headers).status_code == 200
    assert phone.client.get(url, headers=colleague.headers).mimetype == "image/png"
    assert phone.client.get(url, headers=outsider.headers).status_code == 404
    assert phone.client.head(url, headers=outsider.headers).status_code == 404
    assert phone.client.head("/api/blobs/" + "a" * 64, headers=phone.headers).status_code == 404
    # A replay now finds the photo held: nothing left to upload.
    assert "data" not in phone.push([op]).get_json()["results"][0]


def test_another_estates_photo_cannot_be_had_by_naming_its_hash(app, phone, make_phone, seed):
    """Could patrol2 push a record naming the sha256 of an estate-1 photo and then fetch it,
    and did the push answer tell whether that hash is held? Neither: a foreign photo is
    answered missing exactly like one nobody has, its link shows nothing, and only the sender's
    own upload of the bytes makes it theirs."""
    data = jpeg_with_gps()
    own = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    assert phone.push([check_op(own, photos=[sha(data)])]).status_code == 200
    assert put(phone, data).status_code == 201
    outsider = make_phone("patrol2")
    theirs = codes_of(app, seed.estate_ids[1], "unit", 1)[0]
    nobodys = sha(b"never uploaded")
    ops = [
        check_op(theirs, photos=[sha(data), nobodys]),
        finding_op(theirs, photos=[nobodys, sha(data)]),
    ]
    results = outsider.push(ops).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["data"]["missing_blobs"] == [sha(data), nobodys]
    assert results[1]["data"]["missing_blobs"] == [nobodys, sha(data)]
    url = f"/api/blobs/{sha(data)}"
    assert outsider.client.get(url, headers=outsider.headers).status_code == 404
    assert outsider.client.head(url, headers=outsider.headers).status_code == 404
    # A replay of the op answers the same (duplicate, still missing).
    again = outsider.push(ops[:1]).get_json()["results"][0]
    assert again["status"] == "duplicate"
    assert again["data"]["missing_blobs"] == [sha(data), nobodys]
    # Nor does any listing show the foreign hash (the pull here; the review page and the key
    # history read the same shown_links) until its bytes come from this sender; a photo
    # nobody holds yet stays listed, its upload pending, as for any record.
    check_id = ops[0]["payload"]["id"]
    assert _pulled_photos(outsider, "check", check_id) == [nobodys]
    assert _pulled_photos(outsider, "finding", ops[1]["payload"]["id"]) == [nobodys]
    # The outsider who really holds the bytes uploads them: their own records now show it.
    assert put(outsider, data).status_code == 200
    assert outsider.client.get(url, headers=outsider.headers).status_code == 200
    assert _pulled_photos(outsider, "check", check_id) == [sha(data), nobodys]


def _pulled_photos(phone, kind: str, record_id: str) -> list[str]:
    """The photos a full pull gives one record (a check or a finding) of the phone's estates."""
    cursor, found = None, None
    while True:
        body = phone.pull(cursor=cursor, limit=1000).get_json()
        for change in body["changes"]:
            if change["type"] == kind and change["id"] == record_id:
                found = change["data"]["photos"]
        if not body["has_more"]:
            break
        cursor = body["cursor"]
    assert found is not None, f"{kind} {record_id} not pulled"
    return found


def test_a_photo_the_sender_can_see_links_without_an_upload(app, phone, make_phone, seed):
    """A colleague of the same estate naming a photo already on it is not asked for it."""
    data = png_bytes((20, 20))
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    assert put(phone, data, "image/png").status_code == 201
    first = phone.push([check_op(code, photos=[sha(data)])]).get_json()["results"][0]
    assert "missing_blobs" not in first.get("data", {})
    colleague = make_phone("supervisor")
    result = colleague.push([finding_op(code, photos=[sha(data)])]).get_json()["results"][0]
    assert result["status"] == "applied" and "missing_blobs" not in result.get("data", {})
    url = f"/api/blobs/{sha(data)}"
    assert colleague.client.get(url, headers=colleague.headers).status_code == 200


def _with_every_kind_of_metadata(fmt: str) -> bytes:
    from PIL import ImageCms, PngImagePlugin

    img = Image.new("RGB", (40, 30), (10, 120, 200))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 3.0), 3: "E", 4: (121.0, 33.0, 0.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SecretXMP</x:xmpmeta>'
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(
            out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"SecretComment", xmp=xmp
        )
    elif fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "SecretComment")
        text.add_itxt("XML:com.adobe.xmp", xmp.decode())
        img.save(out, "PNG", pnginfo=text, icc_profile=icc, exif=exif.tobytes())
    else:
        img.save(out, "WEBP", exif=exif.tobytes(), icc_profile=icc, xmp=xmp)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_a_stored_photo_keeps_no_metadata_at_all(app, phone, seed, fmt, content_type):
    """Did a JPEG comment (COM segment) survive re-encoding? No EXIF, XMP, comment, text chunk
    or ICC profile is kept, in any format."""
    data = _with_every_kind_of_metadata(fmt)
    for marker in (b"SecretXMP", b"PhoneMaker"):
        assert marker in data or fmt == "PNG"  # the sample carries what it should
    assert put(phone, data, content_type).status_code == 201
    with app.app_context():
        stored = blob_path(app.config["BLOB_DIR"], sha(data)).read_bytes()
    for marker in (
        b"SecretComment",
        b"SecretXMP",
        b"PhoneMaker",
        b"Exif",
        b"ICC_PROFILE",
        b"iCCP",
        b"ICCP",
        b"tEXt",
        b"iTXt",
        b"eXIf",
    ):
        assert marker not in stored, marker
    if fmt == "JPEG":  # no COM segment (0xFF is never followed by 0xFE in JPEG's image data)
        assert b"\xff\xfe" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (40, 30)
        assert not {"icc_profile", "exif", "xmp", "comment"} & set(img.info)


@pytest.mark.parametrize(("orientation", "size"), [(1, (40, 20)), (6, (20, 40)), (3, (40, 20))])
def test_a_photo_is_stored_upright_as_its_exif_orientation_says(
    app, phone, seed, orientation, size
):
    """Is a photo taken sideways (EXIF Orientation 6: turn 90° clockwise to show) stored
    turned, with no orientation left to apply twice, and one already upright left as it is?"""
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 20, 20))  # the left half white, the right half black
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95, exif=exif.tobytes())
    data = out.getvalue()
    assert put(phone, data).status_code == 201
    with app.app_context():
        stored = blob_path(app.config["BLOB_DIR"], sha(data)).read_bytes()
        assert (
            db.session.get(PhotoBlob, sha(data)).width,
            db.session.get(PhotoBlob, sha(data)).height,
        ) == size
    with Image.open(io.BytesIO(stored)) as got:
        assert got.size == size and 0x0112 not in got.getexif()
        # Where the white half went: 1 left, 3 (180°) right, 6 (90° clockwise) on top.
        white = {1: (5, 10), 3: (35, 10), 6: (10, 5)}[orientation]
        black = {1: (35, 10), 3: (5, 10), 6: (10, 35)}[orientation]
        assert min(got.convert("L").getpixel(white), 255) > 200
        assert got.convert("L").getpixel(black) < 50


def test_one_photo_uploaded_at_once_by_many_is_stored_once(app, seed):
    """Do 12 uploads of one photo at the same moment, by two people, give one 201 and eleven
    200s, one stored photo, and both people as its uploaders (no 5xx, nothing half-written)?"""
    from tests.sync.test_concurrency import _run_threads

    data = jpeg_with_gps((320, 240))
    tokens = [issue_device(app, name)[1] for name in ("patrol", "supervisor")]
    statuses = []
    lock = threading.Lock()

    def upload(i):
        response = app.test_client().put(
            f"/api/blobs/{sha(data)}",
            data=data,
            headers={"Authorization": f"Bearer {tokens[i % 2]}", "Content-Type": "image/jpeg"},
        )
        with lock:
            statuses.append(response.status_code)

    _run_threads(12, upload)
    assert sorted(statuses) == [200] * 11 + [201]
    with app.app_context():
        blob = db.session.get(PhotoBlob, sha(data))
        stored = blob_path(app.config["BLOB_DIR"], sha(data)).read_bytes()
        assert blob.size == len(stored) and blob.stored_sha256 == sha(stored)
        uploaders = db.session.scalars(
            sa.select(PhotoUploader.user_id).where(PhotoUploader.sha256 == sha(data))
        ).all()
        assert len(uploaders) == 2
