"""The phone predicts the findings the server raises from a check (static/js/screens/rounds/
findings.js, so a round's summary counts them before the sync): does it follow the server's
rules (sync/derived.py) — the same names, severities, reasons, refusals and open statuses?
The phone's module is run by node on every case the vocabularies allow."""

from __future__ import annotations

import json
import subprocess
from itertools import product
from pathlib import Path

from sync import derived
from webapp import vocab
from webapp.models.review import OPEN_STATUSES, STATUSES
from webapp.rounds.defaults import CHECKLISTS

PHONE = Path(__file__).with_name("phone_rules.mjs")


def _phone(cases: dict) -> dict:
    done = subprocess.run(
        ["node", str(PHONE)],
        input=json.dumps(cases, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_phone_predicts_the_servers_findings_by_the_servers_rules():
    """On every method x manual reason, every round kind x item type, every finding status, the
    default checklists' answers and refusal shapes: does findings.js say what derived.py says?"""
    items = [item for checklist in CHECKLISTS.values() for item in checklist]
    oks = sorted({value for item in items for value in item.get("ok") or []})
    values = [None, "", "yes", "no", "na", *oks, "x"]
    failed = [(item, value) for item in items for value in values]
    any_failed = [
        (checklist, {item["key"]: value for item in checklist})
        for checklist in CHECKLISTS.values()
        for value in values
    ]
    kinds = [None, *vocab.ROUND_KINDS, "custom"]
    category = list(product(kinds, [None, "sign", "unit", "key"]))
    relabel = list(product(list(vocab.CHECK_METHODS), [None, *vocab.MANUAL_REASONS]))
    refused = [
        ("no_access", {"no_access": "refused"}),
        ("no_access", {"no_access": "nobody_home"}),
        ("no_access", {}),
        ("ok", {"no_access": "refused"}),
        ("issue", {}),
    ]
    cases = {
        "failed": failed,
        "anyFailed": any_failed,
        "category": category,
        "relabel": relabel,
        "refused": refused,
        "open": list(STATUSES),
    }
    phone = _phone(cases)

    assert phone["names"] == {
        "relabel": derived.RELABEL_CATEGORY,
        "refused": derived.REFUSED_CATEGORY,
        "severity": derived.SEVERITY,
    }
    assert phone["failed"] == [derived.failed(item, value) for item, value in failed]
    assert phone["anyFailed"] == [derived.any_failed(its, answers) for its, answers in any_failed]
    assert phone["category"] == [derived.issue_category(k, t) for k, t in category]
    relabel_finding = [derived.RELABEL, derived.RELABEL_CATEGORY, derived.SEVERITY[derived.RELABEL]]
    assert phone["relabel"] == [
        [relabel_finding] if derived.needs_relabel(method, reason) else []
        for method, reason in relabel
    ]
    refused_finding = [derived.REFUSED, derived.REFUSED_CATEGORY, derived.SEVERITY[derived.REFUSED]]
    assert phone["refused"] == [
        [refused_finding] if derived.is_refusal(result, answers) else []
        for result, answers in refused
    ]
    # A relabel finding open on the item stops another; a closed one does not.
    assert phone["open"] == [
        [] if status in OPEN_STATUSES else [relabel_finding] for status in STATUSES
    ]
