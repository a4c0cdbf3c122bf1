"""The alerts' email address is one address, checked strictly: outside testers saved
``a,b@c.de`` (mail for two people) and an address of 300 characters (silently cut to 254,
mail to someone else). Each is refused beside the field, in both languages, nothing saved."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token_from
from webapp.extensions import db
from webapp.models.alerts import AlertPreference

LONG = "lin." + "x" * 250 + "@example.test"  # 267 characters
CASES = [
    ("a,b@c.de", "只能填寫一個地址", "One address only"),
    ("a@c.de;b@c.de", "只能填寫一個地址", "One address only"),
    ("Lin <lin@c.de>", "只能填寫一個地址", "One address only"),
    ("lin@c.de\r\nBcc: x@evil.test", "只能填寫一個地址", "One address only"),
    (LONG, "最多 254 個字元", "at most 254 characters"),
    ("lin@c..de", "這不是有效的電子郵件地址", "not an email address"),
]


@pytest.mark.parametrize(("address", "zh", "en"), CASES)
def test_an_address_that_is_not_one_is_refused_beside_the_field(
    app, client, auth, people, seed, address, zh, en
):
    """Is it a 422 with the reason beside the email field, in zh-Hant and in English, and is
    the address saved before left as it was (never a cut one)?"""
    auth.login("supervisor")
    token = csrf_token_from(client.get("/account/alerts").get_data(as_text=True))
    good = {"csrf_token": token, "unsynced_hours": "4", "email": "lin@example.test"}
    assert client.post("/account/alerts", data=good).status_code == 303
    for language, message in (("zh-TW", zh), ("en", en)):
        response = client.post(
            "/account/alerts",
            data={**good, "email": address},
            headers={"Accept-Language": language},
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 422, address
        assert message in body, (address, language)
        assert 'id="email-error"' in body or 'aria-describedby="email-error"' in body
    with app.app_context():
        assert db.session.get(AlertPreference, people["supervisor"]).email == "lin@example.test"


def test_an_address_is_kept_as_read(app, client, auth, people, seed):
    """Is an address with invisible ends, typed full-width, kept as the one address it is?"""
    auth.login("supervisor")
    token = csrf_token_from(client.get("/account/alerts").get_data(as_text=True))
    sent = {
        "csrf_token": token,
        "unsynced_hours": "4",
        "email": "\u200b ｌｉｎ＠ｅｘａｍｐｌｅ．ｔｗ ",
    }
    assert client.post("/account/alerts", data=sent).status_code == 303
    with app.app_context():
        assert db.session.get(AlertPreference, people["supervisor"]).email == "lin@example.tw"


def test_an_address_saved_before_the_check_is_not_mailed(
    app, client, auth, people, seed, clock, jobs, inbox
):
    """An address list saved before the check was strict (a,b@…) is not sent to, neither of
    its people; an address that is one still is."""
    from tests.sync.conftest import T0, codes_of, issue_device, lend_op
    from tests.webapp.alerts.conftest import choose

    both = {"key_disputed": ["bell", "email"]}
    choose(app, people["supervisor"], email="a@example.test,b@example.test", choices=both)
    choose(app, people["desk"], choices=both)
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    device_id, token = issue_device(app, "desk")
    for n, name in enumerate(("甲", "乙")):
        client.post(
            "/api/sync/push",
            json={"device_id": device_id, "ops": [lend_op(code, T0.replace(minute=n), name)]},
            headers={"Authorization": f"Bearer {token}"},
        )
    jobs()
    assert inbox.to("desk@example.test")
    assert not inbox.to("a@example.test") and not inbox.to("b@example.test")
    assert all(len(m.rcpt_tos) == 1 for m in inbox.messages)
