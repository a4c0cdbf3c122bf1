"""The patrol record as evidence on the desktop: one page per check (``/records/checks/<id>``)."""
