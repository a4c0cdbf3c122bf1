#!/usr/bin/env python3
"""Draw the app icons (static/icons/*.png) with Pillow: the 巡 mark on the app's colours.

Run once by hand when the mark changes; the PNGs are committed (a few KB each). Needs a
CJK font: Debian's fonts-noto-cjk.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
TC_FACE = 3  # the .ttc's Traditional Chinese face
PRIMARY = (14, 74, 90)
ACCENT = (201, 115, 29)


def icon(size: int, *, maskable: bool) -> Image.Image:
    """One square icon; a maskable one keeps the mark inside the central 80 % safe zone."""
    scale = 4  # draw large, then shrink, for smooth edges
    big = size * scale
    img = Image.new("RGB", (big, big), PRIMARY)
    draw = ImageDraw.Draw(img)
    if not maskable:
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        draw = ImageDraw.Draw(img)
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=PRIMARY)
    tile = int(big * (0.5 if maskable else 0.66))
    x0 = (big - tile) // 2
    draw.rounded_rectangle((x0, x0, x0 + tile, x0 + tile), radius=tile // 6, fill=ACCENT)
    font = ImageFont.truetype(FONT, int(tile * 0.72), index=TC_FACE)
    draw.text((big / 2, big / 2), "巡", font=font, fill="white", anchor="mm")
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself
        ("favicon-32.png", 32, False),
    ]:
        image = icon(size, maskable=maskable)
        # A 64-colour palette keeps each file a few KB without visible banding.
        image = image.quantize(64, method=Image.Quantize.FASTOCTREE)
        image.save(OUT / name, optimize=True)
        print(f"{name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
