"""What both supply engines share: the base stock as arrays, the evaluated settings, the hiring rule,
the placement of 特岗 and 公费师范生, and the redeployment decisions.

Regular teachers are ``R[level, area, sex, age]`` and 特岗 teachers in contract
``G[contract year, compulsory level, sex, age]``, all 特岗 rural. The stock of year t is
the head count on 1 September t, just after that September's round (moves, early retirements,
placements, hires); the flows of year t (retirements, attrition, contract ends) are the events
in [t, t+1), those of the September round of year t are counted in year t.

The September round of year s, in both engines, in this order:

1. moves decided for September s are made (with ``lag`` 0, decided first, on the survivors);
2. early retirement in cells above demand;
3. 特岗, then 公费师范生: ``quota`` places all of them, ``to-need`` only up to demand × (1 + floor)
   in the rural primary and junior cells (:func:`place_to_need`);
4. regular hires to the vacancies left, under the hiring rule (:func:`regular_hires`);
5. with ``lag`` ≥ 1, the moves for September s + lag are decided on the stock just made
   (:func:`decide_moves`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.context import StageContext
from ...core.levels import COMPULSORY, TEACHER_LEVELS
from ...schema.teachers import AREAS, MIN_AGE, SEXES, StockError, Teachers, check_stock, parse_move
from .retirement import AGES, A, attrition_hazard, retirement_instants, year_shares

LEVELS = TEACHER_LEVELS
L, AR, S = len(LEVELS), len(AREAS), len(SEXES)
TEGANG_LEVELS = tuple(LEVELS.index(lv) for lv in COMPULSORY)  # the levels 特岗 teachers are hired for
RURAL = AREAS.index("rural")
# A retained 特岗 contract ends half a month before the school year that would be its
# fourth, so that contract ends never coincide with September's hiring round.
CONTRACT_END_OFFSET = 1.0 / 24.0
# fewer teachers than this are float noise, not a move
TINY = 1e-9
# what both engines record each year: by level and area (supply and every flow into or out of a
# cell, so that the stock-flow identity holds cell by cell), and city totals
BY_CELL = (
    "supply",
    "retirements",
    "attrition",
    "regular_hires",  # 公费 placements included
    "tegang_hires",  # 特岗 placed
    "public_funded",  # 公费师范生 placed (also in regular_hires)
    "tegang_left",  # 特岗 leaving at the end of their contract
    "moved_in",  # arrived from another division (regions.redeployment)
    "moved_out",  # sent to another division
    "early_retirements",
    "redeployed_in",
    "redeployed_out",
)
TOTALS = (
    "tegang_in_contract",
    "tegang_retained",
    "tegang_not_placed",
    "public_funded_not_placed",
    "redeployed_decided",
    "subsidy",
)


def empty_records(lead: tuple[int, ...], extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Zeroed records with leading axes ``lead`` ((D, T) or (T,)): by cell (…, L, areas), totals (…)."""
    out = {k: np.zeros(lead + (L, AR)) for k in BY_CELL}
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
    policy: str = "quota"  # 特岗 and 公费 placement: "quota" or "to-need"
    surplus_floor: float = 0.0  # to-need: place up to demand × (1 + this)
    moves: np.ndarray = None  # (P, 4) from level, from area, to level, to area, by priority
    redeploy_cap: np.ndarray = None  # (T,) most teachers moved in the year of the move
    lag: int = 1  # years from decision to move
    move_cost: np.ndarray = None  # (T,) yuan per teacher moved
    early_share: float = 0.0  # share of the eligible in a surplus cell who retire early
    early_eligible: np.ndarray = None  # (T, 2, A) bool: within N years of statutory retirement
    shares: tuple = None  # retirement.year_shares: (retire, leave, stay), each (T, 2, A)
    between: Any = None  # moves between divisions (sim/stages/regions.py: Between), or None

    def __post_init__(self):
        T = len(self.years)
        if self.moves is None:
            self.moves = np.zeros((0, 4), dtype=np.int64)
        if self.redeploy_cap is None:
            self.redeploy_cap = np.zeros(T)
        if self.move_cost is None:
            self.move_cost = np.zeros(T)
        if self.early_eligible is None:
            self.early_eligible = np.zeros((T, S, A), dtype=bool)
        if self.shares is None:
            self.shares = _year_shares(self.years, self.retirement, self.lam, int(self.years[0]))

    @property
    def stay(self) -> np.ndarray:
        """(T, 2, A): share of a (sex, age) group still teaching a year later."""
        return self.shares[2]

    @property
    def redeploying(self) -> bool:
        return len(self.moves) > 0 and bool(np.any(self.redeploy_cap > 0))

    @property
    def early(self) -> bool:
        return self.early_share > 0 and bool(self.early_eligible.any())


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


