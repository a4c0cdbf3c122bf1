"""A push service the tests run: an HTTPS server on 127.0.0.1 that records every request.

No real push service (FCM, Apple's, Mozilla's) is reachable here. A subscription names this
server's URL instead (the app is told to trust its self-signed certificate through
PUSH_CA_BUNDLE and to accept 127.0.0.1 as a push service host); the test then reads what the
app sent — the VAPID Authorization, the headers, the aes128gcm body — and decrypts the body
with the browser-side keys that ``Subscriber`` holds, as a browser would.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "push.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "push-cert.pem", directory / "push-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """The running push service: its requests, and the status it answers per path."""

    server: ThreadingHTTPServer
    cert: Path
    requests: list[Recorded] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)  # path → status (default 201)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.server.server_port}"

    def url(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(directory: Path) -> Recorder:
    """Run a recording push service on a free port until ``close()``."""
    cert, key = self_signed(directory)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            recorder.requests.append(
                Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(recorder.status.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    recorder = Recorder(server=server, cert=cert)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return recorder


@dataclass
class Subscriber:
    """What a browser holds for one subscription: its ECDH key pair and auth secret."""

    private: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> Subscriber:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def subscription(self, endpoint: str) -> dict:
        """PushSubscription.toJSON() as a browser posts it."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        """The message, decrypted as the browser does (RFC 8291, aes128gcm)."""
        plain = http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def verify_vapid(authorization: str) -> tuple[dict, str]:
    """Check ``vapid t=<JWT>,k=<key>`` (RFC 8292): the JWT is ES256, signed by the key given
    in ``k``. Returns (the JWT's claims, k). AssertionError / InvalidSignature when not."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, k = parts["t"], parts["k"]
    head_b64, claims_b64, sig_b64 = token.split(".")
    header = json.loads(unb64url(head_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}, header
    signature = unb64url(sig_b64)
    assert len(signature) == 64, "ES256 signatures are r‖s, 64 bytes"
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
    public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64url(claims_b64)), k


def signed_in(session, user_id: int, hours: int = 8) -> str:
    """A signed-in browser session of the user (a push subscription is sent to only while
    the session that posted it is open): its row's id, for ``PushSubscription.session_id``."""
    from webapp.models import UserSession, utcnow

    sid = os.urandom(32).hex()
    now = utcnow()
    session.add(
        UserSession(
            id=sid, user_id=user_id, created_at=now, expires_at=now + dt.timedelta(hours=hours)
        )
    )
    return sid
