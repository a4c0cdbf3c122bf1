"""The one previous/next pager of the lists (templates/_pager.html)."""

from __future__ import annotations

import pytest
from flask import render_template_string

PAGER = """{% from "_pager.html" import pager %}{{ pager(endpoint, page, has_next, args,
url=url, target=target, newest_first=newest_first) }}"""


def _args(**changes):
    return {"estate": 1, **changes}


def _render(app, page, has_next, target=None, newest_first=False):
    with app.test_request_context("/"):
        return render_template_string(
            PAGER,
            endpoint="desk.index",
            page=page,
            has_next=has_next,
            args=_args,
            url={},
            target=target,
            newest_first=newest_first,
        )


def test_a_list_that_fits_one_page_shows_no_pager(app):
    """Is there no pager strip at all on a first page with nothing after it?"""
    assert "pager" not in _render(app, 1, False)


@pytest.mark.parametrize(
    ("page", "has_next", "links"),
    [(1, True, ["page=2"]), (2, False, ["page=1"]), (3, True, ["page=2", "page=4"])],
)
def test_the_pager_links_the_pages_beside_this_one(app, page, has_next, links):
    """Does the pager link the previous page only past the first, the next only when there
    is one, each keeping the filters?"""
    html = _render(app, page, has_next)
    assert html.count("<a ") == len(links)
    for link in links:
        assert link in html and "estate=1" in html
    assert f"Page {page}" in html or f"第 {page} 頁" in html


def test_an_htmx_list_swaps_its_own_table(app):
    """Does a pager given a target swap that element, and the findings list say newer/older?"""
    html = _render(app, 2, True, target="findings-table", newest_first=True)
    assert html.count('hx-target="#findings-table"') == 2
    assert "Newer" in html or "較新" in html
