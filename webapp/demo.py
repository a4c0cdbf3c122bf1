"""A believable demo: two estates with buildings, units, signs, keys, users and history.

Later features add their history here, built through the same code paths real use takes.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.merge import Actor, push
from webapp import vocab
from webapp.desk.demo import build_desk_history
from webapp.extensions import db
from webapp.keys.demo import push_key_history
from webapp.keys.request_demo import add_requests
from webapp.labels.codes import mint
from webapp.models import Building, Device, Estate, Key, LabelCode, Sign, Unit, User
from webapp.renovation.demo import build_permits, push_notices
from webapp.rounds.demo import push_round_history
from webapp.vocab import OWNER_KEY_KINDS

ESTATE_NAMES = ["翠湖花園", "港灣豪庭", "松柏山莊", "雲景新城", "金禾苑", "錦繡華庭"]

EVERY = "every"  # the organisation's: every estate, present and future (``all_estates``)
EACH = "each"  # appointed to each of the demo's estates, one by one (a regional supervisor)

DEMO_USERS = [
    # username, password, role, display name, estates (indexes, EVERY or EACH)
    ("patrol", "patrol-demo", "patroller", "陳志明", [0]),
    ("supervisor", "supervisor-demo", "supervisor", "林淑芬", [0]),
    ("engineer", "engineer-demo", "engineering", "黃建國", [0]),
    ("desk", "desk-demo", "frontdesk", "張美玲", [0]),
    ("admin", "admin-demo", "admin", "系統管理員", [0]),
    ("patrol2", "patrol2-demo", "patroller", "吳家豪", [1]),
    ("hq", "hq-demo", "admin", "總公司管理員", EVERY),
    ("regional", "regional-demo", "supervisor", "劉建宏", EACH),
]
# Each further estate's own supervisor and admin (the first estate's are `supervisor` and
# `admin` above): supervisor2 / supervisor2-demo, admin2 / admin2-demo, ...
ESTATE_SUPERVISORS = ["林淑芬", "周雅婷", "許文雄", "郭怡君", "蔡明哲", "謝佩珊"]
ESTATE_ADMINS = ["系統管理員", "鄭國華", "曾美惠", "潘志強", "葉淑貞", "蕭俊傑"]


def demo_users(estates: int) -> list[tuple]:
    """The demo's users for a demo of ``estates`` estates, as DEMO_USERS lists them."""
    users = list(DEMO_USERS)
    for i in range(1, estates):
        n = i + 1
        supervisor = ESTATE_SUPERVISORS[i % len(ESTATE_SUPERVISORS)]
        admin = ESTATE_ADMINS[i % len(ESTATE_ADMINS)]
        users.append((f"supervisor{n}", f"supervisor{n}-demo", "supervisor", supervisor, [i]))
        users.append((f"admin{n}", f"admin{n}-demo", "admin", admin, [i]))
    return users


PUBLIC_FACILITIES = ["游泳池", "運動場", "中心廣場", "兒童遊樂場"]
EQUIPMENT_ROOMS = ["配電房", "水泵房", "消防控制室", "電梯機房", "發電機房", "監控室"]
BORROWERS = [
    ("陳師傅", "contractor"),
    ("李先生", "owner"),
    ("王小姐", "tenant"),
    ("劉師傅", "contractor"),
]


# Told how far the build is: (stage, done, total). The command prints it; tests pass nothing.
Progress = Callable[[str, int, int], None]


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class DemoOptions:
    """How big a demo to build."""

    estates: int = 2
    units_per_estate: int = 200
    days: int = 30
    seed: int = 20261127
    progress: Progress | None = None


@dataclass
class DemoResult:
    """What was built, for the command to report."""

    estates: list[Estate] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def database_has_data(session: Session) -> bool:
    """Tell whether anything the demo would create is already there."""
    return (
        session.scalar(sa.select(Estate.id).limit(1)) is not None
        or session.scalar(sa.select(User.id).limit(1)) is not None
    )


