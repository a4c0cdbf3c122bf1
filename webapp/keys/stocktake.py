"""Stocktake at a shift handover: what the register expects in the cabinet against what was
scanned or ticked. A pure rule, so that its differences are exact."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Differences:
    missing: list[int]  # the register says in the cabinet; not scanned
    unexpected: list[int]  # scanned, but the register says lent out, issued or disputed
    unknown: list[str]  # scanned codes that name no key of this estate


def compare(statuses: dict[int, str], scanned: set[int], unknown: list[str] = ()) -> Differences:
    """``statuses``: every active key of the estate and its status; ``scanned``: key ids."""
    expected = {k for k, s in statuses.items() if s == "in"}
    recorded_away = {k for k, s in statuses.items() if s != "in"}
    return Differences(
        missing=sorted(expected - scanned),
        unexpected=sorted(scanned & recorded_away),
        unknown=sorted(set(unknown)),
    )
