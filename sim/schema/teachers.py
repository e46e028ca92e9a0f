"""The ``teachers:`` section of a scenario, and the checks on the base teacher-stock file.

Every default here is documented, with its source, in ``docs/teachers.md`` and in the
``teachers:`` block of ``scenarios/baseline.yaml``. Validators raise ``ValueError`` so
that the scenario loader can name the file, line and key.

>>> t = Teachers()
>>> t.demand.mode, t.tegang.hires.evaluate(np.arange(2020, 2022)).tolist()
('ratio', [150.0, 150.0])
>>> Teachers.model_validate({"tegang": {"retention": 1.2}})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Teachers
...
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from ..core.levels import COMPULSORY, TEACHER_LEVELS
from ..core.series import Series
from .fields import CountSeries, DataFile, PositiveSeries, Rate, RateSeries, Strict

LEVELS = TEACHER_LEVELS
AREAS = ("urban", "rural")
SEXES = ("female", "male")
CONTRACTS = ("regular", "tegang")
MIN_AGE, MAX_AGE = 18, 70
Age = Annotated[int, Field(ge=MIN_AGE, le=MAX_AGE)]
Positive = Annotated[float, Field(gt=0)]
Periods = Annotated[float, Field(ge=0, le=40)]

C = Series.constant


# ------------------------------------------------------------------------- demand
class StaffRatios(Strict):
    """Students per staff member (教职工), 国办发〔2001〕74号 city column, made uniform in 2014 (中央编办发〔2014〕72号)."""
    primary: PositiveSeries = C(19)
    junior: PositiveSeries = C(13.5)
    senior_general: PositiveSeries = C(12.5)
    # 教职成〔2010〕12号 第七条: 师生比 1:20 (this one is already full-time teachers)
    secondary_vocational: PositiveSeries = C(20)


class AreaSizes(Strict):
    urban: PositiveSeries
    rural: PositiveSeries


def _areas(v: float) -> AreaSizes:
    return AreaSizes(urban=C(v), rural=C(v))


class PreschoolClassSizes(Strict):
    """Children per class by age group, 教育部令第39号《幼儿园工作规程》第十一条 (small/middle/large 25/30/35)."""
    small: PositiveSeries = C(25)   # age 3
    middle: PositiveSeries = C(30)  # age 4
    large: PositiveSeries = C(35)   # age 5


class ClassSizes(Strict):
    preschool: PreschoolClassSizes = PreschoolClassSizes()
    primary: AreaSizes = _areas(45)              # 教督〔2017〕6号 ≤45
    junior: AreaSizes = _areas(50)               # 教督〔2017〕6号 ≤50
    senior_general: AreaSizes = _areas(50)       # assumption: no national figure; common provincial cap
    secondary_vocational: AreaSizes = _areas(45)  # assumption: no national figure found


class TeachersPerClass(Strict):
    preschool: Positive = 2.0                  # 教师〔2013〕1号: 2 full-time teachers per class
    # assumption: class size / staff ratio, so that full classes give the ratio-mode demand
    primary: Positive = 2.37                   # 45 / 19
    junior: Positive = 3.70                    # 50 / 13.5
    senior_general: Positive = 4.0             # 50 / 12.5
    secondary_vocational: Positive = 2.25      # 45 / 20


class RuralShares(Strict):
    """Share of each level's enrolment in rural (乡镇及以下) schools. Assumptions: no Jilin figure found."""
    preschool: RateSeries = C(0.25)
    primary: RateSeries = C(0.30)
    junior: RateSeries = C(0.20)
    senior_general: RateSeries = C(0.05)
    secondary_vocational: RateSeries = C(0.05)


Elasticity = Annotated[float, Field(ge=0, le=2)]


