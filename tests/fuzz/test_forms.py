"""Every form field of every POST route with numbers no column holds, hostile text, or left
out: never a 5xx.

The field names come from a first walk that records what each view reads from the form
(as for query parameters in test_routes.py). Each route is then posted, as a role it allows
and with its CSRF token, every field at once set to one edge value (a huge or negative
integer, an out-of-range date; text: control characters, 5,000 characters, markup...), some
of the text one field at a time with the others missing, and with no field at all: a 4xx
that says why, or a redirect, never a database, overflow or type error.
"""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions, csrf_token_from
from tests.fuzz import test_routes as walk

pytestmark = pytest.mark.fuzz

# Posting these ends the session or the test's own login: not walked.
SKIP = {"auth.logout", "auth.login", "i18n.set_language", "api.device_login", "api.sync_push"}
# 10**400: WTForms' NumberRange turns a number past 10**308 into a float, and overflows.
EDGES = ["99999999999999999999999", "9223372036854775808", "2147483648", "-2147483649", "-1"]
EDGES += ["1" + "0" * 400]
# What a refused form's page (any 4xx) shows its reason with: a field's error or an alert.
SAYS_WHY = ('class="field-error"', 'role="alert"', "flash-error", "keys-desk-basket-why")
SAYS_WHY += ('class="error-code"',)  # the error page: "Some of what was sent is not valid."


def _post_walk(app, seed):
    """What a walk of the POST routes needs: the samples, the routes in order, and a client
    and CSRF token per walking role. Every role logs in before the walk: a route that checks a
    password (the desk handover's incoming shift) counts the fuzzed tries against this address,
    as the limiter must, and a login after them would be refused."""
    walk._record_args(app)
    samples = walk._samples(app, seed)
    rules = sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint not in SKIP),
        key=lambda r: r.rule,
    )
    clients, tokens = {}, {}
    for rule in rules:
        role = walk.walker(app.view_functions[rule.endpoint].access)
        if role not in clients:
            clients[role] = app.test_client()
            AuthActions(clients[role]).login(role)
            tokens[role] = csrf_token_from(clients[role].get("/").get_data(as_text=True))
    return samples, rules, clients, tokens


def test_no_form_field_of_any_post_route_gets_a_5xx_for_numbers_out_of_range(app, seed):
    """Does every POST route answer below 500 when each field it reads holds a number past
    32 or 64 bits (a forged building id, copies, floor), and does a refused page say why?"""
    samples, rules, clients, tokens = _post_walk(app, seed)
    checked, silent = 0, []
    for rule in rules:
        spec = app.view_functions[rule.endpoint].access
        role = walk.walker(spec)
        url = walk.sample_url(rule, spec, samples)
        walk._Recorder.seen = set()
        clients[role].post(url, data={"csrf_token": tokens[role]})
        names = sorted(walk._Recorder.seen - {"csrf_token"})
        for edge in EDGES:
            form = dict.fromkeys(names, edge)
            response = clients[role].post(url, data={**form, "csrf_token": tokens[role]})
            assert response.status_code < 500, f"POST {url} as {role} with {form}"
            if 400 <= response.status_code < 500 and response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                if not any(mark in page for mark in SAYS_WHY):
                    silent.append(f"POST {url} as {role} with {form}")
            checked += 1
    assert checked > 20
    assert not silent, "a refusal that says nothing:\n" + "\n".join(silent)


# Text that has broken forms: nothing, blanks, control characters, 5,000 characters, characters
# outside the fonts and right-to-left marks, markup, a lone backslash or percent, an impossible
# day, and words a parser may take for a number or a value.
TEXT_EDGES = ["", " ", "\x01\x1b", "A" * 5000, "𠀀🔑\u202e", "<script>alert(1)</script>"]
TEXT_EDGES += ["\\", "%", "2026-02-30", "1e309", "NaN", "true", "[]"]
# One field at a time (the others missing): the edges that most often break a single field.
ALONE = ["", "\x01\x1b", "A" * 5000, "𠀀🔑\u202e"]


def test_no_post_route_gets_a_5xx_for_text_or_a_missing_field(app, seed):
    """Does every POST route answer below 500, and say why when it refuses, when the fields it
    reads hold text of TEXT_EDGES (all at once; ALONE one field at a time, the others missing)
    or when the form comes without any of its fields?"""
    samples, rules, clients, tokens = _post_walk(app, seed)
    failed, silent, checked = [], [], 0
    for rule in rules:
        spec = app.view_functions[rule.endpoint].access
        role = walk.walker(spec)
        url = walk.sample_url(rule, spec, samples)
        client, token = clients[role], tokens[role]
        walk._Recorder.seen = set()
        empty = client.post(url, data={"csrf_token": token})
        if empty.status_code >= 500:
            failed.append(f"POST {url} as {role} with no field: {empty.status_code}")
        names = sorted(walk._Recorder.seen - {"csrf_token"})
        forms = [{name: edge} for edge in ALONE for name in names]
        forms += [dict.fromkeys(names, edge) for edge in TEXT_EDGES]
        for form in forms:
            response = client.post(url, data={**form, "csrf_token": token})
            checked += 1
            shown = {k: v[:12] for k, v in form.items()}
            if response.status_code >= 500:
                failed.append(f"POST {url} as {role} with {shown}: {response.status_code}")
            elif 400 <= response.status_code < 500 and response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                if not any(mark in page for mark in SAYS_WHY):
                    silent.append(f"POST {url} as {role} with {shown}")
    assert checked > 500
    assert not failed, "\n".join(failed)
    assert not silent, "a refusal that says nothing:\n" + "\n".join(silent)
