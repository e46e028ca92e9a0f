"""The ``finance:`` section of a scenario: per-student spending, pay, 特岗, subsidies, training,
projects, the budget envelope and the price index.

Every default is documented, with its source or the reason for the assumption, in
``docs/finance.md`` and in the ``finance:`` block of ``scenarios/baseline.yaml``
(the ``finance:`` block of ``scenarios/baseline.yaml``). Amounts are yuan, nominal, per year
unless the field name says otherwise. Validators raise ``ValueError`` so that the scenario
loader can name the file, line and key.

>>> import numpy as np
>>> f = Finance()
>>> f.recurrent, f.allocation, round(f.per_student.primary.evaluate(np.arange(2020, 2023))[0])
('per_student', 'required', 14440)
>>> Finance.model_validate({"pay": {"primary": 90000}})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 4 validation errors for Finance
...
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..core.levels import MONEY_LEVELS
from ..core.series import Series
from .fields import AnySeries, Count, CountSeries, PositiveSeries, RateSeries, Strict, Text, Year

LEVELS = MONEY_LEVELS
Amount = Annotated[float, Field(ge=0)]          # yuan; negative amounts are errors
PositiveAmount = Annotated[float, Field(gt=0)]


def _points(pts: dict[int, float], growth: float | None = None, source: str | None = None) -> Series:
    return Series(points=tuple(sorted(pts.items())), growth=growth, source=source)


# ------------------------------------------------------------------ per level
class _Levels(Strict):
    def get(self, level: str) -> Series:
        return getattr(self, level)


class ByLevel(_Levels):
    """One series per level. Every level is required once the block is written, so a
    scenario that names a pay or spending block but forgets a level is an error."""
    preschool: CountSeries
    primary: CountSeries
    junior: CountSeries
    senior_general: CountSeries
    secondary_vocational: CountSeries


class ShareByLevel(_Levels):
    preschool: RateSeries
    primary: RateSeries
    junior: RateSeries
    senior_general: RateSeries
    secondary_vocational: RateSeries


class RatioByLevel(_Levels):
    preschool: PositiveSeries
    primary: PositiveSeries
    junior: PositiveSeries
    senior_general: PositiveSeries
    secondary_vocational: PositiveSeries


GROWTH_AFTER_2022 = 0.02  # assumption: per-student spending keeps its real value at the assumed 2 % inflation

# 生均一般公共预算教育经费, yuan. 2022: Jilin province 2022 公告 (research §6, secondary).
# 2020: back-cast estimate (implied 2021 value, then national 2020→2021 growth), research §6.
_PER_STUDENT_2020 = {"preschool": 10370, "primary": 14440, "junior": 18680,
                     "senior_general": 12550, "secondary_vocational": 21910}
_PER_STUDENT_2022 = {"preschool": 11999.98, "primary": 14853.07, "junior": 19239.45,
                     "senior_general": 13128.54, "secondary_vocational": 22080.33}


def _per_student_default() -> ByLevel:
    return ByLevel(**{lv: _points({2020: _PER_STUDENT_2020[lv], 2022: _PER_STUDENT_2022[lv]}, GROWTH_AFTER_2022)
                      for lv in LEVELS})


# Civil servants' average pay: Jilin City all-sector average wage (吉林省统计局 2023-05-26: 75,638 in
# 2021, 77,785 in 2022, verified) × 1.15 (assumption: research §6 suggests 1.1-1.2 for public
# administration); 2020 back-cast at the 2022 growth (+2.8 %, estimate); +2.8 % a year after 2022
# (assumption: the last observed city growth rate).
_CS_PAY = {2020: 84614, 2021: 86984, 2022: 89453}
_CS_GROWTH = 0.028
_PAY_FACTOR = {"preschool": 0.8,            # assumption: kindergarten teachers are paid below school teachers
               "primary": 1.0, "junior": 1.0,  # assumption: the plan's rule holds with equality in the base
               "senior_general": 1.05,       # assumption: small premium for senior-secondary posts
               "secondary_vocational": 1.0}  # assumption


def _pay_default() -> ByLevel:
    return ByLevel(**{lv: _points({y: round(v * _PAY_FACTOR[lv]) for y, v in _CS_PAY.items()}, _CS_GROWTH)
                      for lv in LEVELS})


def _personnel_share_default() -> ShareByLevel:
    # assumption: no Jilin split of per-student spending into personnel / non-personnel was found;
    # 0.6 is a round planning figure, used only for the bottom-up mode's non-personnel part.
    return ShareByLevel(**{lv: Series.constant(0.6) for lv in LEVELS})


def _pupil_teacher_default() -> RatioByLevel:
    # China 2020 pupils per full-time teacher, derived from the 2020 统计公报 (research §4).
    vals = {"preschool": 16.54, "primary": 16.67, "junior": 12.73, "senior_general": 12.90,
            "secondary_vocational": 19.17}
    return RatioByLevel(**{lv: Series.constant(v) for lv, v in vals.items()})


# ------------------------------------------------------------------ 特岗, training
class Tegang(Strict):
    """特岗 teachers' pay: the central salary subsidy and the local top-up."""
    # assumption: 特岗 teachers are paid like other primary teachers (same series as pay.primary)
    pay: CountSeries = _points({y: v for y, v in _CS_PAY.items()}, _CS_GROWTH)
    # assumption (research §3, not found in a source): central-region rate 3.52万 per person-year
    central_subsidy: CountSeries = Series.constant(35200)
    # used only when the teacher module gives no "Teachers|Tegang|In contract":
    # 150 hires a year (plan 九(三)) × 3-year contracts
    in_contract_fallback: CountSeries = Series.constant(450)


