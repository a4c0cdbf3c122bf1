"""The findings the server raises itself from a check: the rules, as pure functions.

A check can need action without anyone having reported it (docs/sync-protocol.md, "Findings
the server raises"):

- ``issue``: the result is 有問題 but no checklist item failed — the phone reports a finding
  for each failed item itself (with the check's id), so the server raises one for the check
  only when there is none; never two;
- ``relabel``: the item was not scanned because its label is missing or damaged, and no open
  relabel finding is on the item;
- ``refused``: the occupant refused entry, and the item's neighbouring check by device time
  (the one before, or one that arrives late and falls just after) was a refusal too, and no
  open refused-twice finding is on the item.

Each is made in the same transaction as its check, with an id derived from the check's
(``derived_id``): a replayed check can never make a second one. The glue that reads what
these rules need and writes the rows is sync/records.py.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A fixed namespace: the id of a finding the server raises is uuid5(NAMESPACE, "<check>:<why>").
NAMESPACE = uuid.UUID("5f1f3c1e-4a55-4b8e-9c2a-0d3e6b1f7a18")

ISSUE, RELABEL, REFUSED = "issue", "relabel", "refused"

# Finding categories travel as their zh names (webapp.vocab.FINDING_CATEGORIES).
# A failed checklist item's category is the phone's (static/js/screens/rounds/checklist.js
# categoryOf); a check marked 有問題 with nothing failed takes its round's: the same names.
ROUND_CATEGORY = {"signage": "標識問題", "renovation": "裝修違規"}
OTHER_CATEGORY = "其他"
RELABEL_CATEGORY = "標籤需更換"
REFUSED_CATEGORY = "連續拒絕入戶"
WHYS = (ISSUE, RELABEL, REFUSED)  # what a check can raise a finding for
SEVERITY = {ISSUE: "medium", RELABEL: "low", REFUSED: "medium"}

# A label that cannot be scanned because it is gone or broken needs a new one; an unreadable
# label (dirt, glare) or a broken camera does not.
RELABEL_REASONS = frozenset({"label_missing", "label_damaged"})

ISSUE_NOTE = "巡查結果：有問題"
RELABEL_NOTE = {
    "label_missing": "標籤遺失，請補貼標籤。",
    "label_damaged": "標籤損壞，請更換標籤。",
}
REFUSED_NOTE = "連續兩次拒絕入戶（{first} 與 {second}），請主管跟進。"


def derived_id(check_id: str, why: str) -> str:
    """The id of the finding a check raises for ``why``: the same for every replay."""
    return str(uuid.uuid5(NAMESPACE, f"{check_id}:{why}"))


def raised_ids(check_id: str) -> frozenset[str]:
    """The ids any finding the server raised from this check has (what pages mark as
    "raised by the server")."""
    return frozenset(derived_id(check_id, why) for why in WHYS)


def failed(item: dict[str, Any], value: Any) -> bool:
    """The phone's rule (static/js/screens/rounds/findings.js ``failed``): "no" to a yes/no, a
    choice outside the item's non-empty ``ok`` list; nothing answered never fails."""
    if value is None or value == "":
        return False
    if item.get("type") == "yesno":
        return value == "no"
    if item.get("type") == "choice":
        ok = item.get("ok")
        return isinstance(ok, list) and len(ok) > 0 and value not in ok
    return False


def any_failed(items: Iterable[dict[str, Any]], answers: dict[str, Any]) -> bool:
    """Whether the answers fail any item of the checklist."""
    return any(
        failed(item, answers.get(item.get("key"))) for item in items if isinstance(item, dict)
    )


def issue_category(round_kind: str | None, item_type: str | None = None) -> str:
    """The category of the finding a check marked 有問題 raises: its round's form's; a sign
    checked outside any round is a sign problem all the same."""
    if round_kind is None and item_type == "sign":
        return ROUND_CATEGORY["signage"]
    return ROUND_CATEGORY.get(round_kind or "", OTHER_CATEGORY)


def raises_issue(result: str, items: Sequence[dict[str, Any]], answers: dict[str, Any]) -> bool:
    """A check marked 有問題 whose checklist failed nothing (the phone raised no finding)."""
    return result == "issue" and not any_failed(items, answers)


def needs_relabel(method: str, manual_reason: str | None) -> bool:
    """A check not scanned because the label is missing or damaged."""
    return method != "scan" and manual_reason in RELABEL_REASONS


def is_refusal(result: str, answers: Any) -> bool:
    """A check where the occupant refused entry (not nobody home)."""
    return (
        result == "no_access"
        and isinstance(answers, dict)
        and answers.get("no_access") == "refused"
    )


@dataclass(frozen=True)
class Visit:
    """A check of one item as the refusal rule reads it: when, and whether it was refused."""

    id: str
    at: datetime
    refused: bool


def refusals_raising(
    history: Iterable[Visit], arriving: Iterable[Visit], open_already: bool
) -> list[str]:
    """The arriving checks (in arrival order) that raise a refused-twice finding for one item.

    ``history`` is the item's checks already stored (those around the arriving ones are
    enough), ``arriving`` the new ones. An arriving refusal whose neighbour by device time (the
    check just before it, or just after, for a check that arrives late) is a refusal raises
    one, unless one is open on the item already or an earlier arrival raised it. Ties in time
    fall back to the id, so the order is total and the same on every replay."""
    timeline = sorted(history, key=_order)
    raising: list[str] = []
    is_open = open_already
    for visit in arriving:
        at = bisect.bisect_left(timeline, (visit.at, visit.id), key=_order)
        timeline.insert(at, visit)
        if not visit.refused or is_open:
            continue
        before = timeline[at - 1] if at > 0 else None
        after = timeline[at + 1] if at + 1 < len(timeline) else None
        if (before is not None and before.refused) or (after is not None and after.refused):
            raising.append(visit.id)
            is_open = True
    return raising


def refusal_partner(history: Iterable[Visit], visit: Visit) -> Visit | None:
    """The refusal next to ``visit`` by device time (the one before first), for the note."""
    timeline = sorted([*history, visit], key=_order)
    at = timeline.index(visit)
    before = timeline[at - 1] if at > 0 else None
    after = timeline[at + 1] if at + 1 < len(timeline) else None
    if before is not None and before.refused:
        return before
    if after is not None and after.refused:
        return after
    return None


def relabels_raising(
    arriving: Iterable[tuple[str, str, str | None]], open_already: bool
) -> list[str]:
    """The arriving checks ``(id, method, manual_reason)`` of one item, in arrival order, that
    raise a relabel finding: the first that needs one, when none is open on the item."""
    if open_already:
        return []
    for check_id, method, reason in arriving:
        if needs_relabel(method, reason):
            return [check_id]
    return []


def _order(visit: Visit) -> tuple[datetime, str]:
    return (visit.at, visit.id)
