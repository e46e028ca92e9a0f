"""The ``teachers:`` section of a scenario, and the checks on the base teacher-stock file.

The schema says what each key means and what values it accepts; it holds no model numbers.
Every value, with its source or the reason for the assumption, is written once, in the
``teachers:`` block of ``scenarios/baseline.yaml`` (``docs/teachers.md`` explains the
equations), and a scenario ``extends: baseline`` to inherit them. Validators raise
``ValueError`` so that the scenario loader can name the file, line and key.

>>> from sim.schema.load import load
>>> t = load("baseline").scenario.teachers
>>> t.demand.mode, t.tegang.hires.evaluate(np.arange(2020, 2022)).tolist()
('ratio', [150.0, 150.0])
>>> Tegang.model_validate({**t.tegang.model_dump(), "retention": 1.2})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Tegang
...
>>> sorted(StaffRatios.model_fields) == sorted(SCHOOL_LEVELS)   # derived from sim.core.levels
True
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, create_model, field_validator, model_validator

from ..core.levels import COMPULSORY, TEACHER_LEVELS
from .fields import CountSeries, DataFile, PositiveSeries, Rate, RateSeries, Strict

LEVELS = TEACHER_LEVELS
# the levels with a staff ratio: preschool demand uses class sizes instead
SCHOOL_LEVELS = tuple(lv for lv in LEVELS if lv != "preschool")
# the levels whose staff ratio counts staff posts (教职工), converted to teachers by teachers_per_staff;
# the secondary-vocational 1:20 (教职成〔2010〕12号) is already a teacher ratio
STAFF_NORM_LEVELS = tuple(lv for lv in SCHOOL_LEVELS if lv != "secondary_vocational")
AREAS = ("urban", "rural")
SEXES = ("female", "male")
CONTRACTS = ("regular", "tegang")
MIN_AGE, MAX_AGE = 18, 70
Age = Annotated[int, Field(ge=MIN_AGE, le=MAX_AGE)]
Positive = Annotated[float, Field(gt=0)]
Periods = Annotated[float, Field(ge=0, le=40)]
Elasticity = Annotated[float, Field(ge=0, le=2)]
Subject = Literal["pe", "arts", "labour", "civics"]


# ---------------------------------------------------------------------- per level
class LevelBlock(Strict):
    """A block with one required key per level (built by :func:`by_level`)."""

    def get(self, level: str) -> Any:
        return getattr(self, level)


def by_level(
    name: str,
    field_type: Any,
    levels: tuple[str, ...],
    doc: str,
    *,
    base: type[LevelBlock] = LevelBlock,
    module: str = __name__,
) -> type[LevelBlock]:
    """A model named ``name`` with one required ``field_type`` key per level of ``levels``.

    The level names come from the levels table (``sim.core.levels``), so a block cannot
    drift from it; every level is required, so a scenario that writes the block but forgets
    a level is an error. ``module`` must be the module that binds the class to ``name``
    (so that pickling, used by the parallel runners, finds it).

    >>> B = by_level("B", float, ("primary", "junior"), "Two levels.")
    >>> B(primary=1, junior=2).get("junior"), list(B.model_fields), B.__doc__
    (2.0, ['primary', 'junior'], 'Two levels.')
    """
    model = create_model(name, __base__=base, __module__=module, **{lv: (field_type, ...) for lv in levels})
    model.__doc__ = doc
    return model


# ------------------------------------------------------------------------- demand
StaffRatios = by_level(
    "StaffRatios",
    PositiveSeries,
    SCHOOL_LEVELS,
    "Students per staff member (教职工) by school level, for ratio-mode demand (no preschool key: "
    "preschool demand uses class sizes).",
)


class AreaSizes(Strict):
    """Pupils per class in urban and in rural schools."""

    urban: PositiveSeries
    rural: PositiveSeries


class PreschoolClassSizes(Strict):
    """Children per kindergarten class by age group."""

    small: PositiveSeries = Field(description="age 3")
    middle: PositiveSeries = Field(description="age 4")
    large: PositiveSeries = Field(description="age 5")


ClassSizes = create_model(
    "ClassSizes",
    __base__=LevelBlock,
    __module__=__name__,
    preschool=(PreschoolClassSizes, ...),
    **{lv: (AreaSizes, ...) for lv in SCHOOL_LEVELS},
)
ClassSizes.__doc__ = "Pupils per class: preschool by age group, school levels by area (class-mode demand)."

TeachersPerClass = by_level(
    "TeachersPerClass", Positive, LEVELS, "Full-time teachers per class by level (class-mode demand)."
)

RuralShares = by_level(
    "RuralShares", RateSeries, LEVELS, "Share of each level's enrolment in rural (乡镇及以下) schools."
)

Elasticities = by_level(
    "Elasticities",
    Elasticity,
    LEVELS,
    "Teacher demand's elasticity to enrolment by level (elasticity-mode demand): the base year's "
    "teachers move each year by elasticity × the % change in enrolment.",
)


TeachersPerStaff = by_level(
    "TeachersPerStaff",
    Rate,
    STAFF_NORM_LEVELS,
    "Full-time teachers (专任教师) per staff post (教职工) by level: converts the staffing norms, which "
    "count staff posts, into teacher posts (no preschool key: kindergarten demand is classes × teachers; no "
    "secondary-vocational key: its 1:20 is already a teacher ratio).",
)


class Demand(Strict):
    """Teacher demand by level and area (subject demand is computed from ``curriculum`` in every mode)."""

    mode: Literal["ratio", "class", "elasticity"] = Field(
        description="ratio: students per staff post; class: classes × teachers per class; elasticity: "
        "the base year's teachers, moved by elasticity × the % change in enrolment"
    )
    elasticity: Elasticities
    staff_ratio: StaffRatios
    teachers_per_staff: TeachersPerStaff = Field(
        description="full-time teachers per staff post, by level: demand = enrolment / staff ratio × this"
    )
    class_size: ClassSizes
    teachers_per_class: TeachersPerClass
    rural_share: RuralShares


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
    """Subject demand: periods a week per class, and periods a subject teacher teaches a week."""

    periods: dict[Subject, WeeklyPeriods]
    load: dict[Subject, TeachingLoad]

    @model_validator(mode="after")
    def _same_subjects(self):
        if set(self.periods) != set(self.load):
            raise ValueError(
                f"curriculum.periods names {sorted(self.periods)} but curriculum.load "
                f"names {sorted(self.load)}; give both for every subject"
            )
        return self


# ------------------------------------------------------------------------- supply
class Retirement(Strict):
    """Statutory retirement ages and the gradual rise in them (the 2024 reform)."""

    male_age: Age = Field(description="men's retirement age before the reform")
    female_age: Age = Field(description="women teachers' retirement age before the reform")
    reform: bool = Field(description="apply the gradual rise from 2025-01-01")
    male_reform_from: int = Field(ge=1900, le=2100, description="men's first birth year affected")
    female_reform_from: int = Field(ge=1900, le=2100, description="women's first birth year affected")
    step_months: int = Field(ge=1, le=24, description="+1 month of delay per this many months of birth")
    max_delay_months: int = Field(ge=0, le=120, description="the delay's ceiling")


class Tegang(Strict):
    """特岗计划: rural primary and junior teachers on fixed-term contracts."""

    hires: CountSeries = Field(description="特岗 teachers hired a year")
    primary_share: Rate = Field(description="share of the hires placed in primary (the rest in junior)")
    contract_years: int = Field(ge=1, le=10, description="length of a contract")
    retention: Rate = Field(description="share who stay on as regular teachers when the contract ends")
    hire_age: Age = Field(description="age at hiring")


Establishment = by_level("Establishment", CountSeries, LEVELS, "编制: posts by level (both areas together).")

FemaleShares = by_level("FemaleShares", Rate, LEVELS, "Share of women among new hires, by level.")


class Hiring(Strict):
    """Regular hiring, and the 公费师范生 (publicly funded teacher-training graduates) placed each year."""

    policy: Literal["to-need", "quota"] = Field(
        description="to-need: 特岗 and 公费师范生 are placed only where rural primary or junior supply is "
        "below demand × (1 + surplus_floor), the rest reported as not placed; quota: all are placed "
        "whatever the vacancies"
    )
    surplus_floor: Rate = Field(
        description="to-need: a rural cell takes 特岗 and 公费 placements until its supply reaches "
        "demand × (1 + this)"
    )
    rule: Literal["fill", "budget", "establishment"] = Field(
        description="fill: every vacancy; budget: at most max_hires a year; "
        "establishment: up to the 编制 of each level"
    )
    max_hires: CountSeries = Field(description="the most regular hires a year (rule: budget)")
    establishment: Establishment | None = None  # posts by level; only for rule: establishment
    hire_age: Age = Field(description="age of a regular hire")
    public_funded: CountSeries = Field(description="公费师范生 placed a year (rural primary and junior)")
    public_funded_primary_share: Rate = Field(description="share of them placed in primary")
    public_funded_age: Age = Field(description="their age when placed")
    female_share: FemaleShares

    @model_validator(mode="after")
    def _needs_establishment(self):
        if self.rule == "establishment" and self.establishment is None:
            raise ValueError(
                "hiring.rule is 'establishment' but hiring.establishment (posts by level) is not given"
            )
        return self


class Training(Strict):
    """In-service training: the hours a teacher needs, and the trainings supplied."""

    required_hours: Positive = Field(description="hours each teacher needs per period")
    period_years: int = Field(ge=1, le=10, description="length of that period")
    person_trainings: CountSeries = Field(description="person-trainings supplied a year")
    hours_per_training: PositiveSeries = Field(description="hours one training gives")


class TownshipSubsidy(Strict):
    """乡镇工作补贴 by cumulative years served in townships."""

    bracket_years: list[Annotated[int, Field(gt=0, le=60)]] = Field(
        description="upper limits of the year bands (increasing)"
    )
    monthly: list[Annotated[float, Field(ge=0)]] = Field(
        description="yuan a month in each band: one more than the limits"
    )
    career_start_age: Age = Field(description="age from which base-stock rural teachers count township years")

    @model_validator(mode="after")
    def _brackets(self):
        if len(self.monthly) != len(self.bracket_years) + 1:
            raise ValueError(
                f"township_subsidy: {len(self.bracket_years)} bracket limits need "
                f"{len(self.bracket_years) + 1} monthly amounts, got {len(self.monthly)}"
            )
        if list(self.bracket_years) != sorted(set(self.bracket_years)):
            raise ValueError(f"township_subsidy.bracket_years must increase: {self.bracket_years}")
        return self


class EarlyRetirement(Strict):
    """Early retirement (内部退养) in cells whose supply is above demand: each September, a share of
    the regular teachers within ``years`` years of their statutory retirement leave, at most the
    cell's surplus."""

    share: Rate = Field(description="share of the eligible teachers who leave early (0: off)")
    years: int = Field(ge=0, le=10, description="eligible: within this many years of statutory retirement")