class Elasticities(Strict):
    """Teacher demand's elasticity to enrolment by level (elasticity mode).

    England's Teacher Workforce Model (2026) uses 0.80 for primary and 0.05 for secondary.
    Assumption for Jilin: 0.80 at every level. Staffing here is set by 编制 ratios (which
    would give 1.0), but posts are kept when pupils fall and are redeployed slowly, which is
    what England's primary figure measures; England's 0.05 for secondary reflects a pupil
    bulge passing through fixed curriculum staffing, not a cohort decline like Jilin's.
    """
    preschool: Elasticity = 0.8
    primary: Elasticity = 0.8
    junior: Elasticity = 0.8
    senior_general: Elasticity = 0.8
    secondary_vocational: Elasticity = 0.8


class Demand(Strict):
    # ratio: students per staff post; class: classes × teachers per class; elasticity: the base
    # year's teachers, moved each year by elasticity × the % change in enrolment
    mode: Literal["ratio", "class", "elasticity"] = "ratio"
    elasticity: Elasticities = Elasticities()
    staff_ratio: StaffRatios = StaffRatios()
    # Full-time teachers per staff post: 1.0 = use the staffing norm as a teacher norm (the default).
    teachers_per_staff: Rate = 1.0
    class_size: ClassSizes = ClassSizes()
    teachers_per_class: TeachersPerClass = TeachersPerClass()
    rural_share: RuralShares = RuralShares()


# --------------------------------------------------------------------- curriculum
class WeeklyPeriods(Strict):
    """Periods per week per class, by grade band."""
    grades_1_2: Periods
    grades_3_6: Periods
    junior: Periods
    senior: Periods


class TeachingLoad(Strict):
    """Periods a subject teacher teaches per week, by level."""
    primary: Positive
    junior: Positive
    senior: Positive


class Curriculum(Strict):
    periods: dict[Literal["pe", "arts", "labour", "civics"], WeeklyPeriods] = {
        "pe": WeeklyPeriods(grades_1_2=4, grades_3_6=3, junior=3, senior=2),      # plan
        "arts": WeeklyPeriods(grades_1_2=4, grades_3_6=3, junior=2, senior=1),    # plan
        "labour": WeeklyPeriods(grades_1_2=1, grades_3_6=1, junior=1, senior=1),  # plan (≥1)
        "civics": WeeklyPeriods(grades_1_2=2, grades_3_6=2, junior=2, senior=2),  # 6-8 % of ~30 periods
    }
    load: dict[Literal["pe", "arts", "labour", "civics"], TeachingLoad] = {
        "pe": TeachingLoad(primary=18, junior=14, senior=14),
        "arts": TeachingLoad(primary=18, junior=16, senior=14),
        "labour": TeachingLoad(primary=18, junior=16, senior=14),
        "civics": TeachingLoad(primary=18, junior=14, senior=12),
    }

    @model_validator(mode="after")
    def _same_subjects(self):
        if set(self.periods) != set(self.load):
            raise ValueError(f"curriculum.periods names {sorted(self.periods)} but curriculum.load "
                             f"names {sorted(self.load)}; give both for every subject")
        return self


# ------------------------------------------------------------------------- supply
class Retirement(Strict):
    """Statutory retirement, 《国务院关于渐进式延迟法定退休年龄的办法》 第一条 (2024)."""
    male_age: Age = 60
    female_age: Age = 55          # female teachers are 原法定退休年龄55周岁 (professional-technical posts)
    reform: bool = True           # the gradual rise from 2025-01-01
    male_reform_from: int = Field(1965, ge=1900, le=2100)    # first birth year affected
    female_reform_from: int = Field(1970, ge=1900, le=2100)
    step_months: int = Field(4, ge=1, le=24)                  # +1 month per this many birth months
    max_delay_months: int = Field(36, ge=0, le=120)


class Tegang(Strict):
    """特岗计划: rural primary and junior teachers on fixed-term contracts."""
    hires: CountSeries = C(150)          # plan 九(三)/专栏10: about 150 a year
    primary_share: Rate = 0.667          # assumption: primary's share of compulsory enrolment (2/3)
    contract_years: int = Field(3, ge=1, le=10)
    retention: Rate = 0.85               # assumption (Hainan 94.2 % is an upper reference)
    hire_age: Age = 25                   # 教育部 2020: mean age of 特岗 teachers ≈ 25


