"""Compressed responses (issue 15, defect 8) and the masked CSRF token that keeps pages safe."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest

from tests.conftest import csrf_token_from
from webapp import compression

STATIC = Path(__file__).resolve().parents[2] / "static"
BUILT = STATIC / "build" / "shell.js"

BOTH = {"Accept-Encoding": "gzip, deflate, br"}
GZIP = {"Accept-Encoding": "gzip"}


def _body(response) -> bytes:
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    assert encoding is None, encoding
    return data


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/static/css/app.css", "text/css"),
        ("/static/build/shell.js", "text/javascript"),
        ("/static/build/sw.js", "text/javascript"),
    ],
)
def test_static_css_and_js_are_compressed_when_asked(client, path, mimetype):
    """Do CSS and JS go out as brotli (or gzip when only that is asked), the same bytes inside,
    and plain to a client that asks for nothing?"""
    if "build" in path and not BUILT.exists():
        pytest.fail("static/build is made by `make build`")
    plain = client.get(path)
    assert plain.status_code == 200 and plain.mimetype == mimetype
    assert "Content-Encoding" not in plain.headers
    original = plain.get_data()
    plain.close()
    for headers, encoding in ((BOTH, "br"), (GZIP, "gzip")):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) == len(response.get_data())
        assert len(response.get_data()) < len(original)
        assert _body(response) == original
        # Twice: the second answer comes from the cache of compressed static files.
        assert _body(client.get(path, headers=headers)) == original


def test_the_scanners_wasm_is_compressed():
    """Is the decoder's wasm (the largest file the phone precaches) on the compressed list?"""
    assert "application/wasm" in compression.MIMETYPES


def test_compressed_static_files_keep_their_validators(client):
    """Does a compressed static file answer If-None-Match with 304, its ETag told apart from the
    plain file's (so no cache mixes the two)?"""
    plain = client.get("/static/css/app.css")
    plain.close()
    first = client.get("/static/css/app.css", headers=BOTH)
    etag = first.headers["ETag"]
    assert etag != plain.headers["ETag"]
    again = client.get("/static/css/app.css", headers={**BOTH, "If-None-Match": etag})
    assert again.status_code == 304


def test_sync_pull_json_is_compressed(client, auth, seed):
    """Is /api/sync/pull (the largest JSON the phone fetches) compressed, the JSON intact?"""
    auth.login("patrol")
    plain = client.get("/api/sync/pull?limit=200")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    response = client.get("/api/sync/pull?limit=200", headers=BOTH)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    doc = json.loads(_body(response))
    assert doc["changes"] and len(response.get_data()) < len(plain.get_data())
    gz = client.get("/api/sync/pull?limit=200", headers=GZIP)
    assert gz.headers["Content-Encoding"] == "gzip"
    assert json.loads(_body(gz))["changes"]


def _tokens(html: str) -> list[str]:
    return re.findall(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"', html)


def test_a_page_with_a_csrf_token_masks_it_anew_in_every_response(client, auth, seed):
    """BREACH: is the CSRF token on a compressed page different in every response (and every
    place on the page), so no secret repeats for the compression to give away?"""
    auth.login("patrol")
    seen = set()
    for _ in range(3):
        response = client.get("/", headers=BOTH)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "br"
        html = _body(response).decode()
        tokens = [a or b for a, b in _tokens(html)]
        assert len(tokens) >= 2
        for token in tokens:
            assert token not in seen
            seen.add(token)
            assert "." not in token  # never the bare signed token
    # Nor does the session's raw token (what every signed token carries) appear anywhere.
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    assert raw not in html
    assert compression._b64(json.dumps(raw).encode()) not in html


def test_every_masked_token_still_validates(client, auth, seed):
    """Does each masked token work, as a form field and as the X-CSRFToken header?"""
    auth.login("patrol")
    first = csrf_token_from(client.get("/").get_data(as_text=True))
    second = csrf_token_from(client.get("/").get_data(as_text=True))
    assert first != second
    form = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": first})
    assert form.status_code in (302, 303)
    header = client.post(
        "/language", data={"locale": "zh_Hant_TW", "next": "/"}, headers={"X-CSRFToken": second}
    )
    assert header.status_code in (302, 303)


def test_a_forged_or_tampered_token_is_refused(client, auth, seed):
    """Is a token with a flipped byte, or a random one, refused with 400, never a 5xx?"""
    auth.login("patrol")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    # A character in the middle of the signed token's signature, masked again: where the flip
    # lands in the masked text depends on the random pad, and a base64 segment's last
    # character may carry only padding bits (such a flip decodes to the same bytes).
    signed = compression.unmask(token)
    body, signature = signed.rsplit(".", 1)
    mid = len(signature) // 2
    changed = "A" if signature[mid] != "A" else "B"
    flipped = compression.mask(f"{body}.{signature[:mid]}{changed}{signature[mid + 1 :]}")
    for bad in (flipped, "x", "AAAA", compression.mask("a.b.c"), "é" * 10, "a" * 5000):
        response = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": bad})
        assert response.status_code == 400, bad


def test_mask_round_trips_and_differs_each_time():
    """Does unmask(mask(t)) give t back, with a different masked text each time?"""
    token = "ImFiYyI.aBcDeF.sig-_nature"
    masked = {compression.mask(token) for _ in range(20)}
    assert len(masked) == 20
    assert all(compression.unmask(m) == token for m in masked)
    assert compression.unmask(token) == token  # a bare signed token is judged as it is
    assert compression.unmask(None) is None
