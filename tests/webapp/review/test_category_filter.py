"""The findings list's category filter is a choice: the vocabulary's categories, and any other
the reader's findings are filed under (a custom round's checklist names its own). An outside
tester's ?category=bogus showed an empty list, as if no finding were of it: it is the 400 that
names the argument, as for every other filter value the list cannot read."""

from __future__ import annotations

from tests.webapp.review.conftest import make_finding
from webapp import vocab


def test_an_unknown_category_is_a_400_naming_it(app, client, auth, seed):
    """Is ?category=bogus (and on the export) a 400 naming the argument and the value?"""
    auth.login("supervisor")
    for path in ("/review/findings", "/review/findings.csv"):
        response = client.get(path, query_string={"category": "bogus"})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, path
        assert "category" in body and "bogus" in body


def test_every_category_offered_is_one_it_reads(app, client, auth, seed):
    """Does the filter offer every category of the vocabulary and a custom round's one the
    findings hold, and read each (the one filed under it listed)?"""
    with app.app_context():
        make_finding(seed.estate_ids[0], note="電梯異響待查", category="電梯異響")
        make_finding(seed.estate_ids[1], note="別區自訂", category="別區自訂")
    auth.login("supervisor")
    page = client.get("/review/findings").get_data(as_text=True)
    for category in [*vocab.FINDING_CATEGORIES, "電梯異響"]:
        assert f'<option value="{category}"' in page, category
        assert (
            client.get("/review/findings", query_string={"category": category}).status_code == 200
        )
    assert '<option value="別區自訂"' not in page  # another estate's: not offered, not read
    listed = client.get("/review/findings", query_string={"category": "電梯異響", "status": "all"})
    assert "電梯異響待查" in listed.get_data(as_text=True)
    assert client.get("/review/findings", query_string={"category": "別區自訂"}).status_code == 400
