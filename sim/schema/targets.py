"""The ``targets:`` section: a row each (indicator, year, comparison, value, kind, source).

A target holds in one year (``year: 2025``) or in every year of a range (``year: 2021-2025``,
for rules such as "spending never falls"). Evaluation is ``sim/analysis/targets.py``.

>>> t = Target(id="ger", indicator="GER|Preschool", year=2025, value=0.95, source="plan")
>>> t.years, t.bounds()
((2025, 2025), (0.95, inf))
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..core.catalogue import known, names
from .fields import Strict, Text

KIND_LABELS = {
    "indicative": ("预期性", "indicative"),
    "binding": ("约束性", "binding"),
    "assumption": ("规划假设", "planner's assumption"),
}


class Target(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    indicator: str
    year: int | str = Field(description="a year, or a range 'YYYY-YYYY' in which every year must meet it")
    comparison: Literal[">=", "<=", "=", "within"] = ">="
    value: float
    tolerance: float = Field(
        0.0, ge=0, description="for '=' and 'within': allowed distance, as a share of value"
    )
    kind: Literal["indicative", "binding", "assumption"] = "indicative"
    source: str
    label: Text | None = None
    rounding: float | None = Field(
        None,
        gt=0,
        description="the precision the plan reports the indicator in; values are rounded to it "
        "before the comparison (0.01: whole percent, as '≥ 99 %')",
    )
    holds_by: str | None = Field(
        None,
        description="why the target holds whatever the model computes (an input sets it): the "
        "scorecard says 'by assumption', not 'met'",
    )

    @field_validator("year")
    @classmethod
    def _year(cls, v):
        if isinstance(v, int):
            return v
        m = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", str(v))
        if not m or int(m.group(1)) > int(m.group(2)):
            raise ValueError(f"year must be a year or a range such as 2021-2025, got {v!r}")
        return f"{m.group(1)}-{m.group(2)}"

    @model_validator(mode="after")
    def _known_indicator(self):
        if not known(self.indicator):
            close = difflib.get_close_matches(self.indicator, names(), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"the model does not produce '{self.indicator}'{hint}")
        return self

    @property
    def years(self) -> tuple[int, int]:
        if isinstance(self.year, int):
            return self.year, self.year
        a, b = self.year.split("-")
        return int(a), int(b)

    def bounds(self) -> tuple[float, float]:
        tol = abs(self.value) * self.tolerance
        if self.comparison == ">=":
            return self.value, np.inf
        if self.comparison == "<=":
            return -np.inf, self.value
        return self.value - tol, self.value + tol
