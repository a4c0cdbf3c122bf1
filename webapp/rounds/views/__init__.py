"""Rounds pages and the coverage report: the supervisor's grid, template and checklist editing,
and ``GET /api/reports/coverage``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rounds", __name__)

# The routes, by concern: coverage (grid and report); rounds, checklists and custom rounds.
from webapp.rounds.views import coverage, templates  # noqa: E402, F401
