"""A phone photographing a dirty printed label, and the phone's decoder reading the photo.

``photograph`` turns a label as printed (the 300 dpi page image of the PDF) into one camera
frame as the scanner decodes it (``static/js/scanner.js``: frames scaled to 720 px on the long
side): the symbol about 240 px across, the label tilted and seen in perspective, paper and ink
of varying brightness under uneven light, slightly out of focus, with sensor noise, on a wall.
Dirt lies on the label before it is photographed: dots of 2-5 px (in the frame's pixels),
about one per 900 px² of label, and a few scratches, dark and light.

``phone_read`` decodes a frame as the phone does: zxing (zxing-cpp here, zxing-wasm on the
phone, same options) on the frame, then on the frame closed with each of
``PHONE_RETRY_KERNELS`` (the phone's ``RETRY_KERNELS``, ``static/js/_denoise.js``); the
closing is Pillow's here, and ``test_dirt.py`` proves it is pixel for pixel the phone's.
Everything is drawn from one ``random.Random``: a seed gives the same frames on every run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tests.webapp.labels.support import read_qr_texts

FRAME = (720, 405)  # a 1280 x 720 camera frame scaled to the scanner's 720 px
SYMBOL_PX = (225, 255)  # the symbol (quiet zone not counted) across, in frame pixels
DIRT_PER_PX2 = 1 / 900
DIRT_DIAMETER = (2.0, 5.0)
PHONE_RETRY_KERNELS = (5, 7)


@dataclass(frozen=True)
class Printed:
    """One printed label: its image at 300 dpi and where its symbol is on it."""

    image: Image.Image  # "L", 0 ink, 255 paper
    symbol_x: float  # the symbol's top-left corner (quiet zone not counted), label pixels
    symbol_y: float
    symbol_size: float  # modules x module size, label pixels


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a small linear system by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [v] for row, v in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def _perspective(frame_pts, label_pts) -> list[float]:
    """Pillow's PERSPECTIVE coefficients: frame pixel (x, y) -> label pixel."""
    a, b = [], []
    for (x, y), (u, v) in zip(frame_pts, label_pts, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    return _solve(a, b)


def _dirty(printed: Printed, rng: random.Random, scale: float, ink: float, paper: float):
    """The label in its photographed greys, with dirt and scratches drawn on it."""
    label = printed.image.point(lambda v: round(ink + (paper - ink) * v / 255))
    draw = ImageDraw.Draw(label)
    w, h = label.size
    dots = round(w * h * scale * scale * DIRT_PER_PX2)
    for _ in range(dots):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(*DIRT_DIAMETER) / 2 / scale
        grey = rng.uniform(ink, ink + 30) if rng.random() < 0.9 else rng.uniform(paper - 30, paper)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=round(grey))
    for _ in range(rng.randint(2, 4)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle, length = rng.uniform(0, math.pi), rng.uniform(30, 140) / scale
        dark = rng.random() < 0.5
        grey = rng.uniform(ink, ink + 60) if dark else rng.uniform(paper - 20, paper)
        end = (x + length * math.cos(angle), y + length * math.sin(angle))
        draw.line((x, y, *end), fill=round(grey), width=max(1, round(1 / scale)))
    return label


def photograph(printed: Printed, rng: random.Random) -> Image.Image:
    """One camera frame of the printed label, dirt and all (greyscale, ``FRAME`` sized)."""
    fw, fh = FRAME
    scale = rng.uniform(*SYMBOL_PX) / printed.symbol_size
    paper, ink = rng.uniform(170, 245), rng.uniform(10, 70)
    label = _dirty(printed, rng, scale, ink, paper)

    # Where the label's corners land in the frame: scaled, turned about the symbol's
    # centre, each corner moved a little (perspective), the symbol near the frame's centre.
    cx = printed.symbol_x + printed.symbol_size / 2
    cy = printed.symbol_y + printed.symbol_size / 2
    turn = math.radians(rng.uniform(-8, 8))
    centre = (fw / 2 + rng.uniform(-150, 150), fh / 2 + rng.uniform(-20, 20))
    w, h = label.size
    jitter = 0.035 * w * scale
    label_pts = [(0, 0), (w, 0), (w, h), (0, h)]
    frame_pts = []
    for u, v in label_pts:
        dx, dy = (u - cx) * scale, (v - cy) * scale
        frame_pts.append(
            (
                centre[0] + dx * math.cos(turn) - dy * math.sin(turn) + rng.uniform(-1, 1) * jitter,
                centre[1] + dx * math.sin(turn) + dy * math.cos(turn) + rng.uniform(-1, 1) * jitter,
            )
        )
    wall = round(rng.uniform(40, 200))
    frame = label.transform(
        FRAME,
        Image.Transform.PERSPECTIVE,
        _perspective(frame_pts, label_pts),
        Image.Resampling.BILINEAR,
        fillcolor=wall,
    )

    # Uneven light: up to a third darker from one side to the other.
    gradient = Image.linear_gradient("L").resize(FRAME).rotate(rng.uniform(0, 360), fillcolor=128)
    depth = rng.uniform(0, 0.35)
    frame = ImageChops.multiply(frame, gradient.point(lambda v: round(255 * (1 - depth * v / 255))))
    frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    amplitude = rng.randint(4, 12)
    noise = Image.frombytes("L", FRAME, rng.randbytes(fw * fh))
    noise = noise.point(lambda v: v * amplitude // 255)
    frame = ImageChops.subtract(ImageChops.add(frame, noise), Image.new("L", FRAME, amplitude // 2))
    return frame


def closing(image: Image.Image, size: int) -> Image.Image:
    """Greyscale closing with a size x size square: dark specks smaller than it go."""
    return image.filter(ImageFilter.MaxFilter(size)).filter(ImageFilter.MinFilter(size))


def phone_read(frame: Image.Image, kernels=PHONE_RETRY_KERNELS) -> list[str]:
    """Read a frame as the phone does: as it is, then closed with each retry kernel."""
    texts = read_qr_texts(frame)
    for size in kernels:
        if texts:
            break
        texts = read_qr_texts(closing(frame, size))
    return texts
