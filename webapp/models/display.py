"""Display text of registry items, from plain values: one home for how a unit, key or sign is
named on screen, on labels and in the pull.

A leaf (no ORM, no app): the models' ``label`` properties, the spreadsheet importer, the
rounds' checkpoint lists and the sync pull's plain rows all call these.
"""

from __future__ import annotations

from webapp import vocab


def unit_label(building: str, entrance, floor, room) -> str:
    """A unit as managers write it: 3棟-2單元-15樓-1502室 (a basement floor: B1)."""
    return f"{building}-{entrance}單元-{vocab.floor_name(floor)}-{room}室"


def sign_label(category: str, location: str) -> str:
    """A sign: its category's Chinese name and where it stands."""
    return f"{vocab.zh('sign_category', category)}·{location}"


def key_label(
    key_class: str,
    *,
    unit: str | None = None,
    kind: str | None = None,
    building: str | None = None,
    floor=None,
    name: str = "",
    equipment_room: str | None = None,
) -> str:
    """A key: what it opens (an owner key names its unit's label as ``unit``)."""
    if key_class == "owner":
        return f"{unit} {vocab.zh('owner_key_kind', kind)}"
    if key_class == "public_area":
        return f"{building}-{vocab.floor_name(floor)} {name}".rstrip()
    return f"{equipment_room} {name}".rstrip()
