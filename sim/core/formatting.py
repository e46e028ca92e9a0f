"""Numbers as a planner reads them: rates in %, persons with thousands separators, years to 2 decimals.

>>> fmt(0.9251, "fraction"), fmt(170510.4, "persons"), fmt(10.804, "years"), fmt_margin(-0.01, "fraction")
('92.5%', '170,510', '10.80', '-1.0pt')

``compact=True`` (the terminal's tables) writes large counts in 万 and money in 万/亿 (元), a
rule's 1/0 as ✓/✗, and always keeps a number short enough for a narrow column:

>>> [fmt(v, "persons", compact=True) for v in (23000, 99999.6, 129066, 3297264, -45857)]
['23,000', '10.00万', '12.91万', '329.7万', '-45,857']
>>> [fmt(v, "yuan", compact=True) for v in (16559, 948391000, 5787778714, -129750000)]
['16,559', '9.48亿', '57.88亿', '-1.30亿']
>>> fmt(1, "1 holds, 0 breached", compact=True), fmt(0.0, "1 holds, 0 breached", compact=True)
('✓', '✗')
>>> fmt(74.48, "persons per year", compact=True), fmt(float("nan"), "persons", compact=True)
('74', '—')
>>> [fmt_margin(v, "persons", compact=True) for v in (269, -0.2, 0.0, 533956000)]
['+269', '0', '0', '+5.34亿']
>>> fmt_margin(0.0004, "fraction", compact=True), fmt_margin(-0.0226, "fraction", compact=True)
('0.0pt', '-2.3pt')
>>> fmt(12.1746, "years", compact=True), fmt_margin(0.074, "years", compact=True)
('12.17', '+0.07')
>>> fmt(0.00902, "fraction", compact=True), fmt(0.00902, "fraction")
('0.90%', '0.9%')
"""

from __future__ import annotations

import math

DECIMAL_UNITS = ("years", "ratio", "students per teacher", "index")
RULE_UNIT = "1 holds, 0 breached"
COUNT_UNITS = ("persons", "persons per year", "places", "classrooms", "divisions")
MONEY_UNITS = ("yuan", "yuan per year", "yuan per month")

# short Chinese units for a label, where the number itself does not say it
UNIT_ZH = {
    "persons": "人",
    "persons per year": "人/年",
    "places": "个学位",
    "classrooms": "间",
    "yuan": "元",
    "yuan per year": "元/年",
    "yuan per month": "元/月",
    "years": "年",
    "students per teacher": "生/师",
}


def _big(value: float, sign: str = "") -> str:
    """A count or a sum of money in 万 (10⁴) or 亿 (10⁸) with four significant digits; below
    100,000 in full.

    >>> _big(123456789), _big(-100000, "+"), _big(99999), _big(12345678901)
    ('1.23亿', '-10.00万', '99,999', '123.5亿')
    """
    a = abs(value)
    if round(a) < 100_000:
        return f"{value:{sign},.0f}"
    scale, suffix = (1e8, "亿") if a >= 1e8 - 5e3 else (1e4, "万")
    x = value / scale
    decimals = 2 if abs(x) < 99.995 else 1 if abs(x) < 999.95 else 0
    return f"{x:{sign},.{decimals}f}{suffix}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value: float, unit: str, compact: bool = False) -> str:
    if _missing(value):
        return "—"
    if unit == "fraction":
        small = compact and 0 < abs(value) < 0.1  # a crude death rate: 0.90% and 0.93% differ
        return f"{value * 100:.{2 if small else 1}f}%"
    if compact:
        if unit == RULE_UNIT:
            return "✓" if value == 1 else "✗" if value == 0 else f"{value:.2f}"
        if unit in DECIMAL_UNITS:
            return f"{value:.2f}"
        if unit in COUNT_UNITS or unit in MONEY_UNITS:
            return _big(value)
    if unit in DECIMAL_UNITS:
        return f"{value:.2f}"
    if abs(value) < 100 and value != int(value):
        return f"{value:.2f}"
    return f"{value:,.0f}"


def fmt_margin(value: float, unit: str, compact: bool = False) -> str:
    if _missing(value):
        return "—"
    if compact:
        # a difference that rounds to nothing is shown as 0, without a sign
        if unit == "fraction":
            s = f"{value * 100:+.1f}pt"
            return "0.0pt" if s in ("+0.0pt", "-0.0pt") else s
        if unit in DECIMAL_UNITS or unit == RULE_UNIT:
            s = f"{value:+.2f}"
            return "0" if s in ("+0.00", "-0.00") else s
        if unit in COUNT_UNITS or unit in MONEY_UNITS or abs(value) >= 100:
            s = _big(value, "+")
            return "0" if s in ("+0", "-0") else s
        s = f"{value:+.2f}"
        return "0" if s in ("+0.00", "-0.00") else s
    if unit == "fraction":
        return f"{value * 100:+.1f}pt"
    if unit in DECIMAL_UNITS or abs(value) < 100:
        return f"{value:+.2f}"
    return f"{value:+,.0f}"


def year_span(years) -> str:
    """Years as short ranges: the years a rule was breached.

    >>> year_span([2022, 2023, 2024, 2030]), year_span([]), year_span([2025])
    ('2022-2024, 2030', '', '2025')
    """
    ys = sorted(int(y) for y in years)
    parts: list[str] = []
    start = prev = None
    for y in [*ys, None]:
        if start is not None and (y is None or y != prev + 1):
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if y is not None and start is None:
            start = y
        prev = y
    return ", ".join(parts)
