"""The CJK font labels are drawn with: found without configuration, or a clear error.

`make build` (npm ci) installs the npm package ``@embedpdf/fonts-tc`` (Noto Sans Hant)
into the project's node_modules, so a fresh clone needs no root and no system font.
``ROUNDS_LABEL_FONT`` may name another font file (a directory is read as holding
``NotoSansHant-Regular.otf`` and ``NotoSansHant-Bold.otf``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from webapp.config import PROJECT_ROOT

ENV_VAR = "ROUNDS_LABEL_FONT"
PACKAGE_DIR = Path("node_modules") / "@embedpdf" / "fonts-tc" / "fonts"
FILES = {"regular": "NotoSansHant-Regular.otf", "bold": "NotoSansHant-Bold.otf"}


class LabelFontMissing(RuntimeError):
    """The label font is not installed where it should be."""


def _candidates(weight: str) -> list[Path]:
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        path = Path(override)
        return [path / FILES[weight]] if path.is_dir() else [path]
    return [PROJECT_ROOT / PACKAGE_DIR / FILES[weight]]


def font_path(weight: str = "regular") -> Path:
    """The font file for ``weight`` (regular or bold), or LabelFontMissing naming the fix."""
    for path in _candidates(weight):
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in _candidates(weight))
    if os.environ.get(ENV_VAR, "").strip():
        fix = f"point {ENV_VAR} at an existing .otf/.ttf/.ttc file (or unset it)"
    else:
        fix = (
            "run `make build` (or `npm ci` in the project root) to install "
            "@embedpdf/fonts-tc, or set ROUNDS_LABEL_FONT to a CJK font file"
        )
    raise LabelFontMissing(f"the label font was not found (looked for {tried}): {fix}")


@lru_cache(maxsize=64)
def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def font(size: int, weight: str = "regular") -> ImageFont.FreeTypeFont:
    """The label font at ``size`` pixels (cached)."""
    return _load(str(font_path(weight)), int(size))


def check() -> None:
    """Fail early, before any work, if a label font is missing."""
    for weight in FILES:
        font_path(weight)
