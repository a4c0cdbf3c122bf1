"""Error pages and API errors show the request id, so a user can quote it."""

from __future__ import annotations

from webapp.access import public


def test_a_404_page_shows_the_request_id(client):
    """Does the HTML 404 page show the id that the X-Request-ID header carries?"""
    response = client.get("/no-such-page", headers={"X-Request-ID": "quote-me-404"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "quote-me-404"
    assert '<code class="request-id">quote-me-404</code>' in page
    assert "求助時請提供此參考編號" in page


def test_a_500_page_shows_a_generated_request_id(app, client):
    """Does a crash's page show the generated id of its request?"""

    @public
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    rid = response.headers["X-Request-ID"]
    assert response.status_code == 500
    assert f'<code class="request-id">{rid}</code>' in response.get_data(as_text=True)


def test_json_errors_carry_the_request_id(client):
    """Does an API error body hold request_id beside error and message?"""
    response = client.get("/api/no-such-thing", headers={"X-Request-ID": "quote-me-api"})
    assert response.status_code == 404
    assert response.get_json()["request_id"] == "quote-me-api"
    response = client.get("/api/sync/pull")
    assert response.status_code == 401
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_the_page_shows_no_id_that_was_not_well_formed(client):
    """Is markup sent as an id replaced, so it never reaches the page?"""
    response = client.get("/no-such-page", headers={"X-Request-ID": "<b>x</b>"})
    page = response.get_data(as_text=True)
    assert "<b>x</b>" not in page
    assert f'<code class="request-id">{response.headers["X-Request-ID"]}</code>' in page
