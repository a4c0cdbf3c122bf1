"""The ground the merge stands on: savepoints that nest, and sync/ free of Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate

SYNC_DIR = Path(__file__).resolve().parents[2] / "sync"


def _names(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Estate.name).where(Estate.name.like("sp-%"))))


def test_savepoints_nest_and_roll_back_as_documented(app):
    """Do nested savepoints keep and drop exactly their own rows, and an outer rollback all?"""
    with app.app_context():
        session = db.session
        session.add(Estate(name="sp-outer"))
        with session.begin_nested():
            session.add(Estate(name="sp-kept"))
            try:
                with session.begin_nested():
                    session.add(Estate(name="sp-inner-dropped"))
                    session.flush()
                    raise RuntimeError
            except RuntimeError:
                pass
        try:
            with session.begin_nested():
                session.add(Estate(name="sp-dropped"))
                session.flush()
                raise RuntimeError
        except RuntimeError:
            pass
        session.commit()
    assert _names(app) == {"sp-outer", "sp-kept"}
    with app.app_context():
        session = db.session
        session.add(Estate(name="sp-gone"))
        with session.begin_nested():
            session.add(Estate(name="sp-released-then-gone"))
        session.rollback()  # the outer rollback takes a released savepoint's row with it
    assert _names(app) == {"sp-outer", "sp-kept"}


def test_sync_imports_nothing_of_flask():
    """Does no module of sync/ import Flask (or the app's request machinery)?"""
    banned = (
        "flask",
        "flask_login",
        "flask_sqlalchemy",
        "flask_wtf",
        "werkzeug",
        "webapp.extensions",
        "webapp.access",
        "webapp.api",
        "webapp.scoping",
    )
    found = []
    for path in SYNC_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []
    assert len(list(SYNC_DIR.glob("*.py"))) >= 5
