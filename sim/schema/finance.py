"""The ``finance:`` section of a scenario: per-student spending (2020 calibration and the comparison
path), pay, non-personnel growth, 特岗, subsidies, training, projects, the budget envelope and the
price index.

The schema says what each key means and what values it accepts; it holds no model numbers.
Every value, with its source or the reason for the assumption, is written once, in the
``finance:`` block of ``scenarios/baseline.yaml`` (``docs/finance.md`` explains the equations),
and a scenario ``extends: baseline`` to inherit them. Amounts are yuan, nominal, per year
unless the field name says otherwise. Validators raise ``ValueError`` so that the scenario
loader can name the file, line and key.

>>> import numpy as np
>>> from sim.schema.load import load
>>> f = load("baseline").scenario.finance
>>> f.allocation, round(f.per_student.primary.evaluate(np.arange(2020, 2023))[0])
('required', 14440)
>>> ByLevel.model_validate({"primary": 90000})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 4 validation errors for ByLevel
...
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..core.levels import MONEY_LEVELS
from ..core.series import Series
from .fields import AnySeries, Count, CountSeries, PositiveSeries, Strict, Text, Year
from .teachers import by_level

LEVELS = MONEY_LEVELS
Amount = Annotated[float, Field(ge=0)]  # yuan; negative amounts are errors
PositiveAmount = Annotated[float, Field(gt=0)]


# ------------------------------------------------------------------ per level
ByLevel = by_level(
    "ByLevel",
    CountSeries,
    LEVELS,
    "One series per level. Every level is required once the block is written, so a "
    "scenario that names a pay or spending block but forgets a level is an error.",
    module=__name__,
)

RatioByLevel = by_level(
    "RatioByLevel", PositiveSeries, LEVELS, "One positive ratio series per level.", module=__name__
)


# ------------------------------------------------------------------ 特岗, training
class Tegang(Strict):
    """特岗 teachers' pay: the central salary subsidy and the local top-up. The teacher stage counts
    特岗 teachers among the teachers in post, so the pay bill pays them; the central subsidy is
    taken off (it is not the city's money)."""

    pay: CountSeries = Field(
        description="average yearly pay of a 特岗 teacher: caps the central subsidy and gives the "
        "local top-up (Spending|Tegang)"
    )
    central_subsidy: CountSeries = Field(description="central salary subsidy, yuan per person-year")
    in_contract_fallback: CountSeries = Field(
        description="特岗 teachers in contract, used only when the teacher module gives no "
        '"Teachers|Tegang|In contract"'
    )


class Training(Strict):
    """Training cost = person-trainings × hours per training × cost per hour."""

    person_trainings: CountSeries = Field(description="person-trainings a year")
    hours_per_training: PositiveSeries = Field(description="hours one training gives")
    cost_per_hour: CountSeries = Field(description="yuan per training hour")


class Adds(Strict):
    """What a project adds once it opens (nothing unless it says so)."""

    kindergarten_places: Count = 0
    classrooms: Count = 0
    vocational_places: Count = 0  # training stations (实训位), not school places
    # school places (学位) by level: primary, junior, senior_general, secondary_vocational; they
    # count in the division's places (regions.places) from the year the project opens
    school_places: dict[Literal["primary", "junior", "senior_general", "secondary_vocational"], Count] = {}


class Project(Strict):
    """A dated capital project: one-off cost spread evenly over ``start``..``opens`` (both
    included), running cost every year from ``opens``."""

    name: str = Field(min_length=1)
    title: Text | None = None
    start: Year
    opens: Year | None = None  # default: the start year
    cost: PositiveAmount | None = None  # one-off, yuan (required: a project with no cost is an error)
    running_cost: Amount = 0.0  # yuan a year from the opening year
    adds: Adds = Adds()
    # the division it is built in (with regions:); none: shared among the divisions by pupils
    region: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.cost is None:
            raise ValueError(f"project {self.name!r} has no cost: give its one-off `cost` in yuan")
        if self.opens is None:
            self.opens = self.start
        if self.opens < self.start:
            raise ValueError(f"project {self.name!r} opens in {self.opens}, before it starts ({self.start})")
        return self


# ------------------------------------------------------------------ the section
class Finance(Strict):
    """The ``finance:`` section. See docs/finance.md for the equations."""

    allocation: Literal["required", "affordable"] = Field(
        description="required: spend what the teachers in post, non-personnel spending per student, "
        "programmes and projects require; affordable: spend the envelope — teachers in post, "
        "programmes and projects are paid first and non-personnel spending is scaled to what is left"
    )
    per_student: ByLevel = Field(
        description="general public budget education spending per student (生均一般公共预算教育经费): "
        "its base-year value calibrates non-personnel spending per student; the whole path × enrolment "
        "is published as the comparison Spending|Comparison|Per-student path"
    )
    non_personnel_real_growth: AnySeries = Field(
        description="yearly growth of non-personnel spending per student in real terms, on top of the "
        "price index (0: constant in real terms); the base year's value is not used"
    )
    pay: ByLevel = Field(description="teachers' average yearly pay")
    civil_servant_pay: CountSeries = Field(description="local civil servants' average yearly pay")
    pupils_per_teacher: RatioByLevel = Field(
        description="used only without the teacher module: teachers = enrolment / pupils per teacher"
    )
    tegang: Tegang
    training: Training
    township_subsidy_fallback: CountSeries = Field(
        description="township subsidy total, yuan a month, when the teacher module is absent"
    )
    projects: list[Project] = Field(description="dated capital projects")
    envelope: CountSeries | None = Field(
        description="the budget envelope, yuan; null: the base year's required spending × "
        "envelope_base_ratio, grown by envelope_growth each year"
    )
    envelope_base_ratio: Annotated[float, Field(gt=0)] = Field(
        description="the envelope in the base year as a multiple of the required spending (envelope: null)"
    )
    envelope_growth: AnySeries = Field(description="the envelope's yearly growth (envelope: null)")
    price_index: PositiveSeries = Field(description="price level, base year = 1")
    tolerance: Annotated[float, Field(ge=0, le=0.01)] = 1e-9  # relative; rule checks ignore float noise

    @field_validator("envelope_growth", "non_personnel_real_growth", "price_index")
    @classmethod
    def _growth_above_minus_one(cls, s: Series) -> Series:
        if s.growth is not None and s.growth <= -1:
            raise ValueError(f"growth must be > -100 % (a series must stay positive); got {s.growth:g}")
        return s

    @field_validator("envelope_growth", "non_personnel_real_growth")
    @classmethod
    def _rates_above_minus_one(cls, s: Series, info) -> Series:
        if (s.values <= -1).any():
            raise ValueError(f"{info.field_name} must be > -100 % every year")
        return s

    @model_validator(mode="after")
    def _unique_projects(self):
        names = [p.name for p in self.projects]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"project names must be unique; repeated: {dup}")
        return self


def check_projects(finance: Finance, start: int, end: int) -> None:
    """Raise ValueError naming the first project that starts or opens outside the horizon.

    >>> from sim.schema.load import load
    >>> base = load("baseline").scenario.finance
    >>> f = base.model_copy(update={"projects": [Project(name="k1", start=2040, cost=1e6)]})
    >>> check_projects(f, 2020, 2035)
    Traceback (most recent call last):
    ...
    ValueError: project 'k1' starts in 2040 and opens in 2040, outside the horizon 2020-2035
    """
    for p in finance.projects:
        if not (start <= p.start <= end and start <= p.opens <= end):
            raise ValueError(
                f"project {p.name!r} starts in {p.start} and opens in {p.opens}, "
                f"outside the horizon {start}-{end}"
            )


__all__ = [
    "Finance",
    "Project",
    "Adds",
    "Tegang",
    "Training",
    "ByLevel",
    "RatioByLevel",
    "LEVELS",
    "check_projects",
]
