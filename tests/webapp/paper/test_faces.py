"""The forms' font faces, parsed once per process (webapp/paper/faces.py): does every document
still embed exactly the glyphs it prints, byte for byte what fpdf2's own add_font makes, however
many documents were made before it, beside it, or in other threads?"""

from __future__ import annotations

import io
import re
import shutil
import threading
import zlib
from datetime import UTC, datetime

import pytest
from fontTools import ttLib
from fontTools.cffLib import CFFFontSet
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

from tests.webapp.paper.test_forms import pdf_text
from webapp.labels import fonts
from webapp.paper import faces
from webapp.paper.pdf import Cell, Column, Paper

PRINTED = datetime(2026, 11, 30, 1, 15, tzinfo=UTC)
# Two texts with no CJK character in common (the forms' own headings aside), on forms of
# different lengths (so their PDF objects are numbered differently).
FIRST = ("甲乙丙丁戊", "Alpha")
SECOND = ("鼠牛虎兔龍", "Omega")
PAGES = {FIRST: 1, SECOND: 3}
WEIGHTS = ("regular", "bold")  # a bad cell is bold


def _form(words: tuple[str, str]) -> Paper:
    """A small form whose table prints ``words`` (regular and bold: a bad cell is bold)."""
    paper = Paper(estate="翠湖花園", title_zh="巡查", title_en="Rounds", printed=PRINTED)
    for _ in range(PAGES.get(words, 1)):
        paper.add_page()
        paper.table([Column("字", "Word"), Column("結果", "Result")],
                    [[words[0], Cell(words[1], bad=True)]])  # fmt: skip
    return paper


def _fpdf2s_own(monkeypatch, words: tuple[str, str]) -> bytes:
    """The same form with the faces read by fpdf2's add_font, as before the cache."""
    with monkeypatch.context() as m:
        m.setattr(faces, "face", lambda _path: None)
        return _form(words).output_bytes()


def embedded_glyphs(data: bytes) -> set[str]:
    """The glyph names of every CFF font program embedded in ``data``."""
    found = set()
    for match in re.finditer(rb"obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n", data, re.S):
        head = match.group(1)
        if b"/CIDFontType0C" not in head:
            continue
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        program = data[match.end() : match.end() + length]
        if b"/FlateDecode" in head:
            program = zlib.decompress(program)
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(program), None)
        found.update(cff[cff.fontNames[0]].charset)
    return found


def _glyphs(text: str) -> set[str]:
    cmap = faces.face(fonts.font_path("regular")).shared["cmap"]
    return {cmap[ord(c)] for c in text}


def test_a_face_is_parsed_once_per_process(monkeypatch):
    """Was Noto Sans Hant parsed again (two faces, about 60 ms of CPU each) for every form?"""
    _form(FIRST).output_bytes()  # the faces, if no test before read them
    made = []
    original = TTFFont.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TTFFont, "__init__", counted)
    for words in (FIRST, SECOND, FIRST):
        assert _form(words).output_bytes().startswith(b"%PDF")
    assert made == []


def _one_inside_the_other(monkeypatch, outer: Paper, inner: Paper) -> tuple[bytes, bytes]:
    """Both PDFs, ``inner`` written whole in the middle of writing ``outer`` (its fonts subset
    and given object ids, not yet written out): what two threads can do, made certain."""
    inside = []
    between = OutputProducer._add_shadings  # what fpdf2 does right after the fonts

    def with_inner(self):
        if self.fpdf is outer and not inside:
            inside.append(inner.output_bytes())
        return between(self)

    with monkeypatch.context() as m:
        m.setattr(OutputProducer, "_add_shadings", with_inner)
        written = outer.output_bytes()
    return written, inside[0]


def test_each_document_embeds_the_glyphs_it_prints_and_no_others(monkeypatch):
    """Two forms made one after the other, and two laid out side by side, the second written
    in the middle of writing the first: does each PDF read back its own words and not the
    other's, embed the glyphs of its own words and none of the other's, and equal byte for byte
    the form fpdf2's own add_font makes? A font, subset map or descriptor shared between
    documents fails one of them."""
    own = {words: _fpdf2s_own(monkeypatch, words) for words in (FIRST, SECOND)}
    one_after = [_form(FIRST).output_bytes(), _form(SECOND).output_bytes()]
    side_by_side = _one_inside_the_other(monkeypatch, _form(FIRST), _form(SECOND))
    for made in (one_after, side_by_side):
        for data, words, other in ((made[0], FIRST, SECOND), (made[1], SECOND, FIRST)):
            text = pdf_text(data)
            assert words[0] in text and words[1] in text
            assert not set(other[0]) & set(text) and other[1] not in text
            glyphs = embedded_glyphs(data)
            assert _glyphs(words[0] + words[1]) <= glyphs
            assert not _glyphs(other[0]) & glyphs
            assert data == own[words]


