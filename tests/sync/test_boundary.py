"""The sync package's promises (sync/__init__.py): no request context, no area of the web app,
no function-local imports; push and pull run with a session alone."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import flask
import sqlalchemy as sa

import sync
from sync.loaders import LOADERS
from sync.merge import Actor, push
from sync.pull import pull
from tests.sync.conftest import T0, check_op, codes_of, lend_op
from webapp.extensions import db
from webapp.models import Key, LabelCode, Unit, User
from webapp.models.display import unit_label

PACKAGE = Path(sync.__file__).parent
# What sync may import of the web app: the models and leaf modules, never an area.
ALLOWED = ("webapp.models", "webapp.codes", "webapp.values", "webapp.text", "webapp.vocab")


def _imports(path: Path):
    """Every import in a module: (module name, whether it sits inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in inside
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:  # `from webapp import values` names webapp.values
                yield f"{node.module}.{alias.name}", id(node) in inside


def test_no_sync_module_imports_flask_an_area_or_imports_late():
    """Does no module of sync/ import flask or flask_login (request, session, g, current
    user), any web-app area (labels, rounds, keys, api, ...), or import inside a function?"""
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 5
    for path in modules:
        for name, late in _imports(path):
            assert not name.startswith(("flask", "werkzeug")), f"{path.name} imports {name}"
            if name.startswith("webapp"):
                assert name.startswith(ALLOWED), f"{path.name} imports the area {name}"
            assert not late, f"{path.name} imports {name} inside a function"


def test_push_and_pull_run_in_an_app_context_with_no_request(app, seed):
    """Do push (a check and a key lend) and pull run with a session and no request context,
    reading nothing of a request, a login session or g?"""
    unit = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    key = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    with app.app_context():
        assert not flask.has_request_context()
        user = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        actor = Actor(user_id=user.id, estate_ids=[seed.estate_ids[0]], device_id=None)
        results = push(db.session, actor, [check_op(unit), lend_op(key)], T0)
        assert [r["status"] for r in results] == ["applied", "applied"]
        db.session.commit()
        page = pull(db.session, [seed.estate_ids[0]], None, 1000, T0, secret=uuid.uuid4().hex)
        assert page.changes
        assert not flask.has_request_context()


def test_the_pull_labels_units_and_keys_as_the_registry_does(app, seed):
    """Is a unit's pulled label the registry's own (one function builds it), and an owner
    key's label its unit's label and kind?"""
    with app.app_context():
        units = list(db.session.scalars(sa.select(Unit).limit(5)))
        keys = list(db.session.scalars(sa.select(Key).where(Key.key_class == "owner").limit(5)))
        pulled_units = LOADERS["unit"](db.session, [u.id for u in units])
        pulled_keys = LOADERS["key"](db.session, [k.id for k in keys])
        for u in units:
            assert pulled_units[u.id]["label"] == u.label
            assert u.label == unit_label(u.building.name, u.entrance, u.floor, u.room)
        for k in keys:
            assert pulled_keys[k.id]["label"] == k.label
            assert k.label.startswith(k.unit.label + " ")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LabelCode)) > 0
