"""Languages: every message has its zh-Hant text, and the page says which language it is in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("webapp/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
CATALOGUE = ROOT / "translations" / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po"


def _extracted() -> dict[tuple[str | None, str], str]:
    """Every (context, msgid) the code and templates use, with the first file using it."""
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault((context, msgid), filename)
    return found


def _translated() -> dict[tuple[str | None, str], str]:
    """Every translated (context, msgid) of the zh-Hant catalogue."""
    merged = {}
    with CATALOGUE.open("rb") as fh:
        for message in read_po(fh):
            if message.id and message.string:
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                for msgid in ids:  # a plural's both forms
                    merged[(message.context, msgid)] = message.string
    return merged


def test_every_message_has_a_zh_hant_translation():
    """Does every string shown to users have its zh-Hant text (so nothing is English-only)?"""
    translated = _translated()
    missing = {msgid: where for msgid, where in _extracted().items() if msgid not in translated}
    assert missing == {}, "add these to translations/zh_Hant_TW/LC_MESSAGES/messages.po"


def test_pages_are_zh_hant_first_with_the_right_lang(client, seed):
    """Is the login page in zh-Hant by default, tagged lang=zh-Hant-TW?"""
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in page
    assert "登入巡查系統" in page


def test_english_reader_gets_english(client, seed):
    """Does a browser that prefers English get the English page, tagged lang=en?"""
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page
    assert "Log in to Rounds" in page


def test_language_switch_sticks_and_returns(client, auth, seed):
    """Does the switch change the language, go back to the page, and stay switched?"""
    response = client.post(
        "/language", data={"locale": "en", "next": "/login", "csrf_token": auth.csrf()}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "Log in to Rounds" in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_offsite_next(client, auth, seed):
    """Is an off-site return address replaced by home?"""
    response = client.post(
        "/language",
        data={"locale": "en", "next": "https://evil.example/", "csrf_token": auth.csrf()},
    )
    assert response.headers["Location"] == "/"


def test_language_switch_needs_csrf(client, seed):
    """Is the language form CSRF-protected like every form?"""
    assert client.post("/language", data={"locale": "en"}).status_code == 400


def _catalogue_entries() -> list[tuple[str, str | None, str, object]]:
    """Every translated entry of every .po file: (file, context, msgid, msgstr)."""
    entries = []
    for po in sorted((ROOT / "translations").glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string:
                    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                    string = message.string
                    string = tuple(string) if isinstance(string, (list, tuple)) else string
                    entries.append((po.name, message.context, msgid, string))
    return entries


def test_one_catalogue_per_language():
    """Is each language one messages.po (areas merged), so a word has one translation?"""
    for lc_dir in (ROOT / "translations").glob("*/LC_MESSAGES"):
        assert sorted(p.name for p in lc_dir.glob("*.po")) == ["messages.po"], lc_dir


def test_no_msgid_has_two_translations():
    """Does each English msgid (in its context) take one zh-Hant text in every catalogue?
    Two catalogues once gave "Pending" 待檢 and 待上傳, and the later file silently won."""
    seen: dict[tuple, set] = {}
    for _name, context, msgid, string in _catalogue_entries():
        seen.setdefault((context, msgid), set()).add(string)
    clashes = {key: strings for key, strings in seen.items() if len(strings) > 1}
    assert clashes == {}, "give one translation, or a msgctxt (pgettext) per meaning"


def test_the_app_is_named_in_chinese_in_chinese():
    """Does every zh-Hant text call the app 巡查系統, never by its English name? "請把 Rounds
    加入主畫面" sat on the patrol home, beside texts that say 巡查系統."""
    english_name = [
        msgid
        for _name, _context, msgid, string in _catalogue_entries()
        if any("Rounds" in s for s in (string if isinstance(string, tuple) else (string,)))
    ]
    assert english_name == []


def test_no_message_writes_a_plural_as_s():
    """Is every count phrase a real plural (ngettext), not "{n} key(s)" ("0 key(s)", "1 key(s)")?"""
    assert [msgid for _ctx, msgid in _extracted() if "(s)" in msgid] == []


def test_the_phone_gets_both_plural_forms(client, seed):
    """Does the keys screen carry "{n} key" and "{n} keys" for English, one form for zh-Hant?"""
    import json
    import re

    def strings(lang):
        html = client.get("/app/keys", headers={"Accept-Language": lang}).get_data(as_text=True)
        return json.loads(re.search(r'id="keys-config">(.*?)</script>', html, re.S).group(1))[
            "strings"
        ]

    assert strings("en")["keysN"] == {"one": "{n} key", "other": "{n} keys"}
    assert strings("zh-TW")["keysN"] == {"one": "{n} 把鑰匙", "other": "{n} 把鑰匙"}


@pytest.mark.parametrize(
    ("zone", "zh", "en"),
    [
        ("Asia/Taipei", "台北時間", "Taiwan Time"),
        ("Asia/Hong_Kong", "香港時間", "Hong Kong Time"),
        ("Etc/GMT-8", "GMT+08:00", "GMT+08:00"),  # a zone of no place: its offset
        ("Nowhere/Atlantis", "Nowhere/Atlantis", "Nowhere/Atlantis"),  # not a zone: as written
    ],
)
def test_a_time_zone_is_named_as_its_reader_says_it(app, zone, zh, en):
    """Is an estate's time zone named in the reader's language, never by its id alone?"""
    from webapp.i18n import zone_name

    for accept, name in (("zh-TW", zh), ("en", en)):
        with app.test_request_context(headers={"Accept-Language": accept}):
            assert zone_name(zone) == name


# A word put in brackets beside another by hand: 「李先生 (業主)」 in Chinese, where it takes
# full-width brackets and no space. webapp.i18n.aside and static/js/phone/i18n.js aside write it.
BRACKETED_BY_HAND = re.compile(r"\((?:\{\{|\$\{)")
ASIDE_ITSELF = {"static/js/phone/i18n.js"}


def test_no_page_puts_a_word_in_brackets_by_hand():
    """Does every template and phone script put a word in brackets beside another through
    aside, never as "{{ a }} ({{ b }})" or `${a} (${b})`? The key's holder on a unit's page
    (server and phone), a loan request's borrower type, a patroller's username and a retired
    label's reason still wrote 李先生 (租戶) with English's brackets in Chinese."""
    by_hand = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for pattern in ("templates/**/*.html", "static/js/**/*.js")
        for path in sorted(ROOT.glob(pattern))
        if str(path.relative_to(ROOT)) not in ASIDE_ITSELF
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BRACKETED_BY_HAND.search(line)
    ]
    assert by_hand == [], "\n".join(by_hand)


def test_a_word_beside_another_takes_its_languages_brackets(app, client, auth, seed):
    """Chinese writes a word in brackets beside another with full-width brackets and no space
    (登記為在櫃（12）), English with a space and half-width ones; is that so in the helper and on
    a page that uses it (the desk's handover)?"""
    from webapp.i18n import aside

    for accept, said in (("zh-TW", "李先生（業主）"), ("en", "李先生 (業主)")):
        with app.test_request_context(headers={"Accept-Language": accept}):
            assert aside("李先生", "業主") == said
    auth.login("desk")
    page = client.get("/desk/handover").get_data(as_text=True)
    assert "登記為在櫃（" in page and "登記為在櫃 (" not in page
