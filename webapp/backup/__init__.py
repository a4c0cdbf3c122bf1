"""Backup and restore: ``flask backup DIR`` and ``flask restore DIR [--force]``."""
