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


def test_every_form_reads_its_messages_through_the_catalogue():
    """Does every WTForms form of the app derive from webapp.forms.Form, whose messages come
    from our catalogue? One that derived from FlaskForm itself showed WTForms' bundled "zh"
    (Simplified Chinese: 该字段是必填字段) to a zh-Hant reader — the login and password pages."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import webapp
    from webapp.forms import Form

    for module in pkgutil.walk_packages(webapp.__path__, "webapp."):
        importlib.import_module(module.name)

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    strays = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in set(every(FlaskForm))
        if cls.__module__.startswith("webapp.") and not issubclass(cls, Form)
    )
    assert strays == []


def test_every_wtforms_message_has_its_zh_hant_text():
    """Does our catalogue hold every message WTForms itself may show (a field too long, a date
    that does not read, ...)? Read through our catalogue, one it lacks reaches a zh-Hant reader
    in English."""
    from babel.messages.pofile import read_po
    from wtforms import __file__ as wtforms_init

    with (Path(wtforms_init).parent / "locale" / "wtforms.pot").open("rb") as fh:
        theirs = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    catalogue = ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
    with catalogue.open("rb") as fh:
        ours = {
            m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id and m.string
        }
    assert sorted(theirs - ours) == []
