"""The review pages render for the roles that use them, with the seed's demo history."""

from __future__ import annotations


def test_supervisor_home_is_the_dashboard(client, auth, seed, finding):
    """Does a supervisor land on the review dashboard with its sections?"""
    auth.login("supervisor")
    html = client.get("/").get_data(as_text=True)
    assert 'id="review-dashboard"' in html
    assert 'hx-trigger="every 30s"' in html
    assert "未結報事" in html and "逾期報事" in html  # zh-Hant first
    assert 'id="dash-rounds"' in html and 'id="dash-vacant"' in html and 'id="dash-devices"' in html


def test_dashboard_panel_alone_for_htmx(client, auth, seed, finding):
    """Does an htmx poll get the panel fragment alone, varying on HX-Request?"""
    auth.login("supervisor")
    response = client.get("/review/dashboard", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="review-dashboard"')
    assert "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_findings_list_and_fragment(client, auth, seed, finding):
    """Does the list show the new finding, and an htmx filter get the table alone?"""
    auth.login("supervisor")
    page = client.get("/review/findings").get_data(as_text=True)
    assert f"/review/findings/{finding}" in page
    fragment = client.get("/review/findings?severity=high", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="findings-table"')
    assert f"/review/findings/{finding}" in html


def test_finding_page(client, auth, seed, finding):
    """Does a finding's page show its moves to a supervisor?"""
    auth.login("supervisor")
    response = client.get(f"/review/findings/{finding}")
    assert response.status_code == 200
    assert 'name="to" value="dispatched"' in response.get_data(as_text=True)


def test_patroller_and_desk_are_refused(client, auth, seed, finding):
    """Are the review pages closed to patrollers and the front desk?"""
    for user in ("patrol", "desk"):
        auth.login(user)
        assert client.get("/review/findings").status_code == 403
        assert client.get(f"/review/findings/{finding}").status_code == 403
        auth.logout()


def test_finding_says_when_it_was_seen(client, auth, seed, finding):
    """Does the finding page label its time as when it was seen (發現時間), not the phone's
    "got it" button (知道了) that shared the msgid "Seen"?"""
    auth.login("supervisor")
    html = client.get(f"/review/findings/{finding}").get_data(as_text=True)
    assert "<dt>發現時間</dt>" in html
    assert "知道了" not in html


def test_vacant_table_title_names_its_days(client, auth, seed):
    """Does the vacant-unit table's title carry the asked number of days (never 「近 N 天」),
    say 房屋 (not 單位), and take English's singular for one day?"""
    auth.login("supervisor")
    html = client.get("/review/tables/vacant?days=14").get_data(as_text=True)
    assert "近 14 天未巡查的空置房屋" in html
    assert " N " not in html and "單位" not in html
    client.post("/language", data={"locale": "en", "csrf_token": auth.csrf("/")})
    html = client.get("/review/tables/vacant?days=1").get_data(as_text=True)
    assert "Vacant units not visited in 1 day<" in html


def test_dashboard_cache_keeps_each_language_apart(app, client, auth, seed):
    """Does an English reader within the cache's 30 s of a Chinese one get the dashboard's
    table rows in English (the rows hold translated words: 'never synced'), not the Chinese
    copy the first reader left in the cache?"""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models import Device, User

    with app.app_context():
        patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        device, _token = Device.issue(patrol, "never-synced phone")
        db.session.add(device)
        db.session.commit()
    auth.login("supervisor")
    zh = client.get("/review/dashboard", headers={"Accept-Language": "zh-TW"}).get_data(
        as_text=True
    )
    assert "never-synced phone" in zh and "從未同步" in zh
    en = client.get("/review/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in en
    assert "never synced" in en and "從未同步" not in en
