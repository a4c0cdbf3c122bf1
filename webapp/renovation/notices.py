"""Rectification notices as the office reads them: a notice's status on a day (overdue is
read from its deadline, never stored)."""

from __future__ import annotations

from datetime import date

# A notice still waiting to be put right: past its deadline it shows overdue.
WAITING = ("issued", "delivered")


def shown_status(notice, today: date) -> str:
    """The status a notice shows on ``today``: overdue once its deadline has passed while it
    is issued or delivered, else its stored status."""
    if notice.status in WAITING and notice.deadline < today:
        return "overdue"
    return notice.status
