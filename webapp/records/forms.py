"""The record pages' query arguments (read strictly: webapp.forms ``strict_args``)."""

from __future__ import annotations

from webapp import vocab
from webapp.forms import Day, FilterForm, Int32, ItemRef, Moment


class CellArgs(FilterForm):
    """A coverage grid cell: the round, its window's start and the checkpoint."""

    template = Int32(low=1)
    start = Moment()
    item = ItemRef(vocab.ITEM_KINDS)


class DayArgs(FilterForm):
    """A patroller's day (none: today in their first estate)."""

    day = Day()
