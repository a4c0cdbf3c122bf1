"""Words: the catalogue, the vocabularies and every screen's text keep to docs/glossary.md."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from webapp import vocab

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"
CATALOGUE = ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"
# Where words reach a reader: templates, the phone's scripts, Python strings (views, exports,
# vocabularies, printed forms) and the catalogue.
SHOWN = ("templates/**/*.html", "static/js/*.js", "static/sw/*.js", "webapp/**/*.py", "sync/*.py")


def _tables() -> dict[str, list[list[str]]]:
    """The glossary's tables by the first cell of their header row."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if current is None:
            current = tables.setdefault(cells[0], [])
        elif not set(cells[0]) <= set("-: "):
            current.append(cells)
    return tables


def _terms() -> list[tuple[str, str]]:
    """(en, zh) for every form of every glossary term."""
    return [(en.strip(), row[1]) for row in _tables()["en"] for en in row[0].split(" / ")]


def _catalogue() -> dict[str, str]:
    """The zh-Hant text of every msgid without a context."""
    with CATALOGUE.open("rb") as fh:
        return {
            m.id: m.string
            for m in read_po(fh)
            if m.id and isinstance(m.id, str) and m.string and not m.context
        }


def test_the_glossary_is_read():
    """Does the glossary parse into terms and forbidden words (so the tests below test)?"""
    assert len(_terms()) > 80
    assert ["屋苑", "小區", ""] in _tables()["never"]


def test_catalogue_uses_the_glossary_terms():
    """Does every glossary term that is a msgid translate to the glossary's zh-Hant term?"""
    catalogue = _catalogue()
    wrong = {}
    for en, zh in _terms():
        for msgid in {en, en.lower(), en[:1].upper() + en[1:]}:
            if msgid in catalogue and catalogue[msgid] != zh:
                wrong[msgid] = (catalogue[msgid], zh)
    assert wrong == {}, "msgid: (catalogue, glossary)"


def test_vocabularies_use_the_glossary_terms():
    """Does every vocabulary value named in the glossary carry the glossary's zh-Hant name?"""
    glossary = dict(_terms())
    wrong = {}
    for name, values in vocab.VOCABULARIES.items():
        for value, (zh, en) in values.items():
            if en in glossary and glossary[en] != zh:
                wrong[f"{name}.{value}"] = (zh, glossary[en])
    assert wrong == {}, "vocabulary value: (vocab.py, glossary)"


def _shown_texts() -> dict[str, str]:
    texts = {str(CATALOGUE.relative_to(ROOT)): "\n".join(_catalogue().values())}
    for pattern in SHOWN:
        for path in ROOT.glob(pattern):
            texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return texts


def test_no_forbidden_word_is_shown():
    """Is no word the glossary forbids (屋苑, 單位 for a dwelling, 網絡, 二維碼, 施工方 ...) in a
    translation, a template, the phone's JS or a Python string?"""
    found = {}
    for never, _instead, allowed in _tables()["never"]:
        allowed_words = [word.strip() for word in allowed.split(",") if word.strip()]
        for where, text in _shown_texts().items():
            for allowed_word in allowed_words:
                text = text.replace(allowed_word, "")
            if never in text:
                lines = [line.strip() for line in text.splitlines() if never in line]
                found.setdefault(never, []).append((where, lines[:2]))
    assert found == {}, "say what docs/glossary.md says instead"


def test_forbidden_words_are_not_glossary_terms():
    """Does the glossary never prescribe a word it also forbids (outside its exceptions)?"""
    clashes = []
    for never, _instead, allowed in _tables()["never"]:
        for en, zh in _terms():
            for allowed_word in (word.strip() for word in allowed.split(",") if word.strip()):
                zh = zh.replace(allowed_word, "")
            if never in zh:
                clashes.append((en, never))
    assert clashes == []


# Domain words every phrase that says them in English must say in zh-Hant too.
PHRASE_TERMS = {"findings?": "報事", "estates?": "小區"}


def test_phrases_say_the_domain_words():
    """Does every message that speaks of a finding say 報事 (not 問題), and of an estate 小區?"""
    wrong = []
    with CATALOGUE.open("rb") as fh:
        for message in read_po(fh):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            text = message.string if isinstance(message.string, str) else message.string[0]
            for word, zh in PHRASE_TERMS.items():
                said = any(re.search(rf"\b{word}\b", msgid, re.I) for msgid in ids if msgid)
                if said and text and zh not in text:
                    wrong.append((ids[0], text))
    assert wrong == []