class Training(Strict):
    """Training cost = person-trainings × hours per training × cost per hour."""
    person_trainings: CountSeries = Series.constant(19940)   # plan 一(一): 99,700 in 十三五 / 5 years
    hours_per_training: PositiveSeries = Series.constant(100)  # assumption, as teachers.training
    # derived: 18.8 million yuan / 99,700 person-trainings / 100 h ≈ 1.886 yuan per hour (plan 一(一))
    cost_per_hour: CountSeries = Series.constant(1.8857)


class Adds(Strict):
    """What a project adds once it opens."""
    kindergarten_places: Count = 0
    classrooms: Count = 0
    vocational_places: Count = 0


class Project(Strict):
    """A dated capital project: one-off cost spread evenly over ``start``..``opens`` (both
    included), running cost every year from ``opens``."""
    name: str = Field(min_length=1)
    title: Text | None = None
    start: Year
    opens: Year | None = None          # default: the start year
    cost: PositiveAmount | None = None  # one-off, yuan (required: a project with no cost is an error)
    running_cost: Amount = 0.0         # yuan a year from the opening year
    adds: Adds = Adds()
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
    # per_student: recurrent_l = per-student path × enrolment (pay included);
    # bottom_up: recurrent_l = teacher pay bill + non-personnel per student × enrolment
    recurrent: Literal["per_student", "bottom_up"] = "per_student"
    # required: spend what the paths require; affordable: spend the envelope, scaling recurrent spending
    allocation: Literal["required", "affordable"] = "required"
    per_student: ByLevel = Field(default_factory=_per_student_default)
    personnel_share: ShareByLevel = Field(default_factory=_personnel_share_default)
    pay: ByLevel = Field(default_factory=_pay_default)
    civil_servant_pay: CountSeries = _points(_CS_PAY, _CS_GROWTH)
    pupils_per_teacher: RatioByLevel = Field(default_factory=_pupil_teacher_default)
    tegang: Tegang = Tegang()
    training: Training = Training()
    township_subsidy_fallback: CountSeries = Series.constant(0)  # yuan a month, when the teacher module is absent
    projects: list[Project] = Field(default_factory=list)
    # the envelope: an explicit series (yuan), or (when null) the base year's required spending
    # × envelope_base_ratio, grown by envelope_growth each year
    envelope: CountSeries | None = None
    envelope_base_ratio: Annotated[float, Field(gt=0)] = 1.0
    envelope_growth: AnySeries = Series.constant(0.0277)  # Jilin 2022 GPB education +2.77 % (research §6)
    price_index: PositiveSeries = Series(points=((0, 1.0),), growth=0.02, from_start=True)
    tolerance: Annotated[float, Field(ge=0, le=0.01)] = 1e-9  # relative; rule checks ignore float noise

    @field_validator("envelope_growth", "price_index")
    @classmethod
    def _growth_above_minus_one(cls, s: Series) -> Series:
        if s.growth is not None and s.growth <= -1:
            raise ValueError(f"growth must be > -100 % (a series must stay positive); got {s.growth:g}")
        return s

    @field_validator("envelope_growth")
    @classmethod
    def _rates_above_minus_one(cls, s: Series) -> Series:
        if (s.values <= -1).any():
            raise ValueError("envelope_growth must be > -100 % every year")
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

    >>> f = Finance.model_validate({"projects": [{"name": "k1", "start": 2040, "cost": 1e6}]})
    >>> check_projects(f, 2020, 2035)
    Traceback (most recent call last):
    ...
    ValueError: project 'k1' starts in 2040 and opens in 2040, outside the horizon 2020-2035
    """
    for p in finance.projects:
        if not (start <= p.start <= end and start <= p.opens <= end):
            raise ValueError(f"project {p.name!r} starts in {p.start} and opens in {p.opens}, "
                             f"outside the horizon {start}-{end}")


__all__ = ["Finance", "Project", "Adds", "Tegang", "Training", "ByLevel", "ShareByLevel", "RatioByLevel",
           "LEVELS", "check_projects"]
