"""Typed text read one way (webapp/text.py): what is invisible at the ends goes, text of nothing
else is blank, what is inside a name stays; a name is folded before its length is judged."""

from __future__ import annotations

import pytest

from webapp.text import NotAnAddress, blank, email_address, fold, invisible, trim

# Outside testers' values: each draws nothing, alone or mixed with ordinary spaces.
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200d",  # and a zero-width joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
    "\u3000",  # ideographic space
    "\u00a0",  # no-break space
    " \u200b \u3000\u00a0\t\u2060 ",
    "\u200e\u202e",  # direction marks
    "\u3164",  # Hangul filler (Lo, but Unicode's default-ignorable)
    "\ufe0f",  # a variation selector on nothing
]

FLAG = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # Scotland
KEPT = [
    ("a\u200db", "a\u200db"),  # a joiner between letters is the writer's
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f468\u200d\U0001f469\u200d\U0001f467"),
    ("\u2764\ufe0f", "\u2764\ufe0f"),  # ❤️ ends in its variation selector
    (f"會所{FLAG}", f"會所{FLAG}"),  # a flag ends in tag characters (Cf)
    ("\u200b3棟\u200b", "3棟"),
    ("\ufeff 陳美玲 \u3000", "陳美玲"),
    ("\u200d\u2764\ufe0f\u200b ", "\u2764\ufe0f"),
]


@pytest.mark.parametrize("value", INVISIBLE)
def test_text_of_nothing_visible_is_blank(value):
    """Is a value of invisible characters blank, trimmed to nothing and folded to nothing?"""
    assert blank(value)
    assert trim(value) == ""
    assert fold(value) == ""


@pytest.mark.parametrize(("value", "kept"), KEPT)
def test_the_ends_are_trimmed_and_the_inside_kept(value, kept):
    """Are the invisible ends trimmed, and joiners, selectors and tags of a real name kept?"""
    assert trim(value) == kept
    assert not blank(value)


def test_fold_is_nfkc_with_one_space_and_trimmed():
    """Is a name folded as it is kept: full-width folded, spaces as one, ends trimmed, and is
    its folded length what a column must hold?"""
    assert fold("\u200b３棟　Ａ座 \u00a0\u200b") == "3棟 A座"
    assert len(fold("\ufdfa")) == 18
    assert fold(None) == "" and fold(12) == "12"
    assert trim(None) is None


# An address the mail goes to, exactly one: what would reach a second recipient, or carry a
# header, or is no address, is refused for its reason; nothing is cut.
ADDRESSES = [
    ("lin@example.test", "lin@example.test"),
    ("  Lin.Mei+alerts@Mail.Example.COM\u200b ", "Lin.Mei+alerts@Mail.Example.COM"),
    ("o'neil_x-y@sub-1.example.tw", "o'neil_x-y@sub-1.example.tw"),
    ("ｌｉｎ＠ｅｘａｍｐｌｅ．ｔｗ", "lin@example.tw"),  # typed with a full-width IME
    ("陳@例子.台灣", None),  # an address the mail server cannot take (no SMTPUTF8)
    ("lin@例子.台灣", "lin@xn--fsqu00a.xn--kpry57d"),
]
REFUSED = [
    ("a,b@c.de", "not_one"),
    ("a@c.de,b@c.de", "not_one"),
    ("a@c.de;b@c.de", "not_one"),
    ("a b@c.de", "not_one"),
    ("a@c.de b@c.de", "not_one"),
    ("Lin <lin@c.de>", "not_one"),
    ("<lin@c.de>", "not_one"),
    ("lin@c.de\r\nBcc: x@evil.test", "not_one"),
    ("lin@c.de\nx", "not_one"),
    ("lin@c.de\u3000x@c.de", "not_one"),
    ("lin\u200b@c.de", "not_one"),
    ("a@b@c.de", "malformed"),
    ("not an address", "malformed"),
    ("lin", "malformed"),
    ("lin@", "malformed"),
    ("@c.de", "malformed"),
    ("lin@c", "malformed"),
    ("lin@.c.de", "malformed"),
    ("lin@c..de", "malformed"),
    ("lin@-c.de", "malformed"),
    ("lin@c.123", "malformed"),
    (".lin@c.de", "malformed"),
    ("li..n@c.de", "malformed"),
    ('"lin"@c.de', "malformed"),
    ("lin(x)@c.de", "malformed"),
    ("陳@例子.台灣", "malformed"),
    ("x" * 65 + "@c.de", "too_long"),
    ("lin@" + "a" * 250 + ".de", "too_long"),
    ("lin@" + ".".join(["a" * 60] * 5) + ".de", "too_long"),
]


@pytest.mark.parametrize(("value", "kept"), [a for a in ADDRESSES if a[1]])
def test_one_email_address_is_read_as_kept(value, kept):
    """Is one address taken, trimmed, folded from full-width, its domain in ASCII?"""
    assert email_address(value) == kept


@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_what_is_not_one_email_address_is_refused_for_its_reason(value, reason):
    """Is a list, a display name, a header, an over-long or a malformed address refused, for
    the reason the form will say — never cut to fit?"""
    with pytest.raises(NotAnAddress) as refused:
        email_address(value)
    assert refused.value.reason == reason


def test_the_phone_reads_text_by_the_same_rule():
    """Does the phone's helper (static/js/phone/text.js, run by node) find the same code points
    invisible as ``webapp.text.invisible`` — any extra only one this Python's Unicode does not
    know yet — and trim the tables here as ``trim`` does?"""
    import json
    import subprocess
    import unicodedata
    from pathlib import Path

    module = Path(__file__).parents[2] / "static" / "js" / "phone" / "text.js"
    values = INVISIBLE + [value for value, _kept in KEPT]
    script = (
        f"import {{ invisible, trim }} from {json.dumps(module.as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "const values = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const found = [];\n"
        "for (let cp = 0; cp <= 0x10ffff; cp++) {\n"
        "  if (cp >= 0xd800 && cp <= 0xdfff) continue;\n"
        "  if (invisible(String.fromCodePoint(cp))) found.push(cp);\n"
        "}\n"
        "console.log(JSON.stringify({ found, trimmed: values.map(trim) }));\n"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    phone = set(answer["found"])
    server = {cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and invisible(chr(cp))}
    assert server <= phone, sorted(hex(cp) for cp in server - phone)
    newer = {cp for cp in phone - server if unicodedata.category(chr(cp)) != "Cn"}
    assert not newer, sorted(hex(cp) for cp in newer)
    assert answer["trimmed"] == [trim(value) for value in values]
