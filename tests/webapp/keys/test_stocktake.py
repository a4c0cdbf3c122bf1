"""Stocktake at the shift handover: the rule's differences are exact; the key handover's old
address leads to the desk's shift handover, which counts the keys by this rule (its signing
and logging are tested in tests/webapp/desk/test_handover.py)."""

from __future__ import annotations

from webapp.keys.stocktake import compare


def test_differences_are_exact_for_in_out_issued_and_missing():
    """Are the lists exactly: in-but-unscanned, and scanned-but-out/issued/disputed?"""
    statuses = {1: "in", 2: "in", 3: "in", 4: "out", 5: "issued", 6: "disputed", 7: "out"}
    diff = compare(statuses, scanned={1, 2, 4, 5}, unknown=["ZZZ"])
    assert diff.missing == [3]
    assert diff.unexpected == [4, 5]
    assert diff.unknown == ["ZZZ"]
    assert compare(statuses, scanned={1, 2, 3}).missing == []


def test_the_old_key_handover_address_leads_to_the_desks_handover(app, client, auth, seed):
    """Does /keys/handover send the desk on to /desk/handover with the estate and the codes a
    phone's stocktake sent (301), and a post on with its method (308)?"""
    estate = seed.estate_ids[0]
    auth.login("desk")
    response = client.get(f"/keys/handover?estate={estate}&codes=A,B&page=9")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/desk/handover?estate={estate}&codes=A,B"
    token = auth.csrf("/desk/handover")
    posted = client.post("/keys/handover", data={"csrf_token": token})
    assert posted.status_code == 308 and posted.headers["Location"] == "/desk/handover"
    auth.logout()
    auth.login("patrol")
    assert client.get("/keys/handover").status_code == 403
