"""What the phone's key screens need from the server: the owner's drawn signature stored with
the issue and shown on the key's page and in the register; the shell page that works offline;
a stocktake's codes carried to the handover form; counts and dispute labels of the register."""

from __future__ import annotations

import hashlib
import io

import sqlalchemy as sa
from PIL import Image, ImageDraw

from tests.sync.conftest import lend_op, return_op
from tests.webapp.keys.conftest import key_codes, key_of, op, push_one
from webapp.extensions import db
from webapp.models.sync import KeyEvent, PhotoLink


def _signature_png() -> bytes:
    """A signature as the phone's canvas makes it: dark strokes on white, PNG."""
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).line(
        [(20, 150), (120, 40), (220, 160), (340, 50), (560, 140)], "black", 5
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_owner_issue_keeps_the_drawn_signature_and_shows_it(app, client, auth, make_phone, seed):
    """Is the signature PNG the phone uploads linked to the issue event, shown on the key's
    /q/ page and beside the owner in the register, and visible to the desk?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "owner")
    png = _signature_png()
    sha = hashlib.sha256(png).hexdigest()
    upload = client.put(
        f"/api/blobs/{sha}", data=png, headers={**desk.headers, "Content-Type": "image/png"}
    )
    assert upload.status_code == 201
    result = push_one(desk, op("key.issue", code=code, owner_name="業主陳大文", signature=sha))
    assert result["status"] == "applied"
    assert result["data"]["key"]["status"] == "issued"
    assert "missing_blobs" not in result["data"]
    with app.app_context():
        event = db.session.scalar(sa.select(KeyEvent).where(KeyEvent.op_id == result["op_id"]))
        db.session.expunge(event)
        link = db.session.scalar(
            sa.select(PhotoLink).where(
                PhotoLink.record_type == "key_event", PhotoLink.record_id == event.id
            )
        )
        assert link is not None and link.sha256 == sha

    auth.login("desk")
    page = client.get(f"/q/{code}", follow_redirects=True).get_data(as_text=True)
    assert f"/api/blobs/{sha}" in page and 'class="key-signature"' in page
    register = client.get("/keys/?status=issued").get_data(as_text=True)
    assert "業主陳大文" in register and f"/api/blobs/{sha}" in register
    image = client.get(f"/api/blobs/{sha}")
    assert image.status_code == 200 and image.mimetype == "image/png"

    # Once the key is back in the cabinet, its page no longer shows the signature as current.
    push_one(desk, return_op(code))
    page = client.get(f"/q/{code}", follow_redirects=True).get_data(as_text=True)
    assert 'class="key-signature"' not in page
    # Still linked from the issue in the history: its page (and receipt) shows the signature.
    issued = f"/keys/owner/{event.key_id}/{event.id}"
    assert issued in page
    assert f"/api/blobs/{sha}" in client.get(issued).get_data(as_text=True)


def test_an_issue_without_a_signature_shows_none(app, client, auth, make_phone, seed):
    """Does an issue made with no drawn signature show no signature anywhere?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "owner")
    push_one(desk, op("key.issue", code=code, owner_name="沒簽名的業主"))
    auth.login("desk")
    page = client.get(f"/q/{code}", follow_redirects=True).get_data(as_text=True)
    assert "沒簽名的業主" in page and 'class="key-signature"' not in page
    assert "keys-signed" not in client.get("/keys/?status=issued").get_data(as_text=True)


def test_the_key_shell_names_nobody_and_loads_the_key_screens(app, client, auth, seed):
    """Is /app/keys the same for everyone (precached), with its words and its script?"""
    anonymous = client.get("/app/keys")
    assert anonymous.status_code == 200
    body = anonymous.get_data(as_text=True)
    assert 'id="keys-config"' in body and "build/keys.js" in body
    auth.login("desk")
    logged_in = client.get("/app/keys").get_data(as_text=True)
    phone_config = logged_in.split('id="phone-config">')[1].split("</script>")[0]
    assert '"user": null' in phone_config
    keys_config = logged_in.split('id="keys-config">')[1].split("</script>")[0]
    # Neither the username nor the name (the handover's address, /desk/handover, is no name).
    assert '"desk"' not in keys_config and "張美玲" not in keys_config
    assert "/app/keys" in client.get("/").get_data(as_text=True)


def test_a_phone_stocktake_fills_the_handover_form(app, client, auth, make_phone, seed):
    """Does the desk's shift handover come with the codes a phone's stocktake scanned (escaped),
    where the key screens send them and through the old key handover address alike?"""
    codes = key_codes(app, seed.estate_ids[0], "public_area", 2)
    auth.login("desk")
    shell = client.get("/app/keys").get_data(as_text=True)
    assert '"handoverUrl": "/desk/handover"' in shell
    page = client.get(
        "/keys/handover",
        query_string={"codes": ",".join([*codes, "<b>x</b>"])},
        follow_redirects=True,
    ).get_data(as_text=True)
    textarea = page.split('name="codes"')[1].split("</textarea>")[0]
    assert codes[0] in textarea and codes[1] in textarea
    assert "&lt;b&gt;x&lt;/b&gt;" in textarea and "<b>" not in textarea


def test_register_counts_match_the_filters_and_resolutions_name_their_key(
    app, client, auth, make_phone, seed
):
    """Do the register's counts (one query) equal the filtered row counts, and does a
    resolution list its key by label, not id?"""
    from datetime import timedelta

    from webapp.models.types import utcnow

    desk = make_phone("desk", "desk")
    a, b, c = key_codes(app, seed.estate_ids[0], "public_area", 3)
    (owner,) = key_codes(app, seed.estate_ids[0], "owner")
    late = lend_op(a, utcnow() - timedelta(hours=3), name="遲還")
    late["payload"]["due_back"] = (utcnow() - timedelta(hours=1)).isoformat()
    push_one(desk, late)
    push_one(desk, lend_op(b, utcnow() - timedelta(hours=2), name="準時"))
    push_one(desk, op("key.issue", code=owner, owner_name="業主"))
    # Two returns of a key that was never lent: disputed.
    push_one(desk, lend_op(c, utcnow() - timedelta(hours=5), name="甲"))
    push_one(desk, lend_op(c, utcnow() - timedelta(hours=4), name="乙"))
    with app.app_context():
        from webapp.keys import queries
        from webapp.models import User

        user = db.session.scalar(sa.select(User).where(User.username == "desk"))
        counts = queries.counts(user)
        for status in ("out", "overdue", "disputed", "unapproved", "issued"):
            _rows, _more, total = queries.page_of(queries.Filters(status=status), user)
            assert counts[status] == total, status
        assert counts["overdue"] >= 1 and counts["issued"] >= 1 and counts["disputed"] >= 1
    key = key_of(app, c)
    auth.login("supervisor")
    token = auth.csrf("/keys/disputes")
    response = client.post(
        f"/keys/{key.id}/resolve", data={"csrf_token": token, "status": "in", "note": "在櫃裡"}
    )
    assert response.status_code == 303
    page = client.get("/keys/disputes").get_data(as_text=True)
    recent = page.split("<tbody>")[-1]
    with app.app_context():
        from webapp.models import Key

        label = db.session.get(Key, key.id).label
    assert label in recent and "在櫃裡" in recent
