"""The coverage grid of round windows and checkpoints, and its JSON report for the API."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _

from webapp import edge
from webapp.access import roles
from webapp.api.openapi import document
from webapp.errors import api_error
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.models import Estate, utcnow
from webapp.models.rounds import ROUND_KINDS
from webapp.rounds import presence, rules, service
from webapp.rounds.forms import CoverageArgs, ReportArgs
from webapp.rounds.views import bp
from webapp.rounds.views.common import estate_arg, kind_names, today
from webapp.scoping import scoped


@bp.get("/api/reports/coverage")
@roles()
def api_coverage():
    """Coverage of the windows that start on a date (estate time), per checkpoint."""
    # Invalid input is a 422 naming the argument, as the API answers it (the pull's limit);
    # another estate's is 404 first, whatever else is asked.
    try:
        wanted = strict_args(ReportArgs, request.args)
    except edge.BadInput as exc:
        return api_error(422, "validation", exc.description, {exc.field: [exc.description]})
    for name in ("estate", "date"):
        if wanted[name] is None:
            message = _("%(name)s: this argument is required.", name=name)
            return api_error(422, "validation", message, {name: [message]})
    estate, day = estate_arg(wanted), wanted["date"]
    windows = service.coverage(db.session, estate, day, utcnow())
    body = service.as_api(estate, day, windows)
    db.session.commit()  # windows that opened were fixed from the registry
    return body


document(
    "/api/reports/coverage",
    {
        "get": {
            "summary": "Coverage per round window and checkpoint for one estate day",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "estate", "in": "query", "required": True, "schema": {"type": "integer"}},
                {
                    "name": "date",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "date"},
                },
            ],
            "responses": {
                "200": {
                    "description": "windows starting that day, each with its checkpoints' status",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "estate": {"type": "integer"},
                                    "date": {"type": "string", "format": "date"},
                                    "windows": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "round": {"type": "integer"},
                                                "name": {"type": "string"},
                                                "kind": {
                                                    "type": "string",
                                                    "enum": list(ROUND_KINDS),
                                                },
                                                "start": {"type": "string", "format": "date-time"},
                                                "end": {"type": "string", "format": "date-time"},
                                                "expected": {"type": "integer"},
                                                "done": {"type": "integer"},
                                                "late": {"type": "integer"},
                                                "missed": {"type": "integer"},
                                                "no_access": {"type": "integer"},
                                                "checkpoints": {
                                                    "type": "array",
                                                    "items": {
                                                        "type": "object",
                                                        "properties": {
                                                            "code": {"type": "string"},
                                                            "label": {"type": "string"},
                                                            "status": {
                                                                "type": "string",
                                                                "enum": list(rules.STATUSES),
                                                            },
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "404": {"description": "not an estate of yours"},
                "422": {"description": "an estate or date missing or not well formed"},
            },
        }
    },
)


def _grid(days_cov: dict) -> list[dict]:
    """One section per round: its windows as columns, checkpoints grouped by building and floor."""
    sections: OrderedDict = OrderedDict()
    for day, windows in days_cov.items():
        for w in windows:
            sec = sections.setdefault(
                w.template.id, {"template": w.template, "columns": [], "rows": OrderedDict()}
            )
            col = len(sec["columns"])
            sec["columns"].append({"day": day, "window": w})
            for p in w.points:
                row = sec["rows"].setdefault((p.item_type, p.item_id), {"point": p, "cells": {}})
                row["cells"][col] = p  # its status, and how the deciding check was made
    out = []
    for sec in sections.values():
        ordered = sorted(
            sec["rows"].values(),
            key=lambda r: (
                r["point"].building_sort,
                r["point"].building,
                r["point"].floor if r["point"].floor is not None else -1,
                r["point"].label,
            ),
        )
        groups: list[dict] = []
        for r in ordered:
            key = (r["point"].building, r["point"].floor)
            if not groups or groups[-1]["key"] != key:
                groups.append({"key": key, "building": key[0], "floor": key[1], "rows": []})
            groups[-1]["rows"].append(r)
        columns = sec["columns"]
        for c in columns:
            w = c["window"]
            c["done"] = w.count(rules.DONE)
            c["expected"] = len(w.points)
        out.append({"template": sec["template"], "columns": columns, "groups": groups})
    return out


@bp.get("/rounds/coverage")
@roles("supervisor", "admin")
def coverage_page():
    """The supervisor's coverage grid: checkpoints by building and floor against windows."""
    wanted = strict_args(CoverageArgs, request.args)
    estate = estate_arg(wanted)
    service.ensure_defaults(db.session, estate)
    day = wanted["date"] or today(estate)
    week = wanted["view"] == "week"
    span = [day - timedelta(days=n) for n in range(6, -1, -1)] if week else [day]
    days_cov = service.coverage_days(db.session, estate, span, utcnow())
    sections = _grid(days_cov)
    zone = ZoneInfo(estate.timezone)
    lo = datetime.combine(span[0], time(0), zone)
    hi = lo + timedelta(days=len(span))
    fast = service.fast_sequences(db.session, estate, lo, hi)
    far = presence.far_fixes(db.session, estate, lo, hi)
    by_patroller, by_round = presence.shares(db.session, estate, lo, hi)
    far_labels = {}
    if far:
        refs = {(f.item_type, f.item_id) for f in far}
        far_labels = {k: p.label for k, p in service.describe(db.session, estate.id, refs).items()}
    totals = {s: sum(w.count(s) for ws in days_cov.values() for w in ws) for s in rules.STATUSES}
    expected = sum(len(w.points) for ws in days_cov.values() for w in ws)
    db.session.commit()
    estates = db.session.scalars(scoped(Estate).order_by(Estate.id)).all()
    return render_template(
        "rounds/coverage.html",
        estate=estate,
        estates=estates,
        day=day,
        week=week,
        sections=sections,
        statuses=rules.STATUSES,
        kind_names=kind_names(),
        fast=fast,
        far=far,
        how_marks=presence.MARKS,
        how_of=presence.how,
        by_patroller=by_patroller,
        by_round=by_round,
        far_labels=far_labels,
        far_m=int(presence.FAR_M),
        good_m=int(presence.GOOD_FIX_M),
        totals=totals,
        expected=expected,
        prev_day=day - timedelta(days=7 if week else 1),
        next_day=day + timedelta(days=7 if week else 1),
    )
