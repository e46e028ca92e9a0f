"""Teachers: demand from standards and curriculum hours, and the aggregate stock-flow of supply.

Time is the school year: year t starts on 1 September t. Inside the supply model a time
τ (in years) is counted from 1 September of year 0, so school year t is the interval
[t, t+1). The stock of year t is the head count on 1 September t, just after that
September's hiring round; the flows of year t (retirements, attrition, contract ends)
are the events in [t, t+1).

Demand, by level (``LEVELS``) and area (urban, rural), in one of two modes:

* ``ratio``: enrolment / students-per-staff standard × teachers per staff post
  (preschool: classes of the standard size × 2 teachers, not rounded);
* ``class``: Σ over grades of ceil(grade enrolment in the area / class size) × teachers per class.

Subject-teacher demand (PE, arts, labour, civics) is classes × weekly periods / weekly
load, with classes counted as in ``class`` mode whatever the demand mode. It is a part
of the level totals (those teachers are inside the staffing norm), reported apart.

Supply (aggregate engine, the expectation of the discrete-event model in ``careers.py``):
regular teachers ``R[d, level, area, sex, age]`` and 特岗 teachers in contract
``G[d, contract year, level (primary/junior), sex, age]``, all 特岗 rural. Each year:
retirement on the statutory date (birth months spread evenly inside each age), attrition
as a constant hazard within each year of age, 特岗 contract end (a share retained as
regular teachers), then next September's hires: 特岗 and 公费师范生 first, then regular
hires up to demand, capped by the hiring rule.

>>> cfg = Teachers()
>>> ctx = example_context(draws=1)
>>> out = teacher_stage(cfg, ctx)
>>> out["Teachers|Supply|Primary"].shape
(1, 16)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .stage import StageContext
from .teachers_schema import AREAS, LEVELS, MAX_AGE, MIN_AGE, SEXES, Teachers, check_stock

__all__ = [
    "Teachers",
    "LEVELS", "AREAS", "LEVEL_LABEL", "AREA_LABEL", "SUBJECTS",
    "classes_needed", "ratio_demand", "class_demand", "preschool_demand", "subject_demand",
    "teacher_demand", "retirement_instants", "retirement_delay_months", "year_shares",
    "attrition_hazard", "SupplyInputs", "supply_inputs", "regular_hires", "aggregate_supply",
    "supply_results", "teacher_stage", "example_context",
]

LEVEL_LABEL = {"preschool": "Preschool", "primary": "Primary", "junior": "Junior",
               "senior_general": "Senior general", "secondary_vocational": "Secondary vocational"}
AREA_LABEL = {"urban": "Urban", "rural": "Rural"}
SUBJECTS = {"pe": "PE", "arts": "Arts", "labour": "Labour", "civics": "Civics"}
ENROLMENT = {lv: f"Enrolment|{LEVEL_LABEL[lv]}" for lv in LEVELS}
# grades of ctx.arrays["students.grade_enrolment"] (cohort.py order)
GRADE_SLICE = {"primary": slice(0, 6), "junior": slice(6, 9), "senior_general": slice(9, 12),
               "secondary_vocational": slice(12, 15)}
N_GRADES = {"preschool": 3, "primary": 6, "junior": 3, "senior_general": 3, "secondary_vocational": 3}
AGES = np.arange(MIN_AGE, MAX_AGE + 1)
A = len(AGES)
L, AR, S = len(LEVELS), len(AREAS), len(SEXES)
TEGANG_LEVELS = (1, 2)          # primary, junior: the levels 特岗 teachers are hired for
RURAL = 1
# A retained 特岗 contract ends half a month before the school year that would be its
# fourth, so that contract ends never coincide with September's hiring round.
CONTRACT_END_OFFSET = 1.0 / 24.0


# =================================================================== demand
def classes_needed(pupils: np.ndarray, class_size: np.ndarray) -> np.ndarray:
    """Classes needed: pupils / class size rounded up (a small tolerance absorbs float noise).

    >>> classes_needed(np.array([0.0, 45.0, 46.0, 90.0000001]), np.array(45.0)).tolist()
    [0.0, 1.0, 2.0, 2.0]
    """
    return np.ceil(pupils / class_size - 1e-6).clip(min=0.0)


def ratio_demand(enrolment: np.ndarray, students_per_staff: np.ndarray, teachers_per_staff: float = 1.0) -> np.ndarray:
    """Teachers from a staffing ratio: enrolment / students per staff × full-time teachers per post.

    >>> ratio_demand(np.array([[1900.0]]), np.array([[19.0]])).tolist()
    [[100.0]]
    """
    return enrolment / students_per_staff * teachers_per_staff


def class_demand(grade_pupils: np.ndarray, class_size: np.ndarray, per_class: float) -> np.ndarray:
    """Σ over grades (last axis) of ceil(pupils / class size) × teachers per class.

    >>> class_demand(np.array([[[46.0, 45.0]]]), np.array([[45.0]]), 2.0).tolist()
    [[6.0]]
    """
    return classes_needed(grade_pupils, class_size[..., None]).sum(axis=-1) * per_class


def preschool_demand(children: np.ndarray, class_sizes: np.ndarray, per_class: float, rounded: bool) -> np.ndarray:
    """Kindergarten teachers: classes by age (small/middle/large) × teachers per class (教师〔2013〕1号: 2).

    children (..., 3) by age 3, 4, 5; class_sizes broadcastable to it. ``rounded`` rounds
    classes up (class mode); otherwise classes are fractional (ratio mode).

    >>> preschool_demand(np.array([26.0, 30.0, 35.0]), np.array([25.0, 30.0, 35.0]), 2, True).tolist()
    8.0
    """
    classes = classes_needed(children, class_sizes) if rounded else children / class_sizes
    return classes.sum(axis=-1) * per_class


def subject_demand(classes_by_band: dict[str, np.ndarray], periods: Any, load: Any) -> np.ndarray:
    """Subject teachers: Σ over bands of classes × periods a week / periods one teacher teaches.

    ``classes_by_band`` maps grades_1_2, grades_3_6, junior, senior to class counts.

    >>> from sim.teachers_schema import WeeklyPeriods, TeachingLoad
    >>> p = WeeklyPeriods(grades_1_2=4, grades_3_6=3, junior=3, senior=2)
    >>> l = TeachingLoad(primary=18, junior=14, senior=14)
    >>> float(subject_demand({"grades_1_2": np.array(9.0), "grades_3_6": np.array(6.0),
    ...                       "junior": np.array(14.0), "senior": np.array(7.0)}, p, l))
    7.0
    """
    return (classes_by_band["grades_1_2"] * periods.grades_1_2 / load.primary
            + classes_by_band["grades_3_6"] * periods.grades_3_6 / load.primary
            + classes_by_band["junior"] * periods.junior / load.junior
            + classes_by_band["senior"] * periods.senior / load.senior)


def _grade_bands(ctx: StageContext) -> dict[str, np.ndarray]:
    """Enrolment by grade (D, T, G) for each level; level totals spread evenly if no grade array."""
    out = {}
    ge = ctx.arrays.get("students.grade_enrolment")
    pre = ctx.arrays.get("students.preschool")
    for lv in LEVELS:
        if lv == "preschool" and pre is not None:
            out[lv] = np.asarray(pre, dtype=float)
        elif lv != "preschool" and ge is not None:
            out[lv] = np.asarray(ge, dtype=float)[:, :, GRADE_SLICE[lv]]
        else:  # no grade detail: equal grades (stated in docs/teachers.md)
            tot = np.asarray(ctx.results[ENROLMENT[lv]], dtype=float)
            out[lv] = np.repeat(tot[:, :, None] / N_GRADES[lv], N_GRADES[lv], axis=2)
    return out


def teacher_demand(cfg: Teachers, ctx: StageContext) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Demand (D, T, level, area), subject demand {subject: (D, T)} and enrolment (D, T, level, area).

    >>> dem, subj, enr = teacher_demand(Teachers(), example_context())
    >>> dem.shape, sorted(subj)
    ((1, 16, 5, 2), ['arts', 'civics', 'labour', 'pe'])
    """
    d = cfg.demand
    ser = lambda s: s.evaluate(ctx.years)[None, :]  # noqa: E731  (1, T)
    bands = _grade_bands(ctx)
    D = max(np.asarray(ctx.results[ENROLMENT[lv]]).shape[0] for lv in LEVELS)
    T = len(ctx.years)
    demand = np.zeros((D, T, L, AR))
    enrol = np.zeros((D, T, L, AR))
    classes = {}  # (level, area) → (D, T, G) classes per grade
    for k, lv in enumerate(LEVELS):
        rural = ser(getattr(d.rural_share, lv))
        total = np.asarray(ctx.results[ENROLMENT[lv]], dtype=float)
        grades = bands[lv]
        for a, area in enumerate(AREAS):
            share = rural if area == "rural" else 1.0 - rural
            enrol[:, :, k, a] = total * share
            g = grades * share[..., None]
            if lv == "preschool":
                cs = d.class_size.preschool
                size = np.stack([ser(cs.small), ser(cs.middle), ser(cs.large)], axis=-1)
                classes[lv, area] = classes_needed(g, size)
                demand[:, :, k, a] = preschool_demand(g, size, d.teachers_per_class.preschool,
                                                      rounded=d.mode == "class")
                continue
            size = ser(getattr(getattr(d.class_size, lv), area))
            classes[lv, area] = classes_needed(g, size[..., None])
            if d.mode == "class":
                demand[:, :, k, a] = classes[lv, area].sum(axis=-1) * getattr(d.teachers_per_class, lv)
            else:
                ratio = ser(getattr(d.staff_ratio, lv))
                # 中职 1:20 is already a teacher ratio; the staff norms are scaled by teachers_per_staff
                tps = 1.0 if lv == "secondary_vocational" else d.teachers_per_staff
                demand[:, :, k, a] = ratio_demand(total * share, ratio, tps)
    zero = np.zeros((D, T))
    band = {
        "grades_1_2": sum(classes["primary", a][:, :, 0:2].sum(axis=-1) for a in AREAS) + zero,
        "grades_3_6": sum(classes["primary", a][:, :, 2:6].sum(axis=-1) for a in AREAS) + zero,
        "junior": sum(classes["junior", a].sum(axis=-1) for a in AREAS) + zero,
        "senior": sum(classes["senior_general", a].sum(axis=-1) for a in AREAS) + zero,
    }
    subjects = {s: subject_demand(band, cfg.curriculum.periods[s], cfg.curriculum.load[s])
                for s in cfg.curriculum.periods}
    return demand, subjects, enrol


