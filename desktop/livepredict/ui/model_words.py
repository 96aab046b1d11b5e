"""The Model tab's figures in plain words (the exact numbers go into the tooltip)."""

from __future__ import annotations

from typing import Any


def check_words(info: Any) -> tuple[str, str]:
    """(one plain sentence, the details) for the numeric check behind the runtime in use."""
    chk = info.runtime_check
    if chk is None:
        return "Not needed: the model runs as it is.", ""
    first, _, rest = chk.compared.partition(" vs ")
    other, _, on = rest.partition(" on ")
    diff = f"{chk.max_abs_diff:.2e}" if chk.max_abs_diff is not None else "n/a"
    details = f"{chk.compared}: largest difference {diff} (tolerance {chk.tolerance:g})" + (
        f"\n{chk.reason}" if chk.reason else "")
    probes = f" on {on}" if on else ""
    if chk.passed:
        return f"Passed: {first or info.runtime} gives the same answers as {other or 'the original'}{probes}.", details
    if chk.max_abs_diff is None:
        return f"Not compared{': ' + chk.reason if chk.reason else '.'}", details
    return (f"Failed: {first} answered differently from {other or 'the original'}{probes}, so the app uses "
            f"{info.runtime}.", details)
