"""Forms one way: every HTML form of the desk areas is read through a WTForms form."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("labels", "keys", "rounds", "registry", "desk")


def test_no_view_reads_the_posted_form_by_hand():
    """Do the labels, keys, rounds, registry and desk views read posts only through their
    forms?"""
    offenders = []
    for area in AREAS:
        for path in sorted((ROOT / "webapp" / area).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"request\.(form|files)\b", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_one_form_base_for_the_whole_app():
    """Is there one base form (webapp/forms.py), with no second copy of its translations?"""
    copies = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "webapp").rglob("*.py"))
        if "class _CatalogTranslations" in path.read_text()
    ]
    assert copies == ["webapp/forms.py"]