# =================================================================== retirement and attrition
def retirement_delay_months(birth_month: np.ndarray, from_year: int, step: int, cap: int) -> np.ndarray:
    """Months of delay under the 2024 rule: min(cap, k // step + 1) for k = months since January of ``from_year``.

    ``birth_month`` counts months since January of year 0 (12 × year + month − 1).

    >>> retirement_delay_months(np.array([12 * 1964 + 11, 12 * 1965, 12 * 1965 + 3, 12 * 1965 + 4, 12 * 1980]),
    ...                         1965, 4, 36).tolist()
    [0, 1, 1, 2, 36]
    """
    k = birth_month - 12 * from_year
    return np.where(k >= 0, np.minimum(cap, k // step + 1), 0)


def retirement_instants(cohorts: np.ndarray, female: bool, r) -> np.ndarray:
    """Retirement times τ (years from 1 Sep of year 0) for school-year birth cohorts, (len, 12).

    A school-year cohort c is born September c−1 … August c (age t − c on 1 September t);
    column j is the birth month September c−1 + j. A teacher works through the month of
    the statutory age (plus the reform's delay) and leaves in the middle of it.

    >>> from sim.teachers_schema import Retirement
    >>> x = retirement_instants(np.array([1965]), False, Retirement(reform=False))
    >>> bool(((x >= 2024) & (x < 2025)).all())   # all men of cohort 1965 leave in school year 2024 (age 59 on 1 Sep)
    True
    """
    cohorts = np.asarray(cohorts)
    birth = 12 * (cohorts[:, None] - 1) + 8 + np.arange(12)[None, :]
    age = r.female_age if female else r.male_age
    months = birth + 12 * age
    if r.reform:
        start = r.female_reform_from if female else r.male_reform_from
        months = months + retirement_delay_months(birth, start, r.step_months, r.max_delay_months)
    return (months + 0.5 - 8) / 12.0


def attrition_hazard(bands: dict[int, float], ages: np.ndarray = AGES) -> np.ndarray:
    """Constant yearly hazard λ by age from yearly leaving probabilities by band: λ = −ln(1 − q).

    >>> attrition_hazard({18: 0.0, 30: 0.5}, np.array([20, 30])).round(4).tolist()
    [0.0, 0.6931]
    """
    starts = np.array(sorted(bands))
    q = np.array([bands[s] for s in starts], dtype=float)
    idx = np.searchsorted(starts, ages, side="right") - 1
    qa = q[np.clip(idx, 0, None)]
    return -np.log1p(-np.minimum(qa, 1 - 1e-12))


def year_shares(years: np.ndarray, r, lam: np.ndarray, base_year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of a (year, sex, age) group that retire, leave otherwise, and stay, during the year: (T, 2, A) each.

    The group's members are spread evenly over the birth months of its cohort that have
    not yet retired; a month retiring at fraction f of the year retires unless attrition
    (hazard λ) came first (probability e^{−λf}); other months stay with probability e^{−λ}.
    A base-year group past retirement on every month leaves at f = 1/24 (half a month in).

    >>> from sim.teachers_schema import Retirement
    >>> rs, as_, ss = year_shares(np.array([2020]), Retirement(reform=False), np.zeros(53), 2020)
    >>> float(rs[0, 1, 59 - 18]), float(ss[0, 1, 58 - 18]), float(rs[0, 0, 54 - 18])
    (1.0, 1.0, 1.0)
    """
    T = len(years)
    rs, as_, ss = (np.zeros((T, S, A)) for _ in range(3))
    lam = np.broadcast_to(lam, (A,))
    for s, sex in enumerate(SEXES):
        cohorts = (years[:, None] - AGES[None, :]).ravel()
        inst = retirement_instants(cohorts, sex == "female", r).reshape(T, A, 12)
        t = years[:, None, None].astype(float)
        alive = inst > t
        none_alive = ~alive.any(axis=2, keepdims=True) & (years[:, None, None] == base_year)
        inst = np.where(none_alive, t + 1.0 / 24.0, inst)
        alive = alive | none_alive
        M = alive.sum(axis=2)
        retiring = alive & (inst <= t + 1.0)
        f = inst - t
        e_f = np.exp(-lam[None, :, None] * f)
        e_1 = np.exp(-lam)[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            r_ = np.where(retiring, e_f, 0.0).sum(axis=2) / M
            stay_m = (alive & ~retiring).sum(axis=2)
            a_ = (np.where(retiring, 1 - e_f, 0.0).sum(axis=2) + stay_m * (1 - e_1)) / M
            s_ = stay_m * e_1 / M
        empty = M == 0
        rs[:, s] = np.where(empty, 0.0, r_)
        as_[:, s] = np.where(empty, 0.0, a_)
        ss[:, s] = np.where(empty, 0.0, s_)
    return rs, as_, ss


# =================================================================== supply inputs
@dataclass
class SupplyInputs:
    """Everything both supply engines need, as arrays (T = years, levels in ``LEVELS`` order)."""
    years: np.ndarray            # (T,)
    demand: np.ndarray           # (D, T, L, 2)
    regular0: np.ndarray         # (L, 2, 2, A): base regular stock, level × area × sex × age
    tegang0: np.ndarray          # (K, 2, 2, A): base 特岗 stock, contract year × (primary, junior) × sex × age
    lam: np.ndarray              # (A,) attrition hazard by age
    tegang_hires: np.ndarray     # (D|1, T)
    tegang_primary_share: float
    contract_years: int
    retention: np.ndarray        # (D|1,)
    tegang_age: int
    public_funded: np.ndarray    # (T,)
    public_funded_primary_share: float
    public_funded_age: int
    hire_age: int
    female_share: np.ndarray     # (L,)
    rule: str
    max_hires: np.ndarray        # (T,)
    establishment: np.ndarray | None  # (T, L)
    subsidy_by_tenure: np.ndarray     # (80,) yuan a month for 0..79 township years
    career_start_age: int
    retirement: Any              # the Retirement settings
    training_trainings: np.ndarray    # (T,) person-trainings offered
    training_hours: np.ndarray        # (T,) hours per training
    required_hours: float
    period_years: int
    stock_table: Any = None      # the stock DataFrame (the DES expands it)


def stock_arrays(table, base_year: int, contract_years: int, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Stock table → regular (L, 2, 2, A) and 特岗 (K, 2, 2, A) arrays (the table is checked first).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"level": ["junior", "primary"], "area": ["urban", "rural"], "sex": ["male", "female"],
    ...                   "age": [40, 26], "contract": ["regular", "tegang"], "hired": [None, 2019], "teachers": [5, 2]})
    >>> r, g = stock_arrays(t, 2020, 3)
    >>> float(r[2, 0, 1, 40 - 18]), float(g[1, 0, 0, 26 - 18])
    (5.0, 2.0)
    """
    if check:
        check_stock(table)
    lv = table["level"].map({v: i for i, v in enumerate(LEVELS)}).to_numpy()
    ar = table["area"].map({v: i for i, v in enumerate(AREAS)}).to_numpy()
    sx = table["sex"].map({v: i for i, v in enumerate(SEXES)}).to_numpy()
    ag = table["age"].to_numpy().astype(int) - MIN_AGE
    n = table["teachers"].to_numpy().astype(float)
    teg = (table["contract"] == "tegang").to_numpy()
    reg = np.zeros((L, AR, S, A))
    np.add.at(reg, (lv[~teg], ar[~teg], sx[~teg], ag[~teg]), n[~teg])
    teg0 = np.zeros((contract_years, 2, S, A))
    if teg.any():
        hired = table["hired"].to_numpy()[teg].astype(float).astype(int)
        k = base_year - hired
        if (k < 0).any() or (k >= contract_years).any():
            bad = int(np.flatnonzero(teg)[np.flatnonzero((k < 0) | (k >= contract_years))[0]]) + 2
            raise ValueError(f"line {bad}: a 特岗 contract begun in {hired[(k < 0) | (k >= contract_years)][0]} "
                             f"is not running in {base_year} ({contract_years}-year contracts)")
        j = (lv[teg] == TEGANG_LEVELS[1]).astype(int)
        np.add.at(teg0, (k, j, sx[teg], ag[teg]), n[teg])
    return reg, teg0


def supply_inputs(cfg: Teachers, ctx: StageContext, demand: np.ndarray) -> SupplyInputs:
    """Evaluate the scenario's supply settings on the years and read the base stock from ``ctx.tables``."""
    years = np.asarray(ctx.years)
    if int(years[0]) != cfg.stock_year:
        raise ValueError(f"teachers.stock_year is {cfg.stock_year} but the run starts in {int(years[0])}")
    table = ctx.tables[cfg.stock]
    check_stock(table, cfg.stock_totals)
    reg, teg = stock_arrays(table, cfg.stock_year, cfg.tegang.contract_years, check=False)
    h = cfg.hiring
    ev = lambda s: np.asarray(s.evaluate(years), dtype=float)  # noqa: E731
    est = None
    if h.establishment is not None:
        est = np.stack([ev(getattr(h.establishment, lv)) for lv in LEVELS], axis=1)
    ts = cfg.township_subsidy
    tenure = np.arange(80)
    bracket = np.searchsorted(np.array(ts.bracket_years), tenure, side="right")
    return SupplyInputs(
        years=years, demand=demand, regular0=reg, tegang0=teg, lam=attrition_hazard(cfg.attrition),
        tegang_hires=ctx.evaluate("teachers.tegang.hires", cfg.tegang.hires, lo=0.0),
        tegang_primary_share=cfg.tegang.primary_share, contract_years=cfg.tegang.contract_years,
        retention=ctx.evaluate("teachers.tegang.retention", cfg.tegang.retention, 0.0, 1.0)[:, 0],
        tegang_age=cfg.tegang.hire_age,
        public_funded=ev(h.public_funded), public_funded_primary_share=h.public_funded_primary_share,
        public_funded_age=h.public_funded_age, hire_age=h.hire_age,
        female_share=np.array([getattr(h.female_share, lv) for lv in LEVELS]),
        rule=h.rule, max_hires=ev(h.max_hires), establishment=est,
        subsidy_by_tenure=np.array(ts.monthly, dtype=float)[bracket], career_start_age=ts.career_start_age,
        retirement=cfg.retirement, training_trainings=ev(cfg.training.person_trainings),
        training_hours=ev(cfg.training.hours_per_training), required_hours=cfg.training.required_hours,
        period_years=cfg.training.period_years, stock_table=table,
    )


# =================================================================== hiring rule
def regular_hires(demand: np.ndarray, supply: np.ndarray, rule: str, cap: np.ndarray | float | None = None,
                  establishment: np.ndarray | None = None) -> np.ndarray:
    """Regular hires (D, L, 2): vacancies max(0, demand − supply), capped by the rule.

    ``budget``: at most ``cap`` (D,) hires in all, shared in proportion to vacancies;
    ``establishment``: per level at most the posts ``establishment`` (L,) minus supply;
    ``fill``: every vacancy.

    >>> d = np.array([[[10.0, 0.0], [30.0, 0.0]]]); s = np.zeros_like(d)
    >>> regular_hires(d, s, "budget", np.array([20.0])).tolist()
    [[[5.0, 0.0], [15.0, 0.0]]]
    >>> regular_hires(d, s, "establishment", establishment=np.array([4.0, 100.0])).tolist()
    [[[4.0, 0.0], [30.0, 0.0]]]
    """
    vac = np.maximum(demand - supply, 0.0)
    if rule == "budget":
        total = vac.sum(axis=(1, 2))
        cap = np.broadcast_to(np.asarray(cap, dtype=float), total.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(total > cap, cap / total, 1.0)
        vac = vac * scale[:, None, None]
    elif rule == "establishment":
        room = np.maximum(np.asarray(establishment)[None, :] - supply.sum(axis=2), 0.0)
        want = vac.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(want > room, room / want, 1.0)
        vac = vac * scale[:, :, None]
    return vac


# =================================================================== aggregate engine
def aggregate_supply(inp: SupplyInputs) -> dict[str, np.ndarray]:
    """The aggregate stock-flow: expected supply and flows, arrays (D, T, ...) by level.

    Returns supply (D, T, L, 2), retirements/attrition/regular_hires (D, T, L),
    tegang_hires/tegang_in_contract/tegang_retained/tegang_left/public_funded (D, T) and
    subsidy (D, T) in yuan a month.
    """
    years = inp.years
    T = len(years)
    D = inp.demand.shape[0]
    K = inp.contract_years
    t0 = int(years[0])
    rs, as_, ss = year_shares(years, inp.retirement, inp.lam, t0)
    e1 = np.exp(-inp.lam)                                  # (A,) a full year without leaving
    e_end = np.exp(-inp.lam * (1 - CONTRACT_END_OFFSET))    # to the contract end
    e_rest = np.exp(-inp.lam * CONTRACT_END_OFFSET)         # contract end to 1 September
    tenure = np.clip(AGES - inp.career_start_age, 0, len(inp.subsidy_by_tenure) - 1)
    subsidy_age = inp.subsidy_by_tenure[tenure]             # (A,) aggregate: tenure from age
    fem = inp.female_share
    sex_split = np.stack([fem, 1 - fem], axis=1)            # (L, 2)

    R = np.broadcast_to(inp.regular0, (D, L, AR, S, A)).copy()
    G = np.broadcast_to(inp.tegang0, (D, K, 2, S, A)).copy()
    out = {k: np.zeros((D, T, L)) for k in ("retirements", "attrition", "regular_hires")}
    out["supply"] = np.zeros((D, T, L, AR))
    for k in ("tegang_hires", "tegang_in_contract", "tegang_retained", "tegang_left", "public_funded", "subsidy"):
        out[k] = np.zeros((D, T))
    out["tegang_hires"][:, 0] = G[:, 0].sum(axis=(1, 2, 3))
    tl = list(TEGANG_LEVELS)
    for i in range(T):
        # ---- the stock of year i
        sup = R.sum(axis=(3, 4))
        sup[:, tl, RURAL] += G.sum(axis=(1, 3, 4))
        out["supply"][:, i] = sup
        out["tegang_in_contract"][:, i] = G.sum(axis=(1, 2, 3, 4))
        out["subsidy"][:, i] = (R[:, :, RURAL] * subsidy_age).sum(axis=(1, 2, 3)) + (G * subsidy_age).sum(axis=(1, 2, 3, 4))
        # ---- the year's flows
        ret = R * rs[i][None, None, None]
        att = R * as_[i][None, None, None]
        Rs = R * ss[i][None, None, None]
        Gs = G[:, :K - 1] * e1
        end = G[:, K - 1] * e_end                           # reach the end of the contract
        kept = end * inp.retention[:, None, None, None]
        out["tegang_retained"][:, i] = kept.sum(axis=(1, 2, 3))
        out["tegang_left"][:, i] = (end - kept).sum(axis=(1, 2, 3))
        kept_sep = kept * e_rest
        tatt = (G[:, :K - 1] - Gs).sum(axis=(1, 3, 4)) + (G[:, K - 1] - end).sum(axis=(2, 3)) + (kept - kept_sep).sum(axis=(2, 3))
        out["retirements"][:, i] = ret.sum(axis=(2, 3, 4))
        att_l = att.sum(axis=(2, 3, 4))
        att_l[:, tl] += tatt
        out["attrition"][:, i] = att_l
        if i == T - 1:
            break
        # ---- age everyone by a year; retained 特岗 become regular rural teachers
        Rs[:, tl, RURAL] += kept_sep
        Rn = np.zeros_like(R)
        Rn[..., 1:] = Rs[..., :-1]
        out["retirements"][:, i] += Rs[..., -1].sum(axis=(2, 3))  # nobody teaches past 70
        Gn = np.zeros_like(G)
        Gn[:, 1:, ..., 1:] = Gs[..., :-1]
        # ---- September of year i+1: 特岗 and 公费师范生 first, then regular hires to demand
        nt = inp.tegang_hires[:, i + 1]
        ps = inp.tegang_primary_share
        ta = inp.tegang_age - MIN_AGE
        for j, share in ((0, ps), (1, 1 - ps)):
            Gn[:, 0, j, :, ta] += nt[:, None] * share * sex_split[TEGANG_LEVELS[j]]
        out["tegang_hires"][:, i + 1] = nt
        npf = inp.public_funded[i + 1]
        pa = inp.public_funded_age - MIN_AGE
        pf = np.zeros((L,))
        pf[TEGANG_LEVELS[0]] = npf * inp.public_funded_primary_share
        pf[TEGANG_LEVELS[1]] = npf * (1 - inp.public_funded_primary_share)
        Rn[:, :, RURAL, :, pa] += pf[:, None] * sex_split
        out["public_funded"][:, i + 1] = npf
        sup = Rn.sum(axis=(3, 4))
        sup[:, tl, RURAL] += Gn.sum(axis=(1, 3, 4))
        est = None if inp.establishment is None else inp.establishment[i + 1]
        hires = regular_hires(inp.demand[:, i + 1], sup, inp.rule, inp.max_hires[i + 1], est)
        Rn[..., inp.hire_age - MIN_AGE] += hires[..., None] * sex_split[None, :, None, :]
        out["regular_hires"][:, i + 1] = hires.sum(axis=2) + pf[None, :]
        R, G = Rn, Gn
    return out


# =================================================================== results
def supply_results(demand: np.ndarray, subjects: dict[str, np.ndarray], enrol: np.ndarray,
                   sup: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Name the arrays in the IAMC style; every value (D, T)."""
    res: dict[str, np.ndarray] = {}
    supply = sup["supply"]
    for k, lv in enumerate(LEVELS):
        name = LEVEL_LABEL[lv]
        for a, area in enumerate(AREAS):
            res[f"Teachers|Demand|{name}|{AREA_LABEL[area]}"] = demand[:, :, k, a]
            res[f"Teachers|Supply|{name}|{AREA_LABEL[area]}"] = supply[:, :, k, a]
            res[f"Teachers|Gap|{name}|{AREA_LABEL[area]}"] = supply[:, :, k, a] - demand[:, :, k, a]
        dk, sk = demand[:, :, k].sum(axis=2), supply[:, :, k].sum(axis=2)
        res[f"Teachers|Demand|{name}"] = dk
        res[f"Teachers|Supply|{name}"] = sk
        res[f"Teachers|Gap|{name}"] = sk - dk
        res[f"Teachers|Retirements|{name}"] = sup["retirements"][:, :, k]
        res[f"Teachers|Attrition|{name}"] = sup["attrition"][:, :, k]
        res[f"Teachers|Hires|Regular|{name}"] = sup["regular_hires"][:, :, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            res[f"Teachers|Student-teacher ratio|{name}"] = enrol[:, :, k].sum(axis=2) / sk
    res["Teachers|Demand"] = demand.sum(axis=(2, 3))
    res["Teachers|Supply"] = supply.sum(axis=(2, 3))
    res["Teachers|Gap"] = res["Teachers|Supply"] - res["Teachers|Demand"]
    res["Teachers|Hires|Public funded"] = sup["public_funded"]
    res["Teachers|Tegang|Hires"] = sup["tegang_hires"]
    res["Teachers|Tegang|In contract"] = sup["tegang_in_contract"]
    res["Teachers|Tegang|Retained"] = sup["tegang_retained"]
    res["Teachers|Tegang|Left"] = sup["tegang_left"]
    for s, arr in subjects.items():
        res[f"Teachers|Subject demand|{SUBJECTS[s]}"] = arr
    res["Teachers|Township subsidy|Monthly"] = sup["subsidy"]
    if "training_share" in sup:
        res["Teachers|Training|Share meeting 360h"] = sup["training_share"]
    return res


def elasticity_demand(enrolment: np.ndarray, base: np.ndarray, elasticity: float) -> np.ndarray:
    """Teachers needed when demand moves by ``elasticity`` × the % change in enrolment each year.

    enrolment: (D, T); base: (D,) or scalar teachers in the first year → (D, T).

    >>> elasticity_demand(np.array([[100.0, 90.0, 99.0]]), 10.0, 0.8).round(4).tolist()
    [[10.0, 9.2, 9.936]]
    """
    enrolment = np.asarray(enrolment, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(enrolment[:, :-1] > 0, enrolment[:, 1:] / enrolment[:, :-1] - 1.0, 0.0)
    factor = np.concatenate([np.ones((enrolment.shape[0], 1)), np.cumprod(1.0 + elasticity * change, axis=1)], axis=1)
    return np.asarray(base, dtype=float).reshape(-1, 1) * factor


def teacher_stage(cfg: Teachers, ctx: StageContext) -> dict[str, np.ndarray]:
    """Demand and supply of teachers; supply from the engine in ``ctx.options["engine"]`` (aggregate | des).

    >>> out = teacher_stage(Teachers(), example_context(draws=2))
    >>> out["Teachers|Gap|Junior|Rural"].shape
    (2, 16)
    """
    demand, subjects, enrol = teacher_demand(cfg, ctx)
    if cfg.demand.mode == "elasticity":
        # from the base year's teachers in post, level by level and area by area
        reg, teg = stock_arrays(ctx.tables[cfg.stock], cfg.stock_year, cfg.tegang.contract_years, check=False)
        base = reg.sum(axis=(2, 3))                               # (L, areas)
        base[list(TEGANG_LEVELS), RURAL] += teg.sum(axis=(0, 2, 3))
        for k, lv in enumerate(LEVELS):
            for a in range(len(AREAS)):
                demand[:, :, k, a] = elasticity_demand(enrol[:, :, k, a], base[k, a],
                                                       getattr(cfg.demand.elasticity, lv))
    inp = supply_inputs(cfg, ctx, demand)
    engine = ctx.options.get("engine", "aggregate")
    if engine == "des":
        from .careers import des_supply
        sup = des_supply(inp, ctx)
    elif engine == "aggregate":
        sup = aggregate_supply(inp)
    else:
        raise ValueError(f"unknown engine {engine!r}: use 'aggregate' or 'des'")
    return supply_results(demand, subjects, enrol, sup)


# =================================================================== an example context
def example_context(draws: int = 1, years: np.ndarray | None = None, seed: int = 1, stock=None,
                    enrolment: dict[str, float] | None = None, options: dict | None = None) -> StageContext:
    """A StageContext with flat 2020 enrolment (rounded baseline figures) and the shipped stock file.

    For doctests, tests and benchmarks only; the runner builds the real context. Reads nothing
    itself: ``stock`` defaults to a stock built in memory from ``Teachers().stock_totals``.
    """
    years = np.arange(2020, 2036) if years is None else np.asarray(years)
    T = len(years)
    enrolment = enrolment or {"preschool": 66000, "primary": 200000, "junior": 100000,
                              "senior_general": 58000, "secondary_vocational": 22000}
    results = {ENROLMENT[lv]: np.full((draws, T), float(v)) for lv, v in enrolment.items()}
    ge = np.zeros((draws, T, 22))
    for lv, sl in GRADE_SLICE.items():
        ge[:, :, sl] = enrolment[lv] / N_GRADES[lv]
    pre = np.full((draws, T, 3), enrolment["preschool"] / 3)
    if stock is None:
        stock = synthetic_stock(Teachers().stock_totals.model_dump())
    return StageContext(years=years, draws=draws, seed=seed, draw_index=np.arange(draws),
                        tables={"teachers-stock-2020.csv": stock}, results=results,
                        arrays={"students.grade_enrolment": ge, "students.preschool": pre},
                        options=dict(options or {}))


def synthetic_stock(totals: dict[str, float]):
    """A small in-memory stock: each level's total at ages 30 and 45, half rural, 60 % women (tests only)."""
    import pandas as pd
    rows = []
    for lv in LEVELS:
        n = totals[lv]
        parts = [n // 4, n // 4, n // 4, n - 3 * (n // 4)]
        for (area, age, sex), m in zip([("urban", 30, "female"), ("rural", 45, "male"),
                                        ("urban", 45, "female"), ("rural", 30, "female")], parts):
            rows.append((lv, area, sex, age, "regular", None, m))
    return pd.DataFrame(rows, columns=["level", "area", "sex", "age", "contract", "hired", "teachers"])
