"""The slots of models opened to compare with the main one (File › Add Model to Compare, ``--compare``)."""

from __future__ import annotations

from livepredict.threads.engine.payloads import MAIN, MAX_SLOTS

COMPARE_SLOTS = tuple(f"compare{i}" for i in range(1, MAX_SLOTS))
ALL_SLOTS = (MAIN, *COMPARE_SLOTS)


def is_compare_slot(slot: str) -> bool:
    return slot in COMPARE_SLOTS