class Establishment(Strict):
    """编制: posts by level (both areas together)."""
    preschool: CountSeries
    primary: CountSeries
    junior: CountSeries
    senior_general: CountSeries
    secondary_vocational: CountSeries


class FemaleShares(Strict):
    """Share of women among new hires, by level. Assumption: equal to the base stock's share."""
    preschool: Rate = 0.97
    primary: Rate = 0.70
    junior: Rate = 0.58
    senior_general: Rate = 0.54
    secondary_vocational: Rate = 0.52


class Hiring(Strict):
    # fill: all vacancies; budget: at most max_hires a year; establishment: up to the 编制 per level
    rule: Literal["fill", "budget", "establishment"] = "budget"
    max_hires: CountSeries = C(1000)            # assumption: above the expected yearly outflow
    establishment: Establishment | None = None
    hire_age: Age = 25                          # assumption: bachelor at 22 + years to a post
    public_funded: CountSeries = C(62)          # 公费师范生: plan 一(一), 310 in 十三五 / 5 years
    public_funded_primary_share: Rate = 0.667   # assumption, as for 特岗
    public_funded_age: Age = 22                 # graduate at 22 after a 4-year degree
    female_share: FemaleShares = FemaleShares()

    @model_validator(mode="after")
    def _needs_establishment(self):
        if self.rule == "establishment" and self.establishment is None:
            raise ValueError("hiring.rule is 'establishment' but hiring.establishment (posts by level) is not given")
        return self


class Training(Strict):
    required_hours: Positive = 360                # plan 专栏10: ≥360 h per 5 years
    period_years: int = Field(5, ge=1, le=10)
    person_trainings: CountSeries = C(19940)      # plan 一(一): 99,700 person-trainings in 十三五 / 5
    hours_per_training: PositiveSeries = C(100)   # assumption (no source for hours per training)


class TownshipSubsidy(Strict):
    """乡镇工作补贴 by cumulative township years (plan 一(一): 180/240/300/360 yuan a month)."""
    bracket_years: list[Annotated[int, Field(gt=0, le=60)]] = [10, 20, 30]   # assumption: 10-year bands
    monthly: list[Annotated[float, Field(ge=0)]] = [180, 240, 300, 360]
    career_start_age: Age = 23     # assumption: base-stock rural teachers served in townships since 23

    @model_validator(mode="after")
    def _brackets(self):
        if len(self.monthly) != len(self.bracket_years) + 1:
            raise ValueError(f"township_subsidy: {len(self.bracket_years)} bracket limits need "
                             f"{len(self.bracket_years) + 1} monthly amounts, got {len(self.monthly)}")
        if list(self.bracket_years) != sorted(set(self.bracket_years)):
            raise ValueError(f"township_subsidy.bracket_years must increase: {self.bracket_years}")
        return self


class StockTotals(Strict):
    """Stated base-year full-time teachers by level; the stock file must sum to these."""
    # the baseline's 2020 enrolment / national 2020 pupil:full-time-teacher ratio (教育部)
    preschool: Annotated[float, Field(ge=0)] = 3991              # 66,000 / 16.538
    primary: Annotated[float, Field(ge=0)] = 10229               # 170,510 (baseline 2020) / 16.669
    junior: Annotated[float, Field(ge=0)] = 6698                 # 85,255 (baseline 2020) / 12.728
    senior_general: Annotated[float, Field(ge=0)] = 4495         # 58,000 / 12.903
    secondary_vocational: Annotated[float, Field(ge=0)] = 1148   # 22,000 / 19.166


def _attrition_default() -> dict[int, float]:
    return {18: 0.02, 30: 0.01, 50: 0.005}


class Teachers(Strict):
    stock: DataFile = "teachers-stock-2020.csv"
    stock_year: int = Field(2020, ge=1950, le=2100)
    stock_totals: StockTotals = StockTotals()
    demand: Demand = Demand()
    curriculum: Curriculum = Curriculum()
    retirement: Retirement = Retirement()
    # yearly probability of leaving for reasons other than retirement, by age band (key = first age)
    attrition: dict[Age, Rate] = Field(default_factory=_attrition_default)
    tegang: Tegang = Tegang()
    hiring: Hiring = Hiring()
    training: Training = Training()
    township_subsidy: TownshipSubsidy = TownshipSubsidy()

    @model_validator(mode="after")
    def _attrition_bands(self):
        if MIN_AGE not in self.attrition:
            raise ValueError(f"attrition needs a band starting at age {MIN_AGE} "
                             f"(bands given start at {sorted(self.attrition)})")
        return self


