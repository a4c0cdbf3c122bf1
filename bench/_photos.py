"""Photos as a phone sends them (static/js/phone/photo.js: 1600 px on the long side, JPEG at
0.82): a real JPEG of ~200 KB, made distinct for each phone by a comment segment, so every
upload is a new photo the server decodes, cleans and re-encodes in full."""

from __future__ import annotations

import hashlib
import io
import random
import struct
from pathlib import Path

from PIL import Image

SIDE = (1600, 1200)
QUALITY = 82


def base_jpeg(rng: random.Random) -> bytes:
    """Coarse noise scaled up: about 200 KB at the phone's size and quality."""
    small = (50, 37)
    noise = bytes(rng.getrandbits(8) for _ in range(small[0] * small[1] * 3))
    image = Image.frombytes("RGB", small, noise).resize(SIDE, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after SOI: other bytes, other sha256, same pixels."""
    body = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def jpeg_variants(folder: Path, prefix: str, n: int, rng: random.Random) -> list[tuple[str, Path]]:
    """``n`` distinct photos written to ``folder``: [(sha256, path)]."""
    folder.mkdir(parents=True, exist_ok=True)
    base = base_jpeg(rng)
    made = []
    for i in range(n):
        data = with_comment(base, f"{prefix}{i}-{rng.getrandbits(64):016x}")
        sha = hashlib.sha256(data).hexdigest()
        path = folder / f"{sha}.jpg"
        path.write_bytes(data)
        made.append((sha, path))
    return made
