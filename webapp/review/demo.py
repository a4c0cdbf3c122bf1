"""Move the demo's findings along the workflow, so the review screens show a believable desk.

``webapp.demo`` records findings through the sync merge, all ``open``; this walks older ones
through dispatch, fix, re-inspection and close as a supervisor and engineering would, with due
dates (some missed). Call it after ``build_demo``; the caller commits.
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import User
from webapp.models.review import DEPARTMENTS
from webapp.models.sync import Finding
from webapp.models.types import utcnow
from webapp.review import workflow

COMMENTS = [
    "已通知業主",
    "材料已訂，下週到貨",
    "請工程部優先處理",
    "已拍照存證",
    "住戶不在家，改約時間",
]


def advance_findings(session: Session, seed: int = 20261127, now=None) -> int:
    """Walk the demo's open findings through the workflow; returns how many moved."""
    now = now or utcnow()
    rng = random.Random(seed)
    supervisor = session.scalar(sa.select(User).where(User.role == "supervisor").order_by(User.id))
    engineer = session.scalar(sa.select(User).where(User.role == "engineering").order_by(User.id))
    if supervisor is None:
        return 0
    moved = 0
    findings = session.scalars(
        sa.select(Finding).where(Finding.status == "open").order_by(Finding.occurred_at)
    ).all()
    for f in findings:
        age = (now - f.occurred_at).days
        if age < 1 or rng.random() < 0.15:
            continue
        at = f.occurred_at + timedelta(hours=rng.randint(1, 20))
        department = "engineering" if rng.random() < 0.5 else rng.choice(DEPARTMENTS)
        due = at + timedelta(days=rng.choice([2, 3, 7, 14]))
        actor = _any_supervisor(session, f) or supervisor
        workflow.move(session, actor, f, "dispatched", department=department, due_at=due, now=at)
        moved += 1
        if rng.random() < 0.3:
            workflow.comment(session, actor, f, rng.choice(COMMENTS), now=at + timedelta(hours=1))
        if age < 3 or rng.random() < 0.2:
            continue
        fixer = engineer if department == "engineering" and engineer else actor
        if fixer is engineer and f.estate_id not in engineer.estate_ids:
            fixer = actor
        at += timedelta(days=rng.randint(1, 4))
        workflow.move(session, fixer, f, "fixed", now=at)
        if age < 7 or rng.random() < 0.25:
            continue
        at += timedelta(days=1)
        workflow.move(session, actor, f, "reinspected", now=at)
        if rng.random() < 0.1:
            workflow.move(session, actor, f, "reopened", note="覆查未通過", now=at)
            continue
        workflow.move(session, actor, f, "closed", now=at + timedelta(hours=2))
    return moved


def _any_supervisor(session: Session, finding: Finding):
    for user in session.scalars(sa.select(User).where(User.role == "supervisor")):
        if finding.estate_id in user.estate_ids:
            return user
    return None
