"""Numbers as a planner reads them: rates in %, persons with thousands separators, years to 2 decimals.

>>> fmt(0.9251, "fraction"), fmt(170510.4, "persons"), fmt(10.804, "years"), fmt_margin(-0.01, "fraction")
('92.5%', '170,510', '10.80', '-1.0pt')
"""

from __future__ import annotations

import math


def fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit in ("years", "ratio", "students per teacher", "index"):
        return f"{value:.2f}"
    if abs(value) < 100 and value != int(value):
        return f"{value:.2f}"
    return f"{value:,.0f}"


def fmt_margin(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value * 100:+.1f}pt"
    if unit in ("years", "ratio", "students per teacher", "index") or abs(value) < 100:
        return f"{value:+.2f}"
    return f"{value:+,.0f}"
