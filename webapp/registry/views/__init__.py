"""Registry screens: estates, buildings, units, signs and keys; inline edits; import and export.

Who may do what: supervisors and admins edit, import and export; engineering and the front
desk may look at the lists (equipment-room keys, the key cabinet) but change nothing;
patrollers work from the phone and do not see these screens.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registry", __name__, url_prefix="/registry")

# The routes, by concern: estates, lists and one item's row; the file import.
from webapp.registry.views import imports, items  # noqa: E402, F401
