"""The int8 lines of ``livepredict bench --int8``."""

from __future__ import annotations

from typing import Any


def int8_lines(result: dict[str, Any]) -> list[str]:
    q = result["int8"]
    paths = result["paths"]
    lines = []
    if "int8" in paths and "litert" in paths:
        lines.append(f"int8: {paths['int8']['ms_median']:.3f} ms vs float LiteRT {paths['litert']['ms_median']:.3f} ms "
                     f"({q['vs_litert']:.2f}x)")
    from livepredict.inference.int8 import pictures_text

    lines.append(f"int8: {q['reason']}; calibrated on {pictures_text(q['calibration'], q['calibration_source'])}")
    lines.append("int8: " + ("offered (opt in; never chosen by itself)" if q["offered"] else "not offered"))
    return lines
