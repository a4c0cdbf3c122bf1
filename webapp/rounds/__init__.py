"""Patrol rounds: templates, windows, checklists and coverage."""

from __future__ import annotations

from sync.pull import register_loader
from webapp.rounds.pulled import load_rounds


def init_app(app) -> None:
    """Let the sync pull send rounds (change type ``round``): sync imports no area."""
    register_loader("round", load_rounds)
