"""Compressed responses (Flask-Compress) and the CSRF token masking that makes them safe.

Static files, JSON (the sync pull included) and pages go out as brotli or gzip when the
browser asks. Static files are compressed once per file version and kept in memory.

BREACH: a compressed page that holds a secret next to text an attacker chooses (every page
reflects its own path in the language form's ``next`` field) leaks the secret through the
response size. Flask-WTF's signed token repeats the session's raw token in every response, so
pages never carry it as is: ``csrf_token()`` in templates gives the signed token XOR a fresh
random pad, with the pad, different in each response, and ``MaskedCSRFProtect`` takes the pad
off before Flask-WTF checks it (Django masks its token the same way).
"""

from __future__ import annotations

import base64
import secrets
from collections import OrderedDict
from pathlib import Path

from flask import Flask, current_app, request
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect, generate_csrf

# What is worth compressing; images (PNG, JPEG, WebP) and PDFs are compressed already.
MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/problem+json",
    "application/wasm",
    "image/svg+xml",
]

SETTINGS = {
    "COMPRESS_MIMETYPES": MIMETYPES,
    # brotli first (smaller), gzip for the rest; zstd is not in Safari.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    # Level 4: a 1,000-change pull page in 1.6 ms (level 5 took 14 ms for no smaller output).
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,
    # Static files are made whole (below) so they are compressed once and cached; anything
    # else that streams (exports) goes as it is.
    "COMPRESS_STREAMS": False,
}


class StaticCache:
    """Flask-Compress's cache backend, for static files only (keyed by their version)."""

    MAX = 256

    def __init__(self) -> None:
        self.data: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def set(self, key: str, value: bytes) -> None:
        if ";static:" not in key:
            return  # a page or an API answer: never kept, it belongs to one request
        self.data[key] = value
        self.data.move_to_end(key)
        while len(self.data) > self.MAX:
            self.data.popitem(last=False)


def cache_key(req) -> str:
    """A static file's name and version (size, modification time); "-" for anything else."""
    if req.endpoint != "static" or not req.view_args:
        return "-"
    try:
        path = Path(current_app.static_folder, req.view_args["filename"]).resolve()
        stat = path.stat()
    except (OSError, KeyError, ValueError):
        return "-"
    return f"static:{req.view_args['filename']}:{stat.st_size}:{stat.st_mtime_ns}"


compress = Compress()


# ---------------------------------------------------------------- CSRF token masking


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mask(token: str) -> str:
    """The signed token hidden under a fresh random pad: pad + (pad XOR token), base64url.

    A signed token always has two dots; a masked one has none, so the two never mix up."""
    raw = token.encode("ascii")
    pad = secrets.token_bytes(len(raw))
    return _b64(pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True)))


def unmask(value: str | None) -> str | None:
    """The signed token inside a masked one; any other value as it came (Flask-WTF judges)."""
    if not value or "." in value or len(value) > 1024:
        return value
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return value
    if not data or len(data) % 2:
        return value
    half = len(data) // 2
    plain = bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True))
    try:
        return plain.decode("ascii")
    except UnicodeDecodeError:
        return value


def masked_csrf_token() -> str:
    """What templates write as ``csrf_token()``: this request's signed token, masked anew."""
    return mask(generate_csrf())


class MaskedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect that accepts masked tokens (form field or X-CSRFToken)."""

    def _get_csrf_token(self):
        return unmask(super()._get_csrf_token())


def init_app(app: Flask) -> None:
    """Compression for the app; call after CSRFProtect so ``csrf_token()`` is the masked one."""
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", cache_key)
    compress.init_app(app)
    # Flask-WTF offers the bare token both ways: as a Jinja global and a context processor.
    app.jinja_env.globals["csrf_token"] = masked_csrf_token
    app.jinja_env.globals.pop("csrf_meta_tag", None)
    app.context_processor(lambda: {"csrf_token": masked_csrf_token, "csrf_meta_tag": None})

    # Registered after Flask-Compress, so it runs before it: a static file is read whole
    # (it would otherwise stream, uncached) when it is about to be compressed.
    @app.after_request
    def _whole_static_files(response):
        if (
            request.endpoint == "static"
            and response.status_code == 200
            and response.mimetype in MIMETYPES
            and response.is_streamed
            and request.headers.get("Accept-Encoding")
        ):
            response.direct_passthrough = False
            close = getattr(response.response, "close", None)
            data = b"".join(response.iter_encoded())
            if close is not None:
                close()
            response.set_data(data)
        return response
