"""Dirty labels: printed unit labels, photographed with dirt on them, still read on the phone.

The frames (``camera.photograph``) are decoded twice: by zxing-cpp with Pillow's closing as
the phone's retry, and by the phone's own code under node (``phone_read.mjs``: the scanner's
``_denoise.js`` and the zxing-wasm build the app ships). docs/labels.md has the measurements.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from tests.webapp.labels import camera
from tests.webapp.labels.support import pdf_pages
from webapp.labels import codes, printing, sheets
from webapp.models import LabelCode

BASE = "https://rounds.example.com"
SAMPLES = 300
SEED = 186
TEMPLATE = "address-24"
PHONE = Path(__file__).with_name("phone_read.mjs")


def _unit_labels(rng: random.Random, n: int) -> list[sheets.LabelData]:
    """Unit labels as the printer makes them (printing.label_data): new codes, real texts."""
    units, by_item = [], {}
    for i in range(n):
        floor = rng.randint(1, 33)
        room = f"{floor}{rng.randint(1, 8):02d}"
        building, entrance = rng.randint(1, 12), rng.randint(1, 4)
        units.append(SimpleNamespace(id=i, label=f"{building}棟-{entrance}單元-{floor}樓-{room}室"))
        body = codes.random_code(codes.SHORT_BODY_LENGTH)
        by_item[i] = LabelCode(
            code=codes.random_code(), short_code=body + codes.check_character(body)
        )
    estate = SimpleNamespace(name="翠湖花園")
    return printing.label_data("unit", units, by_item, estate, BASE)


def _printed(labels: list[sheets.LabelData]) -> list[camera.Printed]:
    """Each label cut from the PDF's pages (the 1-bit images it holds), with its symbol's place."""
    template = sheets.get_template(TEMPLATE)
    out = io.BytesIO()
    sheets.write_pdf(labels, template, out)
    pages = pdf_pages(out.getvalue())
    plans = sheets.plan_pages(labels, template)
    assert len(pages) == len(plans)
    printed = []
    w, h = template.size_px
    for page, plan in zip(pages, plans, strict=True):
        drawn, boxes = sheets.render_page(plan, template)
        assert page.tobytes() == drawn.convert("L").tobytes(), "the PDF holds the drawn page"
        for position, box in enumerate(boxes):
            x, y = template.origin(plan.start + position)
            quiet = sheets.QUIET_MODULES * box.module_px
            printed.append(
                camera.Printed(
                    image=page.crop((x, y, x + w, y + h)),
                    symbol_x=box.x - x + quiet,
                    symbol_y=box.y - y + quiet,
                    symbol_size=box.modules * box.module_px,
                )
            )
    return printed


@pytest.fixture(scope="module")
def dirty():
    """SAMPLES printed unit labels and one dirty camera frame of each, from one seed."""
    rng = random.Random(SEED)
    labels = _unit_labels(rng, SAMPLES)
    frames = [camera.photograph(printed, rng) for printed in _printed(labels)]
    return [label.url for label in labels], frames


def _rate(urls, texts) -> float:
    wrong = [t for url, read in zip(urls, texts, strict=True) for t in read if t != url]
    assert not wrong, f"read as another label's text: {wrong[:3]}"
    return sum(url in read for url, read in zip(urls, texts, strict=True)) / len(urls)


def _phone(mode: str, frames: list[Image.Image], tmp_path: Path, *extra: str) -> str:
    path = tmp_path / "frames.gray"
    path.write_bytes(b"".join(frame.tobytes() for frame in frames))
    width, height = frames[0].size
    args = ["node", str(PHONE), mode, str(path), str(width), str(height), *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dirty_unit_labels_read_at_least_98_percent(dirty):
    """Photographed as a phone does (symbol ~240 px), with dirt, do >= 98 % read right?"""
    urls, frames = dirty
    rate = _rate(urls, [camera.phone_read(frame) for frame in frames])
    assert rate >= 0.98, f"{rate:.1%} of {len(urls)} dirty labels read"


def test_the_phones_own_decoder_reads_them_too(dirty, tmp_path):
    """Do the scanner's retries and zxing-wasm, run by node on the same frames, read >= 98 %?"""
    urls, frames = dirty
    rate = _rate(urls, json.loads(_phone("read", frames, tmp_path)))
    assert rate >= 0.98, f"{rate:.1%} of {len(urls)} dirty labels read by the phone's decoder"


def test_the_phone_closes_a_frame_exactly_as_the_simulation_does(dirty, tmp_path):
    """Are the phone's retry squares and its closing, pixel for pixel, what the test uses?"""
    _urls, frames = dirty
    some = frames[:3]
    out = tmp_path / "closed.gray"
    told = json.loads(_phone("close", some, tmp_path, str(out)))
    assert tuple(told["kernels"]) == camera.PHONE_RETRY_KERNELS
    closed = out.read_bytes()
    size = len(some[0].tobytes())
    at = 0
    for frame in some:
        for kernel in camera.PHONE_RETRY_KERNELS:
            ours = camera.closing(frame, kernel).tobytes()
            assert closed[at : at + size] == ours, f"closing {kernel} differs"
            assert ours != frame.tobytes()
            at += size
    assert at == len(closed)