# ------------------------------------------------------------------ stock file
STOCK_COLUMNS = ("level", "area", "sex", "age", "contract", "hired", "teachers")


class StockError(ValueError):
    """A bad row of the teacher-stock file: ``line`` counts the header as line 1."""

    def __init__(self, line: int, message: str):
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")


def check_stock(table: Any, totals: StockTotals | dict | None = None, *, tolerance: float = 0.5) -> None:
    """Check the base teacher-stock table; raise StockError naming the CSV line (header = line 1).

    Columns: level, area, sex, age (18-70), contract (regular / tegang), hired (year a 特岗
    contract began; empty for regular), teachers (≥ 0). With ``totals``, each level must sum to
    its stated total within ``tolerance`` teachers.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"level": ["primary"], "area": ["rural"], "sex": ["female"], "age": [71],
    ...                   "contract": ["regular"], "hired": [None], "teachers": [3]})
    >>> check_stock(t)
    Traceback (most recent call last):
    ...
    sim.schema.teachers.StockError: line 2: age 71 is outside 18-70
    """
    missing = [c for c in STOCK_COLUMNS if c not in table.columns]
    if missing:
        raise StockError(1, f"the teacher stock file lacks column(s) {missing}; "
                         f"expected {list(STOCK_COLUMNS)}")
    allowed = {"level": LEVELS, "area": AREAS, "sex": SEXES, "contract": CONTRACTS}

    def first_bad(mask) -> int:
        return int(np.flatnonzero(np.asarray(mask))[0])

    for col, ok in allowed.items():
        bad = ~table[col].isin(ok).to_numpy()
        if bad.any():
            i = first_bad(bad)
            raise StockError(i + 2, f"{col} {table[col].iloc[i]!r} is not one of {list(ok)}")
    age = pd_numeric(table["age"])
    bad = ~(np.isfinite(age) & (age == np.round(age)) & (age >= MIN_AGE) & (age <= MAX_AGE))
    if bad.any():
        i = first_bad(bad)
        raise StockError(i + 2, f"age {table['age'].iloc[i]} is outside {MIN_AGE}-{MAX_AGE}")
    n = pd_numeric(table["teachers"])
    bad = ~(np.isfinite(n) & (n >= 0))
    if bad.any():
        i = first_bad(bad)
        raise StockError(i + 2, f"teachers {table['teachers'].iloc[i]!r} must be a number ≥ 0")
    teg = (table["contract"] == "tegang").to_numpy()
    hired = pd_numeric(table["hired"])
    bad = teg & ~np.isfinite(hired)
    if bad.any():
        raise StockError(first_bad(bad) + 2, f"a 特岗 (tegang) row needs the year its contract began in `hired`")
    bad = teg & ~(table["level"].isin(COMPULSORY) & (table["area"] == "rural")).to_numpy()
    if bad.any():
        i = first_bad(bad)
        raise StockError(i + 2, f"特岗 teachers are rural primary or junior teachers, "
                         f"not {table['area'].iloc[i]} {table['level'].iloc[i]}")
    if totals is not None:
        tot = totals.model_dump() if hasattr(totals, "model_dump") else dict(totals)
        sums = table.groupby("level")["teachers"].sum()
        for level in LEVELS:
            got, want = float(sums.get(level, 0.0)), float(tot[level])
            if abs(got - want) > tolerance:
                raise StockError(1, f"the stock file's {level} teachers sum to {got:g}, "
                                 f"but stock_totals.{level} states {want:g}")


def pd_numeric(col) -> np.ndarray:
    """A column as float64, with anything that is not a number as NaN."""
    import pandas as pd
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