def test_forms_made_in_threads_at_once_are_each_their_own(monkeypatch):
    """A gunicorn worker's threads or the job worker's beside a request: do forms made at the
    same time in two threads each come out as fpdf2's own add_font makes them?"""
    own = {words: _fpdf2s_own(monkeypatch, words) for words in (FIRST, SECOND)}
    results: dict[tuple[str, str], list[bytes]] = {FIRST: [], SECOND: []}
    start = threading.Barrier(2)

    def make(words):
        start.wait()
        for _ in range(4):
            results[words].append(_form(words).output_bytes())

    threads = [threading.Thread(target=make, args=(w,)) for w in (FIRST, SECOND)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for words, made in results.items():
        assert made == [own[words]] * 4


def test_a_character_the_font_lacks_is_reported_for_its_document_only(monkeypatch, caplog):
    """fpdf2 logs the characters a document's font lacks: is one form's missing character
    (here a Hangul syllable, which Noto Sans Hant does not hold) still said of that form only,
    and its PDF as fpdf2's own? And are the held face's widths left as parsed — a width lookup
    of a character the font lacks adds it to the widths (a defaultdict): a face sharing them
    would grow with every such character any user typed, for the life of the process, and be
    changed under a thread copying them for its own document?"""
    lacking = ("甲乙한", "Alpha")
    own = _fpdf2s_own(monkeypatch, lacking)
    widths = {weight: dict(faces.face(fonts.font_path(weight)).widths) for weight in WEIGHTS}
    caplog.clear()
    assert _form(lacking).output_bytes() == own
    assert "한" in caplog.text
    for weight in WEIGHTS:
        assert faces.face(fonts.font_path(weight)).widths == widths[weight], weight
    caplog.clear()
    assert _form(SECOND).output_bytes() == _fpdf2s_own(monkeypatch, SECOND)
    assert "missing" not in caplog.text


def test_a_font_replaced_on_disk_is_read_again(tmp_path, monkeypatch):
    """The font file changed under a running process (a redeploy): is it parsed again rather
    than the old widths used with the new file?"""
    path = tmp_path / "NotoSansHant-Regular.otf"
    shutil.copyfile(fonts.font_path("regular"), path)
    before = faces.face(path)
    assert faces.face(path) is before
    shutil.copyfile(fonts.font_path("bold"), path)
    after = faces.face(path)
    assert after is not before
    assert after.shared["name"] != before.shared["name"]


def test_every_slot_of_fpdf2s_font_is_shared_or_copied_knowingly():
    """An fpdf2 upgrade that adds a slot to TTFFont (state a document might change): is it
    sorted into shared or per-document before the cache is trusted with it?"""
    assert faces.unknown_slots() == set()


def test_the_held_face_is_the_whole_cff_table():
    """Of Noto Sans Hant only the CFF table is held for documents to subset (what fpdf2 embeds
    of it): does it still hold every glyph of the file — any character a user types?"""
    for weight in WEIGHTS:
        path = fonts.font_path(weight)
        held = ttLib.TTFont(io.BytesIO(faces.face(path).source), lazy=True)
        whole = ttLib.TTFont(path, lazy=True)
        try:
            assert set(held.keys()) - {"GlyphOrder"} == {"CFF "}
            assert held.reader["CFF "] == whole.reader["CFF "]
            assert held.getGlyphOrder() == whole.getGlyphOrder()
        finally:
            held.close()
            whole.close()


def test_the_forms_refuse_text_shaping():
    """Shaping would read advance widths the held face leaves out: is it refused out loud
    rather than failing deep in fpdf2?"""
    paper = _form(FIRST)
    with pytest.raises(NotImplementedError):
        paper.set_text_shaping()
    paper.set_text_shaping(False)  # turning it off is fine
    paper.close_fonts()