# Results that depend only on a data table or on settings, kept between runs: each chunk of draws
# (and each deterministic run) reads the same table and settings. A table is a read-only input once
# read (sim/run/tables.py): the cache holds it by identity (a weak reference, so a table read anew is
# checked anew) and hands out copies.
_CACHE_SIZE = 16
_stock_cache: dict[tuple, tuple] = {}
_shares_cache: dict[tuple, tuple] = {}


def _remember(cache: dict, key: tuple, value: tuple) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _checked_stock(table, cfg: Teachers) -> tuple[np.ndarray, np.ndarray]:
    """``check_stock`` against the stated totals, then ``stock_arrays``: once per table and settings."""
    totals = cfg.stock_totals
    key = (
        id(table),
        cfg.stock_year,
        cfg.tegang.contract_years,
        None if totals is None else tuple(totals.model_dump().items()),
    )
    hit = _stock_cache.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1].copy(), hit[2].copy()
    check_stock(table, totals)
    reg, teg = stock_arrays(table, cfg.stock_year, cfg.tegang.contract_years, check=False)
    try:
        _remember(_stock_cache, key, (weakref.ref(table), reg.copy(), teg.copy()))
    except TypeError:  # a table without weak references is checked every time
        pass
    return reg, teg


def _year_shares(years: np.ndarray, r, lam: np.ndarray, base_year: int) -> tuple:
    """:func:`year_shares`, once per years, retirement settings and hazard."""
    years = np.asarray(years)
    lam_ = np.asarray(lam, dtype=float)
    if not hasattr(r, "model_dump"):
        return year_shares(years, r, lam, base_year)
    key = (years.tobytes(), str(years.dtype), tuple(r.model_dump().items()), lam_.tobytes(), base_year)
    hit = _shares_cache.get(key)
    if hit is None:
        hit = year_shares(years, r, lam, base_year)
        _remember(_shares_cache, key, hit)
    return tuple(x.copy() for x in hit)


def supply_inputs(cfg: Teachers, ctx: StageContext, demand: np.ndarray) -> SupplyInputs:
    """Evaluate the scenario's supply settings on the years and read the base stock from ``ctx.tables``."""
    years = np.asarray(ctx.years)
    if int(years[0]) != cfg.stock_year:
        raise ValueError(f"teachers.stock_year is {cfg.stock_year} but the run starts in {int(years[0])}")
    table = ctx.tables[cfg.stock]
    reg, teg = _checked_stock(table, cfg)
    h = cfg.hiring
    ev = lambda s: np.asarray(s.evaluate(years), dtype=float)  # noqa: E731
    est = None
    if h.establishment is not None:
        est = np.stack([ev(getattr(h.establishment, lv)) for lv in LEVELS], axis=1)
    ts = cfg.township_subsidy
    rd = cfg.redeployment
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
        policy=h.policy,
        surplus_floor=h.surplus_floor,
        moves=expand_moves(rd.moves),
        redeploy_cap=ev(rd.cap),
        lag=rd.lag,
        move_cost=ev(rd.cost_per_teacher),
        early_share=rd.early_retirement.share,
        early_eligible=(
            early_eligible(years, cfg.retirement, rd.early_retirement.years)
            if rd.early_retirement.share > 0
            else None  # off: nobody is eligible
        ),
    )