def parse_cell(text: str) -> tuple[str | None, str | None]:
    """A side of a move: ``level``, ``area`` or ``level/area`` → (level or None, area or None).

    >>> parse_cell("primary/urban"), parse_cell("rural"), parse_cell("preschool")
    (('primary', 'urban'), (None, 'rural'), ('preschool', None))
    """
    parts = [p.strip() for p in text.split("/")]
    level = area = None
    for p in parts:
        if p in LEVELS and level is None:
            level = p
        elif p in AREAS and area is None:
            area = p
        else:
            raise ValueError(
                f"{text!r}: each side of a move is a level ({', '.join(LEVELS)}), an area (urban, "
                f"rural) or level/area, e.g. primary/urban"
            )
    return level, area


def parse_move(text: str) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    """``"from -> to"`` → ((level, area), (level, area)); a part the "to" side leaves out is the
    "from" side's own.

    >>> parse_move("primary -> preschool")
    (('primary', None), ('preschool', None))
    """
    if text.count("->") != 1:
        raise ValueError(
            f"{text!r}: write a move as 'from -> to', e.g. 'primary -> preschool' or 'urban -> rural'"
        )
    a, b = (x.strip() for x in text.split("->"))
    src, dst = parse_cell(a), parse_cell(b)
    if (dst[0] is None or dst[0] == src[0]) and (dst[1] is None or dst[1] == src[1]):
        raise ValueError(f"{text!r} moves teachers to where they already are")
    return src, dst


