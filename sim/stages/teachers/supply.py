"""What both supply engines share: the base stock as arrays, the evaluated settings, the hiring rule.

Regular teachers are ``R[level, area, sex, age]`` and 特岗 teachers in contract
``G[contract year, compulsory level, sex, age]``, all 特岗 rural. The stock of year t is
the head count on 1 September t, just after that September's hiring round; the flows of
year t (retirements, attrition, contract ends) are the events in [t, t+1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.context import StageContext
from ...core.levels import COMPULSORY, TEACHER_LEVELS
from ...schema.teachers import AREAS, MIN_AGE, SEXES, StockError, Teachers, check_stock
from .retirement import A, attrition_hazard

LEVELS = TEACHER_LEVELS
L, AR, S = len(LEVELS), len(AREAS), len(SEXES)
TEGANG_LEVELS = tuple(LEVELS.index(lv) for lv in COMPULSORY)  # the levels 特岗 teachers are hired for
RURAL = AREAS.index("rural")
# A retained 特岗 contract ends half a month before the school year that would be its
# fourth, so that contract ends never coincide with September's hiring round.
CONTRACT_END_OFFSET = 1.0 / 24.0
# what both engines record each year: by level, supply by level and area, and city totals
BY_LEVEL = ("retirements", "attrition", "regular_hires")
TOTALS = ("tegang_hires", "tegang_in_contract", "tegang_retained", "tegang_left", "public_funded", "subsidy")


def empty_records(lead: tuple[int, ...], extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Zeroed records with leading axes ``lead`` ((D, T) or (T,)): by level (…, L), supply (…, L, areas),
    totals (…)."""
    out = {k: np.zeros(lead + (L,)) for k in BY_LEVEL}
    out["supply"] = np.zeros(lead + (L, AR))
    out.update({k: np.zeros(lead) for k in TOTALS + extra})
    return out


@dataclass
class SupplyInputs:
    """Everything both supply engines need, as arrays (T = years, levels in ``LEVELS`` order)."""

    years: np.ndarray  # (T,)
    demand: np.ndarray  # (D, T, L, 2)
    regular0: np.ndarray  # (L, 2, 2, A): base regular stock, level × area × sex × age
    tegang0: np.ndarray  # (K, 2, 2, A): base 特岗 stock, contract year × (primary, junior) × sex × age
    lam: np.ndarray  # (A,) attrition hazard by age
    tegang_hires: np.ndarray  # (D|1, T)
    tegang_primary_share: float
    contract_years: int
    retention: np.ndarray  # (D|1,)
    tegang_age: int
    public_funded: np.ndarray  # (T,)
    public_funded_primary_share: float
    public_funded_age: int
    hire_age: int
    female_share: np.ndarray  # (L,)
    rule: str
    max_hires: np.ndarray  # (T,)
    establishment: np.ndarray | None  # (T, L)
    subsidy_by_tenure: np.ndarray  # (80,) yuan a month for 0..79 township years
    career_start_age: int
    retirement: Any  # the Retirement settings
    training_trainings: np.ndarray  # (T,) person-trainings offered
    training_hours: np.ndarray  # (T,) hours per training
    required_hours: float
    period_years: int
    stock_table: Any = None  # the stock DataFrame (the DES expands it)


def stock_arrays(
    table, base_year: int, contract_years: int, check: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Stock table → regular (L, 2, 2, A) and 特岗 (K, 2, 2, A) arrays (the table is checked first).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"level": ["junior", "primary"], "area": ["urban", "rural"],
    ...                   "sex": ["male", "female"], "age": [40, 26], "contract": ["regular", "tegang"],
    ...                   "hired": [None, 2019], "teachers": [5, 2]})
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
            raise StockError(
                bad,
                f"a 特岗 contract begun in {hired[(k < 0) | (k >= contract_years)][0]} "
                f"is not running in {base_year} ({contract_years}-year contracts)",
            )
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
        years=years,
        demand=demand,
        regular0=reg,
        tegang0=teg,
        lam=attrition_hazard(cfg.attrition),
        tegang_hires=ctx.evaluate("teachers.tegang.hires", cfg.tegang.hires, lo=0.0),
        tegang_primary_share=cfg.tegang.primary_share,
        contract_years=cfg.tegang.contract_years,
        retention=ctx.evaluate("teachers.tegang.retention", cfg.tegang.retention, 0.0, 1.0)[:, 0],
        tegang_age=cfg.tegang.hire_age,
        public_funded=ev(h.public_funded),
        public_funded_primary_share=h.public_funded_primary_share,
        public_funded_age=h.public_funded_age,
        hire_age=h.hire_age,
        female_share=np.array([getattr(h.female_share, lv) for lv in LEVELS]),
        rule=h.rule,
        max_hires=ev(h.max_hires),
        establishment=est,
        subsidy_by_tenure=np.array(ts.monthly, dtype=float)[bracket],
        career_start_age=ts.career_start_age,
        retirement=cfg.retirement,
        training_trainings=ev(cfg.training.person_trainings),
        training_hours=ev(cfg.training.hours_per_training),
        required_hours=cfg.training.required_hours,
        period_years=cfg.training.period_years,
        stock_table=table,
    )


# =================================================================== hiring rule
def regular_hires(
    demand: np.ndarray,
    supply: np.ndarray,
    rule: str,
    cap: np.ndarray | float | None = None,
    establishment: np.ndarray | None = None,
) -> np.ndarray:
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
