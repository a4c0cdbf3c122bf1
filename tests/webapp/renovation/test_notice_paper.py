"""《裝修違規整改通知單》 printed at the office: an A4 PDF with real text — the estate, the
number, the unit, owner and contractor, the rules broken in the rulebook's words, the photo,
the delivery and the owner's drawn signature — read back with PDFium."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from tests.webapp.api.test_blobs import put, sha
from tests.webapp.paper.test_forms import SHOTS, pdf_text
from tests.webapp.renovation.test_notice_ops import _op, _results, issue_op


def _photo() -> bytes:
    image = Image.new("RGB", (640, 480), (180, 160, 120))
    ImageDraw.Draw(image).rectangle((200, 120, 440, 360), fill=(90, 60, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _signature() -> bytes:
    image = Image.new("RGB", (600, 200), (255, 255, 255))
    ImageDraw.Draw(image).line(
        [(40, 150), (200, 40), (330, 160), (560, 60)], fill=(16, 36, 43), width=6
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_the_printed_notice_holds_what_the_phone_recorded(
    app, phone, client, auth, seed, renovating
):
    """Issued, delivered on the door with a photo and signed by the owner on the phone: does
    the office's PDF say 《裝修違規整改通知單》, its number, the unit, the owner and contractor of
    the permit, 改變外立面 marked 重大違規, the deadline, the delivery, three signature lines,
    and carry the photo and the signature as images?"""
    code, _permit = renovating
    photo, signature = _photo(), _signature()
    assert put(phone, photo).status_code == 201
    assert put(phone, signature, "image/png").status_code == 201
    issued = issue_op(code, photos=[sha(photo)], note="陽台外牆擅自開窗", deadline="2026-12-20")
    notice_id = issued["payload"]["id"]
    ops = [
        issued,
        _op("notice.deliver", {"notice_id": notice_id, "method": "door", "photos": [sha(photo)]}),
        _op(
            "notice.sign",
            {"notice_id": notice_id, "signature": sha(signature), "signer_name": "陳美玲"},
        ),
    ]
    results = _results(phone, ops)
    number = results[0]["data"]["number"]
    auth.login("supervisor")
    response = client.get(f"/renovation/notices/{notice_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in (
        "《裝修違規整改通知單》",
        number,
        "改變外立面",
        "重大違規",
        "垃圾未按規定清運",
        "2026-12-20",
        "宏達裝修工程行",
        "張貼於門上",
        "業主簽名",
        "施工單位簽名",
        "管理處簽名",
        "陽台外牆擅自開窗",
    ):
        assert words in text, words
    document = pdfium.PdfDocument(response.data)
    try:
        images = [
            obj
            for page in document
            for obj in page.get_objects()
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        ]
        assert len(images) >= 2, "the photo and the signature"
        if SHOTS.is_dir() or os.environ.get("SHOTS"):
            SHOTS.mkdir(exist_ok=True)
            Path(SHOTS / "notice.pdf").write_bytes(response.data)
    finally:
        document.close()
    listed = client.get(f"/renovation/estates/{seed.estate_ids[0]}/notices").get_data(as_text=True)
    assert number in listed and "張貼於門上" in listed
    other = client.get(f"/renovation/notices/{uuid.uuid4()}.pdf")
    assert other.status_code == 404