class Redeployment(Strict):
    """Redeployment (城乡交流轮岗, 转岗): surplus regular teachers moved to cells short of teachers."""

    cap: CountSeries = Field(description="the most teachers moved in a year (0: no redeployment)")
    lag: int = Field(
        ge=0,
        le=5,
        description="years from the decision to the move (0: decided and moved the same September)",
    )
    moves: list[str] = Field(
        description="allowed moves, in order of priority: 'from -> to', each side a level, an area or "
        "level/area ('primary -> preschool', 'urban -> rural', 'primary/urban -> preschool/rural')"
    )
    cost_per_teacher: CountSeries = Field(description="yuan per teacher moved, in the year of the move")
    early_retirement: EarlyRetirement

    @field_validator("moves")
    @classmethod
    def _moves(cls, moves: list[str]) -> list[str]:
        for m in moves:
            parse_move(m)
        return moves


class Band(Strict):
    """Pupils per full-time teacher: the band a level's ratio should stay in."""

    low: Positive = Field(description="fewest pupils per teacher (below: more teachers than the band allows)")
    high: Positive = Field(description="most pupils per teacher (above: fewer teachers than the norm)")

    @model_validator(mode="after")
    def _order(self):
        if self.low > self.high:
            raise ValueError(f"staffing band: low {self.low:g} is above high {self.high:g}")
        return self