def wipe(session: Session) -> None:
    """Delete every row of every table, children first (used by --reset)."""
    for table in reversed(db.metadata.sorted_tables):
        session.execute(table.delete())
    session.flush()


def _layout(units: int) -> list[tuple[int, int, int]]:
    """Buildings as (entrances, floors, rooms per floor per entrance) covering ``units``."""
    per_building = 48
    buildings = max(1, math.ceil(units / per_building))
    plan, left = [], units
    for _ in range(buildings):
        n = min(per_building, left)
        entrances = 2 if n >= 8 else 1
        rooms = 2
        floors = max(1, math.ceil(n / (entrances * rooms)))
        plan.append((entrances, floors, rooms, n))
        left -= n
    return plan


def build_estate(session: Session, index: int, options: DemoOptions, rng: random.Random) -> Estate:
    """Create one estate with its buildings, units, signs and keys (and their codes)."""
    name = ESTATE_NAMES[index] if index < len(ESTATE_NAMES) else f"示範小區{index + 1}"
    estate = Estate(name=name, timezone="Asia/Taipei")
    session.add(estate)
    session.flush()

    units: list[Unit] = []
    buildings: list[Building] = []
    for b_index, (entrances, floors, rooms, n) in enumerate(_layout(options.units_per_estate), 1):
        building = Building(estate=estate, name=f"{b_index}棟", sort_key=b_index, floors=floors)
        session.add(building)
        buildings.append(building)
        made = 0
        for floor in range(1, floors + 1):
            for entrance in range(1, entrances + 1):
                for room in range(1, rooms + 1):
                    if made >= n:
                        break
                    roll = rng.random()
                    status = (
                        "vacant" if roll < 0.09 else "renovating" if roll < 0.15 else "occupied"
                    )
                    units.append(
                        Unit(
                            estate_id=estate.id,
                            building=building,
                            entrance=str(entrance),
                            floor=floor,
                            room=f"{floor}{room:02d}",
                            status=status,
                        )
                    )
                    made += 1
    session.add_all(units)
    session.flush()

    signs = _signs(estate, buildings)
    session.add_all(signs)
    keys = _keys(estate, buildings, units, rng)
    session.add_all(keys)
    session.flush()

    for unit in units:
        mint(session, "unit", unit)
    for sign in signs:
        mint(session, "sign", sign)
    for key in keys:
        mint(session, "key", key)
    session.flush()
    return estate


def _signs(estate: Estate, buildings: list[Building]) -> list[Sign]:
    signs: list[Sign] = []

    def add(category, location, building=None, floor=None, description=""):
        signs.append(
            Sign(
                estate_id=estate.id,
                category=category,
                location=location,
                building_id=building.id if building else None,
                floor=floor,
                description=description,
            )
        )

    for b in buildings:
        add("building_number", f"{b.name}正門外牆", b)
        for floor in range(1, b.floors + 1, 3):
            add("floor", f"{b.name}{vocab.floor_name(floor)}電梯廳", b, floor)
        add("door_number", f"{b.name}1樓大堂", b, 1)
        add("entrance_exit", f"{b.name}1單元入口", b, 1)
        add("elevator", f"{b.name}1樓電梯口", b, 1)
        add("mailbox", f"{b.name}大堂信報箱", b, 1)
        add("safety", f"{b.name}消防通道", b, 1, "安全出口指示")
    for place in PUBLIC_FACILITIES:
        add("public_facility", place)
    add("office_area", "管理處服務中心")
    add("emergency", "中心廣場應急集合點")
    add("emergency", "地下車庫應急疏散圖")
    add("road", "東門車道")
    add("road", "地下車庫入口限速")
    add("temporary", "3號路段施工圍擋", description="路面維修期間")
    return signs


