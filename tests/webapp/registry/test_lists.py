"""Lists of units, signs and keys: search as you type, filters, pages, fragments, roles."""

from __future__ import annotations

import sqlalchemy as sa

from tests.webapp.registry.conftest import total
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Building, LabelCode, Unit

HX = {"HX-Request": "true"}


def units_url(estate_id, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/registry/estates/{estate_id}/units" + (f"?{query}" if query else "")


def test_a_2000_unit_estate_pages_by_50_in_label_order(app, supervisor, big_estate):
    """Does a 2,000-unit list show 50 a page, in building-entrance-floor-room order?"""
    first = supervisor.get(units_url(big_estate))
    assert first.status_code == 200
    assert total(first) == 2000
    page = first.get_data(as_text=True)
    assert "第 1–50 筆，共 2000 戶" in page
    assert page.count('<tr id="unit-') == 50
    assert page.index("1棟-1單元-1樓-101室") < page.index("1棟-1單元-1樓-110室")
    assert page.index("1棟-1單元-1樓-110室") < page.index("1棟-1單元-2樓-201室")

    last = supervisor.get(units_url(big_estate, page=40)).get_data(as_text=True)
    assert last.count('<tr id="unit-') == 50
    assert "5棟-2單元-20樓-2010室" in last
    beyond = supervisor.get(units_url(big_estate, page=999)).get_data(as_text=True)
    assert "5棟-2單元-20樓-2010室" in beyond, "a page past the end shows the last page"
    assert supervisor.get(units_url(big_estate, page="x")).status_code == 400  # no page


def test_search_understands_how_managers_write_units(app, supervisor, big_estate):
    """Do '3棟 15樓', '2單元 1502', '1502室' and a bare '1502' find exactly the right units?"""
    assert total(supervisor.get(units_url(big_estate, q="3棟 15樓"))) == 20
    assert total(supervisor.get(units_url(big_estate, q="3棟-2單元-15樓-1502室"))) == 1
    assert total(supervisor.get(units_url(big_estate, q="2單元 1502"))) == 5
    assert total(supervisor.get(units_url(big_estate, q="1502室"))) == 10
    assert total(supervisor.get(units_url(big_estate, q="1502"))) == 10
    assert total(supervisor.get(units_url(big_estate, q="no-such-room"))) == 0
    # LIKE wildcards are text, not patterns.
    assert total(supervisor.get(units_url(big_estate, q="%25"))) == 0


def test_search_finds_a_unit_by_its_label_short_code(app, supervisor, big_estate):
    """Can a manager type the short code printed under a label and find its unit?"""
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == big_estate).limit(1))
        ensure_codes(db.session, "unit", [unit])
        db.session.commit()
        short = db.session.scalar(
            sa.select(LabelCode.short_code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id
            )
        )
        label = unit.label
    response = supervisor.get(units_url(big_estate, q=short.lower()))
    assert total(response) == 1
    assert label in response.get_data(as_text=True)


def test_filters_narrow_by_building_floor_and_status_together(app, supervisor, big_estate):
    """Do the building, floor and status filters combine, and does the pager keep them?"""
    with app.app_context():
        b2 = db.session.scalar(
            sa.select(Building.id).where(Building.estate_id == big_estate, Building.name == "2棟")
        )
        expected_vacant = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Unit)
            .where(Unit.building_id == b2, Unit.status == "vacant")
        )
    assert total(supervisor.get(units_url(big_estate, building=b2))) == 400
    assert total(supervisor.get(units_url(big_estate, building=b2, floor=7))) == 20
    vacant = supervisor.get(units_url(big_estate, building=b2, status="vacant"))
    assert total(vacant) == expected_vacant
    page = supervisor.get(units_url(big_estate, building=b2)).get_data(as_text=True)
    assert f"building={b2}&amp;page=2" in page, "the pager keeps the filters"
    # Nonsense filters are ignored, not errors.
    haunted = supervisor.get(units_url(big_estate, status="haunted", floor="x"))
    assert haunted.status_code == 400, "a filter that is none is named, not dropped"
    assert "haunted" in haunted.get_data(as_text=True)


def test_htmx_gets_the_results_fragment_and_a_browser_the_page(app, supervisor, big_estate):
    """Does search-as-you-type get only the results fragment, and a plain visit the full page?"""
    fragment = supervisor.get(units_url(big_estate, q="3棟"), headers=HX)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="unit-results"')
    assert "<html" not in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    page = supervisor.get(units_url(big_estate, q="3棟")).get_data(as_text=True)
    assert "<html" in page and 'id="unit-results"' in page
    boosted = supervisor.get(units_url(big_estate), headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_deactivated_units_are_hidden_unless_asked_for(app, supervisor, big_estate):
    """Are deactivated units left out of the list by default and shown with 'show deactivated'?"""
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == big_estate).limit(1))
        unit.active = False
        db.session.commit()
    assert total(supervisor.get(units_url(big_estate))) == 1999
    assert total(supervisor.get(units_url(big_estate, inactive=1))) == 2000


def test_signs_and_keys_lists_filter_by_category_class_and_status(app, supervisor, seed):
    """Do the sign category and key class/status filters narrow the lists?"""
    estate = seed.estate_ids[0]
    signs = supervisor.get(f"/registry/estates/{estate}/signs")
    assert signs.status_code == 200 and total(signs) > 10
    roads = supervisor.get(f"/registry/estates/{estate}/signs?category=road")
    assert total(roads) == 2
    assert total(supervisor.get(f"/registry/estates/{estate}/signs?q=電梯")) >= 1
    keys = supervisor.get(f"/registry/estates/{estate}/keys")
    rooms = supervisor.get(f"/registry/estates/{estate}/keys?key_class=equipment_room")
    assert total(rooms) == 6 and total(keys) > 6
    assert total(supervisor.get(f"/registry/estates/{estate}/keys?q=配電房")) == 1
    issued = supervisor.get(f"/registry/estates/{estate}/keys?status=issued")
    assert total(issued) == 40


def test_who_may_see_and_who_may_change_the_registry(app, client, auth, seed):
    """May front desk view but not edit; is a patroller kept out of the desktop registry?"""
    estate = seed.estate_ids[0]
    auth.login("desk")
    assert client.get(f"/registry/estates/{estate}/keys").status_code == 200
    page = client.get(f"/registry/estates/{estate}/units").get_data(as_text=True)
    assert "/edit" not in page, "viewers get no edit links"
    with app.app_context():
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == estate))
    token = auth.csrf("/")
    response = client.post(
        f"/registry/units/{unit_id}/status", data={"status": "vacant", "csrf_token": token}
    )
    assert response.status_code == 403
    assert client.get(f"/registry/estates/{estate}/units/export.csv").status_code == 403
    auth.logout()
    auth.login("patrol")
    assert client.get(f"/registry/estates/{estate}/units").status_code == 403