StaffingBand = by_level(
    "StaffingBand",
    Band,
    LEVELS,
    "Pupil:teacher band by level; a level's ratio outside it is published as Check|Staffing band|<Level>.",
)


StockTotals = by_level(
    "StockTotals",
    Annotated[float, Field(ge=0)],
    LEVELS,
    "Stated base-year full-time teachers by level; the stock file must sum to these.",
)


class Teachers(Strict):
    """The ``teachers:`` section. See docs/teachers.md for the equations."""

    stock: DataFile = Field(
        description="CSV in data/: the base-year full-time teachers by level, area, sex, age and contract"
    )
    stock_year: int = Field(ge=1950, le=2100, description="the year of the stock file")
    stock_totals: StockTotals
    demand: Demand
    curriculum: Curriculum
    retirement: Retirement
    attrition: dict[Age, Rate] = Field(
        description="yearly probability of leaving for reasons other "
        "than retirement, by age band (key = first age)"
    )
    tegang: Tegang
    hiring: Hiring
    redeployment: Redeployment
    staffing_band: StaffingBand
    training: Training
    township_subsidy: TownshipSubsidy

    @model_validator(mode="after")
    def _attrition_bands(self):
        if MIN_AGE not in self.attrition:
            raise ValueError(
                f"attrition needs a band starting at age {MIN_AGE} "
                f"(bands given start at {sorted(self.attrition)})"
            )
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
        raise StockError(
            1, f"the teacher stock file lacks column(s) {missing}; expected {list(STOCK_COLUMNS)}"
        )
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
        raise StockError(
            first_bad(bad) + 2, "a 特岗 (tegang) row needs the year its contract began in `hired`"
        )
    bad = teg & ~(table["level"].isin(COMPULSORY) & (table["area"] == "rural")).to_numpy()
    if bad.any():
        i = first_bad(bad)
        raise StockError(
            i + 2,
            f"特岗 teachers are rural primary or junior teachers, "
            f"not {table['area'].iloc[i]} {table['level'].iloc[i]}",
        )
    if totals is not None:
        tot = totals.model_dump() if hasattr(totals, "model_dump") else dict(totals)
        levels = table["level"].to_numpy().tolist()
        for level in LEVELS:
            got = float(n[np.array([v == level for v in levels], dtype=bool)].sum()) if len(n) else 0.0
            want = float(tot[level])
            if abs(got - want) > tolerance:
                raise StockError(
                    1,
                    f"the stock file's {level} teachers sum to {got:g}, "
                    f"but stock_totals.{level} states {want:g}",
                )


def pd_numeric(col) -> np.ndarray:
    """A column (a pandas Series or a ``sim.run.tables.Column``) as float64, with anything that is
    not a number as NaN (what ``pandas.to_numeric(errors="coerce")`` gives, without pandas)."""
    values = np.asarray(col.to_numpy())
    if values.dtype.kind in "iufb":
        return values.astype(float)
    out = np.empty(len(values))
    for i, v in enumerate(values.tolist()):
        try:
            out[i] = float(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else np.nan
        except ValueError:
            out[i] = np.nan
    return out
