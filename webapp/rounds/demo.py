"""Demo rounds history: default rounds on every demo estate, and recent windows walked by the
demo patrollers — mostly on time, some late, some missed, some units with nobody home; most
labels scanned, some codes typed or items picked (with a reason, now and then without: an
older app); a position fix on most checks, good outdoors, poor indoors, now and then taken
from the guard house — recorded as real ``check.record`` ops pushed through the sync merge."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.merge import Actor, push
from webapp.models import Building, Device, LabelCode, Sign, Unit
from webapp.rounds import defaults, rules, service

MAX_DAYS = 10
# Where the demo estates stand (made up: a street grid in Taipei), one 0.02° step apart, and
# the spacing of their buildings on a grid.
ORIGIN = (25.0330, 121.5654)
BUILDING_STEP_M = 45.0


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
        # A second generator for how checks were made and where: the main one's draws (and so
        # every status the demo and its tests rely on) stay as they were before these existed.
        extra = random.Random(f"presence-{estate.id}")
        places = _places(session, estate, result.estates.index(estate))
        items = {c: key for key, c in codes.items()}
        for back in range(min(days, MAX_DAYS), -1, -1):
            day = today - timedelta(days=back)
            for template, schedule, points in plans:
                for window in rules.windows_starting(schedule, day, estate.timezone):
                    if window.start >= now:
                        continue
                    ops = _walk(template, window, points, codes, now, rng)
                    for op in ops:
                        _presence(op, items.get(op["payload"]["code"]), places, extra)
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


def _places(session: Session, estate, index: int) -> dict[tuple[str, int], tuple]:
    """A made-up (lat, lon) for each sign and unit of a demo estate: its building's place on a
    grid (signs without a building by the gate)."""
    lat0 = ORIGIN[0] + 0.02 * index
    lon0 = ORIGIN[1]
    per_m_lat = 1 / 111_195.0
    per_m_lon = per_m_lat / math.cos(math.radians(lat0))
    at = {}
    buildings = session.scalars(
        sa.select(Building.id).where(Building.estate_id == estate.id).order_by(Building.id)
    ).all()
    for n, building_id in enumerate(buildings):
        north, east = (n // 4 + 1) * BUILDING_STEP_M, (n % 4) * BUILDING_STEP_M
        at[building_id] = (lat0 + north * per_m_lat, lon0 + east * per_m_lon)
    places = {}
    for model, kind in ((Sign, "sign"), (Unit, "unit")):
        for item_id, building_id in session.execute(
            sa.select(model.id, model.building_id).where(model.estate_id == estate.id)
        ):
            places[(kind, item_id)] = at.get(building_id, (lat0, lon0))
    places[None] = (lat0 - 200 * per_m_lat, lon0 - 120 * per_m_lon)  # the guard house
    return places


def _presence(op: dict, item, places: dict, rng: random.Random) -> None:
    """How a demo check was made and where: the methods and fixes a real estate sends."""
    payload = op["payload"]
    if payload["method"] == "manual":
        roll = rng.random()
        if roll < 0.35:
            payload["method"] = "typed"
            payload["manual_reason"] = "label_unreadable"
        elif roll < 0.8:
            payload["manual_reason"] = rng.choice(["camera_unavailable", "label_unreadable"])
        # else: no reason (an app older than the reason)
    if item is None or rng.random() < 0.35:
        return  # location off
    lat, lon = places.get(item, places[None])
    if rng.random() < 0.25:
        accuracy = rng.uniform(40, 95)  # indoors: a fix that says little
    else:
        accuracy = rng.uniform(4, 25)
        if rng.random() < 0.03:
            lat, lon = places[None]  # checked from the guard house
    spread = accuracy / 2 / 111_195.0
    payload["geo"] = {
        "lat": round(lat + rng.gauss(0, spread), 7),
        "lon": round(lon + rng.gauss(0, spread), 7),
        "accuracy_m": round(accuracy, 1),
    }


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
