"""Demo rounds history: default rounds on every demo estate, and recent windows walked by the
demo patrollers — mostly on time, some late, some missed, some units with nobody home —
recorded as real ``check.record`` ops pushed through the sync merge."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.merge import Actor, push
from webapp.models import Device, LabelCode
from webapp.rounds import defaults, rules, service

MAX_DAYS = 10


def push_round_history(session: Session, result, days: int, rng: random.Random, say=None) -> dict:
    """Walk the last ``days`` (at most MAX_DAYS) of every demo round; returns counts.
    ``say(stage, done, total)`` is told each estate-day walked (for progress)."""
    counts = {"round_ops": 0}
    now = datetime.now(UTC).replace(microsecond=0)
    users = {u.username: u for u in result.users}
    walked = list(zip(result.estates, ("patrol", "patrol2"), strict=False))
    span = min(max(days, 0), MAX_DAYS) + 1  # the last MAX_DAYS days and today
    total, done = len(walked) * span, 0
    stage = "round history (estate-days)"
    if say and days > 0:
        say(stage, 0, total)
    for estate, username in walked:
        user = users.get(username)
        templates = service.ensure_defaults(session, estate)
        if user is None or days <= 0:
            continue
        device, _token = Device.issue(user, "巡查手機")
        session.add(device)
        session.flush()
        actor = Actor(user_id=user.id, estate_ids=[estate.id], device_id=device.id)
        codes = {
            (t, i): c
            for t, i, c in session.execute(
                sa.select(LabelCode.item_type, LabelCode.item_id, LabelCode.code).where(
                    LabelCode.estate_id == estate.id, LabelCode.active
                )
            ).all()
        }
        today = now.astimezone(ZoneInfo(estate.timezone)).date()
        plans = [
            (t, rules.Schedule.from_template(t), service.checkpoints_now(session, t))
            for t in templates
        ]
        for back in range(min(days, MAX_DAYS), -1, -1):
            day = today - timedelta(days=back)
            for template, schedule, points in plans:
                for window in rules.windows_starting(schedule, day, estate.timezone):
                    if window.start >= now:
                        continue
                    ops = _walk(template, window, points, codes, now, rng)
                    if not ops:
                        continue
                    # Synced when the phone next had signal: minutes to hours later.
                    last = max(datetime.fromisoformat(o["occurred_at"]) for o in ops)
                    synced = min(now, last + timedelta(minutes=rng.randint(2, 180)))
                    push(session, actor, ops, synced)
                    counts["round_ops"] += len(ops)
            done += 1
            if say:
                say(stage, done, total)
        device.last_sync_at = now
    return counts


def _good_answers(kind: str, rng: random.Random) -> dict:
    """What a patroller answers on a visit where all is well: yes to every yes/no question, a
    count where one is asked (the default checklists; the printed forms show them)."""
    answers = {}
    for item in defaults.CHECKLISTS.get(kind, []):
        if item["type"] == "yesno":
            answers[item["key"]] = "yes"
        elif item["type"] == "number":
            answers[item["key"]] = rng.randint(1, 6)
    return answers


def _walk(template, window, points, codes, now, rng) -> list[dict]:
    ops = []
    span = (window.end - window.start).total_seconds()
    at = window.start + timedelta(seconds=min(span * 0.1, 1800))
    step = min(150.0, span * 0.6 / max(1, len(points)))
    # Nobody home at the first vacant unit of each week, the first renovating unit of every
    # third day, and now and then.
    shut_out = template.kind == "vacant" or (
        template.kind == "renovation" and window.start.toordinal() % 3 == 0
    )
    for n, (item_type, item_id) in enumerate(points):
        code = codes.get((item_type, item_id))
        if code is None:
            continue
        roll = rng.random()
        at += timedelta(seconds=step * rng.uniform(0.6, 1.4))
        when = at
        if roll < 0.07 and not (shut_out and n == 0):
            continue  # missed
        if roll < 0.11 and not (shut_out and n == 0):
            when = window.end + timedelta(minutes=rng.randint(10, 90))  # late
        if when > now:
            continue
        result, answers = "ok", {"_v": template.checklist_version}
        if template.kind == "signage":
            state = "in_place"
            if rng.random() < 0.05:
                state = rng.choice(["damaged", "dirty", "obscured", "missing"])
                result = "issue"
            answers["state"] = state
        elif shut_out and n == 0:
            result, answers = "no_access", answers | {"no_access": "nobody_home"}
        elif template.kind == "renovation" and rng.random() < 0.25:
            result, answers = (
                "no_access",
                answers | {"no_access": rng.choice(["nobody_home", "refused"])},
            )
        elif template.kind == "vacant" and rng.random() < 0.1:
            result, answers = "no_access", answers | {"no_access": "nobody_home"}
        else:
            answers |= _good_answers(template.kind, rng)
        ops.append(
            {
                "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "type": "check.record",
                "occurred_at": when.isoformat(),
                "payload": {
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "code": code,
                    "method": "scan" if rng.random() < 0.93 else "manual",
                    "result": result,
                    "answers": answers,
                    "photos": [],
                    "round_id": str(template.id),
                },
            }
        )
    return ops
