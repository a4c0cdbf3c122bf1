"""Where a printed form's cell breaks its lines (the rules as a table)."""

from __future__ import annotations

import gc
import warnings

import pytest

from webapp.paper.pdf import Paper, may_break


@pytest.mark.parametrize(
    ("text", "i", "allowed"),
    [
        ("無法進入（無人）", 7, False),  # never a lone closing bracket on a line
        ("無法進入（無人）", 5, False),  # never an opening bracket left at a line's end
        ("無法進入（無人）", 6, True),
        ("巡查，完成", 2, False),  # a comma stays with what it follows
        ("巡查，完成", 3, True),
        ("Kitchen/bathroom", 8, True),  # after the slash
        ("Kitchen/bathroom", 12, False),  # inside a word
        ("2026-11-30", 5, True),
        ("1234", 2, False),
        ("walls intact", 6, True),
        ("未破壞承重牆", 3, True),
        ("A棟", 1, True),
    ],
)
def test_may_break(text, i, allowed):
    """Does a line break there, as a typesetter of zh-Hant and English would?"""
    assert may_break(text, i) is allowed


def _new_paper() -> Paper:
    from datetime import UTC, datetime

    paper = Paper(estate="E", title_zh="表", title_en="Form", printed=datetime.now(UTC))
    paper._use(False, 8)
    return paper


@pytest.fixture
def _paper():
    """A form to measure lines on; its font files closed after the test."""
    made = []

    def make() -> Paper:
        made.append(_new_paper())
        return made[-1]

    yield make
    for paper in made:
        paper.close_fonts()


@pytest.mark.parametrize(
    ("text", "chars"),
    [
        ("無法進入（無人）", 7),
        ("Kitchen/bathroom waterproof layer intact", 12),
        ("巡查結果：有問題，已通知工程部處理。", 6),
    ],
)
def test_wrapped_lines_keep_to_the_rules(_paper, text, chars):
    """Does every line fit, lose nothing, and start and end where may_break allows?"""
    paper = _paper()
    width = paper.get_string_width(text[:chars])
    lines = paper._wrap(text, width)
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert paper.get_string_width(line) <= width + 1e-6
    at = 0
    for line in lines[:-1]:
        # Where this line ends in the text: every break is one may_break allows.
        at = text.index(line, at) + len(line)
        assert may_break(text, at) or may_break(text, at + 1), (line, text[at:])


def test_a_printed_form_leaves_no_font_file_open():
    """Once a form's bytes are out, are its font files closed (not left for the collector,
    which warns wherever it happens to run)?"""
    gc.collect()  # what earlier tests left is theirs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        paper = _new_paper()
        paper.add_page()
        paper.cell(text="巡查 Rounds")
        assert paper.output_bytes().startswith(b"%PDF")
        del paper
        gc.collect()
    assert [str(w.message) for w in caught if "NotoSansHant" in str(w.message)] == []


def _printed_lines(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        text = "\n".join(p.get_textpage().get_text_range() for p in document)
    finally:
        document.close()
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def test_small_print_and_captions_keep_to_the_rules_too():
    """The notice's paragraph printed as a note ran 「…處理」 to the margin and put its 「。」 alone
    on the next line (fpdf's multi_cell knows no kinsoku); a photo's caption likewise. Does
    no printed line start with closing punctuation, whatever the width the words meet?"""
    from webapp.paper.pdf import NO_LINE_START, Thumb

    base = "經本管理處裝修巡檢，貴戶裝修有下列違規情形。請於整改期限前完成整改，並通知管理處覆查；"
    for extra in range(0, 12):
        paper = _new_paper()
        try:
            paper.add_page()
            text = base + "逾" * extra + "期未整改者，管理處將依管理規約及裝修管理規定處理。"
            paper.note(text)
            # The owner-key receipt's statement (webapp/keys/receipt.py), a name of any length.
            said = f"本人 {'陳' * extra}美玲 已收妥上列鑰匙共 3 把，並出示身份證件供核驗。"
            paper.text_lines(said * 3, 120, 5)
            paper.thumbs([Thumb(None, "陽台外牆擅自開窗（已拆除）。" + "牆" * extra)])
            lines = _printed_lines(paper.output_bytes())
        finally:
            paper.close_fonts()
        assert "管理規定處理。" in "".join(lines), "the note is printed whole"
        starts = [line for line in lines if line[0] in NO_LINE_START]
        assert starts == [], (extra, starts)
