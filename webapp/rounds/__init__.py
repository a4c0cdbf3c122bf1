"""Patrol rounds: templates, windows, checklists and coverage."""
