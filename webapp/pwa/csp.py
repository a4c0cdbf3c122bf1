"""The Content-Security-Policy and the other response headers every page gets.

The app loads nothing from elsewhere and runs no inline script; the scanner's zxing-wasm
needs 'wasm-unsafe-eval' to compile its WebAssembly, and nothing else is allowed.
No `manifest-src`: it is CSP Level 3, WebKit logs it as unrecognized on every page, and
`default-src 'self'` covers the manifest exactly as it would.
"""

from __future__ import annotations

from flask import Flask, Response

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def apply(response: Response) -> Response:
    """Add the security headers."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(self)")
    return response


def init_app(app: Flask) -> None:
    """Send the security headers with every answer."""
    app.after_request(apply)