# =================================================================== redeployment and early retirement
def expand_moves(moves: list[str]) -> np.ndarray:
    """Allowed moves as cell pairs (P, 4): from level, from area, to level, to area, in order of
    priority (a pair named twice keeps its first place). A side without a level or area ranges over
    all of them; the "to" side takes what it leaves out from the "from" side.

    >>> expand_moves(["urban -> rural", "primary -> preschool/rural"]).tolist()
    [[0, 0, 0, 1], [1, 0, 1, 1], [2, 0, 2, 1], [3, 0, 3, 1], [4, 0, 4, 1], [1, 0, 0, 1], [1, 1, 0, 1]]
    """
    out: list[tuple[int, int, int, int]] = []
    for text in moves:
        (fl, fa), (tl, ta) = parse_move(text)
        for li, lv in enumerate(LEVELS):
            if fl is not None and lv != fl:
                continue
            for ai, ar in enumerate(AREAS):
                if fa is not None and ar != fa:
                    continue
                pair = (li, ai, LEVELS.index(tl) if tl else li, AREAS.index(ta) if ta else ai)
                if pair[:2] != pair[2:] and pair not in out:
                    out.append(pair)
    return np.array(out, dtype=np.int64).reshape(-1, 4)


def move_incidence(moves: np.ndarray) -> np.ndarray:
    """(P, L, 2): −1 at each pair's "from" cell, +1 at its "to" cell (teachers moved → change by cell).

    >>> move_incidence(np.array([[1, 0, 0, 0]]))[0, :2].tolist()
    [[1.0, 0.0], [-1.0, 0.0]]
    """
    inc = np.zeros((len(moves), L, AR))
    for p, (fl, fa, tl, ta) in enumerate(moves):
        inc[p, fl, fa] -= 1.0
        inc[p, tl, ta] += 1.0
    return inc


def projected_supply(counts: np.ndarray, stay: np.ndarray, now: int, due: int) -> np.ndarray:
    """Teachers in post by cell (D, L, 2) expected in September ``due`` from those in post now
    (``counts`` (D, L, 2, 2, A) by sex and age): each year a (sex, age) group keeps ``stay`` of itself
    and grows a year older (nobody past 70). The planner foresees retirements and the usual leavers.

    >>> c = np.zeros((1, L, AR, S, A)); c[0, 1, 0, 1, 59 - MIN_AGE] = 10.0
    >>> st = np.ones((3, S, A)); st[:, 1, 59 - MIN_AGE] = 0.0     # men of 59 retire within the year
    >>> projected_supply(c, st, 0, 1)[0, 1, 0], projected_supply(c, st, 0, 0)[0, 1, 0]
    (np.float64(0.0), np.float64(10.0))
    """
    x = counts
    for y in range(now, due):
        x = x * stay[y]
        x = _older(x)
    return x.sum(axis=(-2, -1))


def _older(x: np.ndarray) -> np.ndarray:
    """Everyone a year older along the last axis (age): the first age empty, the last one gone."""
    y = np.empty_like(x)
    y[..., 0] = 0.0
    y[..., 1:] = x[..., :-1]
    return y


