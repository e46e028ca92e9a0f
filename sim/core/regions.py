"""Results by division: how a division's value of a variable is named among the city's results.

A run with divisions keeps the city's results under their own names and each division's under
``<variable>@<division>``; files carry them in a ``region`` column (IAMC's own field; the city is
``吉林市``).

>>> split("Enrolment|Primary@蛟河市"), split("Enrolment|Primary")
(('Enrolment|Primary', '蛟河市'), ('Enrolment|Primary', '吉林市'))
>>> of_region({"A": 1, "A@蛟河市": 2, "B@蛟河市": 3}, "蛟河市")
{'A': 2, 'B': 3}
"""

from __future__ import annotations

from typing import Any

CITY = "吉林市"
CITY_EN = "Jilin City"
SEP = "@"
ALL = "all"


def key(variable: str, region: str) -> str:
    """The name of ``region``'s value of ``variable`` among the results."""
    return variable if region == CITY else f"{variable}{SEP}{region}"


def split(name: str) -> tuple[str, str]:
    """(variable, region) of a result's name."""
    if SEP in name:
        variable, region = name.rsplit(SEP, 1)
        return variable, region
    return name, CITY


def regions_of(results: dict[str, Any]) -> list[str]:
    """The city, then every division the results hold, in the order they first appear."""
    seen = {CITY: None}
    for k in results:
        seen.setdefault(split(k)[1], None)
    return list(seen)


def of_region(results: dict[str, Any], region: str) -> dict[str, Any]:
    """One region's results under the plain variable names."""
    out = {}
    for k, v in results.items():
        variable, r = split(k)
        if r == region:
            out[variable] = v
    return out
