"""The review area's words in the reader's language (statuses, departments, severities)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.i18n import Terms

STATUS_NAMES = Terms("finding_status")
# What the button that makes each move says.
MOVE_NAMES = {
    "dispatched": _l("Dispatch"),
    "fixed": _l("Mark fixed"),
    "reinspected": _l("Mark re-inspected"),
    "closed": _l("Close"),
    "reopened": _l("Reopen"),
}
DEPARTMENT_NAMES = Terms("department", none=_l("Not dispatched"))
SEVERITY_NAMES = Terms("severity")
SEVERITY_BADGE = {
    "low": "badge-info",
    "medium": "badge-warn",
    "high": "badge-danger",
    "critical": "badge-danger",
}
STATUS_BADGE = {
    "open": "badge-warn",
    "dispatched": "badge-info",
    "fixed": "badge-ok",
    "reinspected": "badge-ok",
    "closed": "",
    "reopened": "badge-danger",
}
AGE_NAMES = {
    "0-1": _l("Under a day"),
    "1-7": _l("1–7 days"),
    "7-30": _l("7–30 days"),
    "30+": _l("Over 30 days"),
}


def names() -> dict:
    """Everything the templates need to name things."""
    return {
        "status_names": STATUS_NAMES,
        "move_names": MOVE_NAMES,
        "department_names": DEPARTMENT_NAMES,
        "severity_names": SEVERITY_NAMES,
        "severity_badge": SEVERITY_BADGE,
        "status_badge": STATUS_BADGE,
        "age_names": AGE_NAMES,
    }