def decide_moves(
    position: np.ndarray,
    moves: np.ndarray,
    cap: np.ndarray | float,
    reserve: np.ndarray | float = 0.0,
    rounding=None,
) -> np.ndarray:
    """Teachers to move along each allowed pair (D, P), pair by pair in order of priority.

    ``position`` (D, L, 2) is each cell's projected supply − demand (updated in place): a pair
    moves min(cap left, its "from" cell's surplus beyond ``reserve`` (D, L, 2): demand × the
    surplus floor, the "to" cell's shortage), never below 0. ``rounding`` (the DES: stochastic
    rounding) turns each amount into whole teachers.

    >>> pos = np.zeros((1, 5, 2)); pos[0, 1, 0] = 30.0; pos[0, 0, 0] = -20.0; pos[0, 1, 1] = -50.0
    >>> decide_moves(pos.copy(), np.array([[1, 0, 0, 0], [1, 0, 1, 1]]), 40.0).tolist()
    [[20.0, 10.0]]
    >>> decide_moves(pos.copy(), np.array([[1, 0, 0, 0], [1, 0, 1, 1]]), 40.0, reserve=5.0).tolist()
    [[20.0, 5.0]]
    """
    D = position.shape[0]
    out = np.zeros((D, len(moves)))
    left = np.broadcast_to(np.asarray(cap, dtype=float), (D,)).copy()
    reserve = np.broadcast_to(np.asarray(reserve, dtype=float), position.shape)
    if len(moves) == 0:
        return out
    # A cell gives at most its surplus beyond the reserve and receives at most its shortage, so no
    # pair that cannot move now can move later in the loop: only these pairs are looked at.
    fl, fa, tl, ta = moves.T
    could = ((position[:, fl, fa] - reserve[:, fl, fa] > TINY) & (position[:, tl, ta] < -TINY)).any(axis=0)
    for p in np.flatnonzero(could):
        fl, fa, tl, ta = moves[p]
        give = position[:, fl, fa] - reserve[:, fl, fa]
        if not ((give > TINY) & (position[:, tl, ta] < -TINY)).any():
            continue  # no surplus to give or no shortage to fill: nothing moves (and nothing is drawn)
        m = np.maximum(np.minimum(left, np.minimum(give, -position[:, tl, ta])), 0.0)
        m = np.where(m > TINY, m, 0.0)  # float noise is not a move
        if rounding is not None:
            m = rounding(m).astype(float)
        position[:, fl, fa] -= m
        position[:, tl, ta] += m
        left -= m
        out[:, p] = m
    return out


def early_eligible(years: np.ndarray, retirement: Any, within: int) -> np.ndarray:
    """(T, 2, A): teachers of (sex, age on 1 September) whose statutory retirement falls, on average
    over their cohort's birth months, within ``within`` years. A whole (sex, age) group is eligible
    or not, so both engines use the same rule and the aggregate keeps each group spread evenly over
    its birth months.

    >>> from sim.schema.load import load
    >>> r = load("baseline").scenario.teachers.retirement.model_copy(update={"reform": False})
    >>> e = early_eligible(np.array([2021]), r, 5)
    >>> [int(AGES[e[0, s]].min()) for s in (0, 1)]   # women from 50, men from 55
    [50, 55]
    """
    T = len(years)
    out = np.zeros((T, S, A), dtype=bool)
    for s, sex in enumerate(SEXES):
        cohorts = (np.asarray(years)[:, None] - AGES[None, :]).ravel()
        inst = retirement_instants(cohorts, sex == "female", retirement).reshape(T, A, 12)
        out[:, s] = inst.mean(axis=2) - np.asarray(years, dtype=float)[:, None] <= within
    return out


def place_to_need(room: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Placements (D, k) of ``n`` (D,) teachers into cells with ``room`` (D, k) places each: every
    place when there are enough teachers, else shared in proportion to the room.

    >>> place_to_need(np.array([[30.0, 10.0], [0.0, 0.0]]), np.array([20.0, 5.0])).tolist()
    [[15.0, 5.0], [0.0, 0.0]]
    """
    total = room.sum(axis=1)
    scale = np.divide(n, total, out=np.ones(total.shape), where=total > n)
    scale[~(total > 0)] = 0.0
    return room * scale[:, None]


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
        scale = np.divide(cap, total, out=np.ones(total.shape), where=total > cap)
        vac = vac * scale[:, None, None]
    elif rule == "establishment":
        est = np.asarray(establishment)
        room = np.maximum((est if est.ndim == 2 else est[None, :]) - supply.sum(axis=2), 0.0)
        want = vac.sum(axis=2)
        scale = np.divide(
            room, want, out=np.ones(np.broadcast_shapes(room.shape, want.shape)), where=want > room
        )
        vac = vac * scale[:, :, None]
    return vac