def _keys(estate: Estate, buildings: list[Building], units: list[Unit], rng) -> list[Key]:
    keys: list[Key] = []
    held = [u for u in units if u.status in ("vacant", "renovating")]
    for unit in held:
        for kind in OWNER_KEY_KINDS:
            keys.append(Key(estate_id=estate.id, key_class="owner", kind=kind, unit_id=unit.id))
    for unit in [u for u in units if u.status == "occupied"][:8]:
        for kind in OWNER_KEY_KINDS:
            keys.append(
                Key(
                    estate_id=estate.id,
                    key_class="owner",
                    kind=kind,
                    unit_id=unit.id,
                    status="issued",
                    holder_name="業主",
                    holder_type="owner",
                )
            )
    for b in buildings:
        for floor, name in ((1, "消防通道門"), (b.floors, "天台門"), (1, "大堂窗")):
            keys.append(
                Key(
                    estate_id=estate.id,
                    key_class="public_area",
                    building_id=b.id,
                    floor=floor,
                    name=name,
                )
            )
    for room in EQUIPMENT_ROOMS:
        keys.append(Key(estate_id=estate.id, key_class="equipment_room", equipment_room=room))
    # Some keys are out: lent to contractors of renovating units and the like.
    # status is still None here (the column default applies at insert): not issued = in.
    lendable = [k for k in keys if k.status != "issued"]
    for key in rng.sample(lendable, k=min(len(lendable), max(2, len(lendable) // 25))):
        name, kind = rng.choice(BORROWERS)
        key.status, key.holder_name, key.holder_type = "out", name, kind
    return keys


def build_users(session: Session, estates: list[Estate]) -> list[User]:
    """Create the demo users: the first estate's team, the second estate's patroller (on the
    first if there is one estate), the organisation admin, a regional supervisor of every
    demo estate, and each further estate's supervisor and admin."""
    users = []
    for username, password, role, display, where in demo_users(len(estates)):
        user = User(username=username, role=role, display_name=display)
        user.set_password(password)
        if where == EVERY:
            user.all_estates = True
        elif where == EACH:
            user.estates = list(estates)
        else:
            user.estates = [estates[min(i, len(estates) - 1)] for i in where]
        session.add(user)
        users.append(user)
    session.flush()
    return users


def build_demo(session: Session, options: DemoOptions) -> DemoResult:
    """Build the whole demo into the session (the caller commits)."""
    rng = random.Random(options.seed)
    say = options.progress or _quiet
    result = DemoResult()
    for index in range(options.estates):
        say("registry", index, options.estates)
        result.estates.append(build_estate(session, index, options, rng))
    say("registry", options.estates, options.estates)
    result.users = build_users(session, result.estates)
    result.counts.update(build_permits(session, result.estates))
    result.counts.update(push_history(session, result, options.days, rng, say))
    result.counts.update(push_round_history(session, result, options.days, rng, say))
    result.counts.update(push_notices(session, result.estates, result.users))
    say("key register", 0, 1)
    result.counts.update(push_key_history(session, result, options.days, rng))
    result.counts.update(add_requests(session, result))
    say("key register", 1, 1)
    result.counts.update(build_desk_history(session, result))
    for model in (Estate, Building, Unit, Sign, Key, User):
        result.counts[model.__tablename__] = session.scalar(
            sa.select(sa.func.count()).select_from(model)
        )
    return result


def push_as_synced(
    session: Session, actor, ops: list[dict], now, rng: random.Random, on_day=None
) -> None:
    """Push a demo history as a phone with signal would have: each day's ops shortly after
    the last of them, so receipt is near occurrence and no old op looks like a wrong clock.
    ``on_day(done, days)`` is told after each day's push (for progress)."""
    by_day: dict[str, list[dict]] = {}
    for o in sorted(ops, key=lambda o: datetime.fromisoformat(o["occurred_at"])):
        by_day.setdefault(o["occurred_at"][:10], []).append(o)
    for done, batch in enumerate(by_day.values(), 1):
        last = datetime.fromisoformat(batch[-1]["occurred_at"])
        synced = min(now, last + timedelta(minutes=rng.randint(5, 90)))
        for start in range(0, len(batch), 500):
            push(session, actor, batch[start : start + 500], synced)
        if on_day is not None:
            on_day(done, len(by_day))


def push_history(
    session: Session, result: DemoResult, days: int, rng: random.Random, say: Progress = _quiet
) -> dict:
    """Record ``days`` of patrol history as real ops pushed through the sync merge."""
    if days <= 0:
        return {}
    now = datetime.now(UTC).replace(microsecond=0)
    counts = {"history_ops": 0}
    by_name = {u.username: u for u in result.users}
    for estate, username in zip(result.estates, ("patrol", "patrol2"), strict=False):
        user = by_name[username]
        device, _token = Device.issue(user, "示範手機")
        session.add(device)
        session.flush()
        codes = session.execute(
            sa.select(LabelCode.code, LabelCode.item_type, LabelCode.item_id).where(
                LabelCode.estate_id == estate.id, LabelCode.active
            )
        ).all()
        units = [c for c, t, _ in codes if t == "unit"]
        signs = [c for c, t, _ in codes if t == "sign"]
        keys_in = session.scalars(
            sa.select(LabelCode.code)
            .join(Key, Key.id == LabelCode.item_id)
            .where(
                LabelCode.estate_id == estate.id,
                LabelCode.item_type == "key",
                LabelCode.active,
                Key.status == "in",
            )
        ).all()
        ops: list[dict] = []

        def op(kind: str, at: datetime, payload: dict, ops: list = ops) -> None:
            payload = {"id": str(uuid.UUID(int=rng.getrandbits(128)))} | payload
            ops.append(
                {
                    "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "type": kind,
                    "occurred_at": at.isoformat(),
                    "payload": payload,
                }
            )

        for day in range(days, 0, -1):
            morning = (now - timedelta(days=day)).replace(hour=1, minute=30, second=0)
            for i, code in enumerate(rng.sample(signs, k=min(len(signs), 6))):
                result_ = "issue" if rng.random() < 0.08 else "ok"
                op(
                    "check.record",
                    morning + timedelta(minutes=3 * i),
                    {
                        "code": code,
                        "method": "scan",
                        "result": result_,
                        "answers": {},
                        "photos": [],
                    },
                )
            for i, code in enumerate(rng.sample(units, k=min(len(units), 3))):
                op(
                    "check.record",
                    morning + timedelta(hours=2, minutes=5 * i),
                    {
                        "code": code,
                        "method": "scan",
                        "result": "no_access" if rng.random() < 0.1 else "ok",
                        "answers": {},
                        "photos": [],
                    },
                )
            if rng.random() < 0.3 and units:
                op(
                    "finding.create",
                    morning + timedelta(hours=3),
                    {
                        "code": rng.choice(units),
                        "severity": rng.choice(list(vocab.SEVERITIES)[:-1]),  # not critical
                        "category": rng.choice(["漏水", "照明故障", "門窗損壞", "雜物堆放"]),
                        "note": "巡查發現，已拍照記錄",
                        "photos": [],
                    },
                )
            if keys_in and rng.random() < 0.5:
                code = rng.choice(keys_in)
                name, kind = rng.choice(BORROWERS)
                out_at = morning + timedelta(hours=1)
                op(
                    "key.lend",
                    out_at,
                    {
                        "code": code,
                        "borrower_name": name,
                        "borrower_type": kind,
                        "purpose": "裝修進場",
                    },
                )
                if day > 1 or rng.random() < 0.5:
                    op("key.return", out_at + timedelta(hours=rng.randint(1, 8)), {"code": code})
        actor = Actor(user_id=user.id, estate_ids=[estate.id], device_id=device.id)
        stage = f"patrol history, {estate.name} (days pushed)"
        say(stage, 0, days)
        push_as_synced(
            session, actor, ops, now, rng, lambda done, n, stage=stage: say(stage, done, n)
        )
        device.last_sync_at = now
        counts["history_ops"] += len(ops)
    return counts
