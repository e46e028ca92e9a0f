"""Population aged 6-59 by highest level completed, aged forward → mean years of schooling.

Everyone enters at age 6 with no level completed. Each year the table ages by
one year and is rescaled to the population model's count at each age (so
deaths and migrants leave in proportion: migrants are assumed to have the
attainment of their age group). Graduates then move up one category at the
age they graduate: primary graduates from "none" to "primary", and so on. A
move never takes more people than the category holds (the shortfall is
published as ``Check|Attainment clipped`` with a warning).

>>> import numpy as np
>>> years = {"none": 0, "primary": 6, "junior": 9, "senior": 12, "junior_college": 15, "bachelor": 16}
>>> table = np.zeros((1, 54, 6)); table[0, :, 2] = 1.0      # everyone aged 6-59 completed junior
>>> mean_years(table, years, 16, 59).round(2).tolist()
[9.0]
"""

from __future__ import annotations

import numpy as np

from ..core.context import Attainment, Population, StageContext, StudentFlows
from ..core.levels import ATTAINMENT, FLOW_LEVELS, N_LAGS
from ..schema.attainment import Attainment as AttainmentSection

CATEGORIES = ATTAINMENT
LEVELS = FLOW_LEVELS  # every flow level moves its graduates up one category
FIRST_AGE, LAST_AGE = 6, 59
N_AGES = LAST_AGE - FIRST_AGE + 1

_CAT = {c: i for i, c in enumerate(CATEGORIES)}
# graduates of level k with lag l are, in the year they are counted, entry_age + grades + l years old
_MOVE_AGE = np.array([[lv.entry_age + lv.grades + l for l in range(N_LAGS)] for lv in LEVELS])
_MOVE_FROM = np.array([_CAT[lv.before] for lv in LEVELS])
_MOVE_TO = np.array([_CAT[lv.attained] for lv in LEVELS])


def project_attainment(
    base: np.ndarray,
    pop: np.ndarray,
    graduates: np.ndarray,
    migration: np.ndarray | None = None,
    selectivity: np.ndarray | None = None,
    stays: float = 1.0,
) -> Attainment:
    """Project the attainment table.

    base: (ages 6-59, categories) persons in the base year (any scale: it is
    rescaled to the population by age); pop: (D, T, 101) population by age;
    graduates: (D, T, K, L) from the student model (counted in year t).
    ``migration`` (D, T, 101) is the population model's factor (after / before migration) and
    ``selectivity`` (categories,) the relative propensity of each level to leave with net
    out-migration; without them, or with equal propensities, migrants carry their age group's
    schooling. ``stays`` is the share of higher-education graduates credited as residents.
    """
    D, T, _ = pop.shape
    selective = migration is not None and selectivity is not None and np.ptp(selectivity) > 0
    graduates = graduates * _credit(stays)
    table = np.zeros((D, T, N_AGES, len(CATEGORIES)))
    clipped = np.zeros((D, T))
    table[:, 0] = _rescale(np.broadcast_to(base, (D, N_AGES, len(CATEGORIES))), pop[:, 0])
    # draws are independent: a block at a time keeps the year's temporaries in cache
    for d0 in range(0, D, BLOCK):
        d = slice(d0, min(d0 + BLOCK, D))
        mig = migration[d] if selective else None
        _project_block(table[d], clipped[d], pop[d], graduates[d], mig, selectivity if selective else None)
    return Attainment(table=table, clipped=clipped)


# draws projected together (the year's temporaries of a block stay in cache)
BLOCK = 128


def _moves_layout():
    """Each graduates' move (level, lag) inside the table: its ages, the cells it draws on and adds
    to, grouped so that no group names a cell twice (scattered adds, in the order of the moves)."""
    ages = (_MOVE_AGE - FIRST_AGE).ravel()  # (K*L,)
    src = np.repeat(_MOVE_FROM, N_LAGS)
    dst = np.repeat(_MOVE_TO, N_LAGS)
    inside = (ages >= 0) & (ages < N_AGES)
    ages, src, dst = ages[inside], src[inside], dst[inside]
    C = len(CATEGORIES)
    cell_src, cell_dst = ages * C + src, ages * C + dst
    return inside, cell_src, cell_dst


_INSIDE, _CELL_SRC, _CELL_DST = _moves_layout()
_M = len(_CELL_SRC)


def _groups(cells: np.ndarray, signs: np.ndarray) -> tuple[np.ndarray, list]:
    """The distinct cells, and the (moves, positions in the distinct cells, signs or None for all +)
    groups adding each term (``cells`` lists the moves' cells, once or more: move i at i, i + M, ...):
    a cell's terms are added in their order in ``cells``."""
    uniq, inv = np.unique(cells, return_inverse=True)
    seen: dict[int, int] = {}
    rank = np.zeros(len(cells), dtype=int)  # the how-many-th term of its cell each is
    for i, c in enumerate(cells.tolist()):
        rank[i] = seen[c] = seen.get(c, -1) + 1
    groups = []
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        at = np.flatnonzero(rank == r)
        sign = signs[at]
        groups.append((at % _M, inv[at], None if (sign > 0).all() else sign))
    return uniq, groups


# the cells graduates draw on (demand); the cells a move takes from (−) or adds to (+)
_SRC_CELLS, _SRC_GROUPS = _groups(_CELL_SRC, np.ones(_M))
_SRC_INDEX = np.searchsorted(_SRC_CELLS, _CELL_SRC)
_NET_CELLS, _NET_GROUPS = _groups(np.concatenate([_CELL_SRC, _CELL_DST]), np.repeat([-1.0, 1.0], _M))


def _scatter(values: np.ndarray, n: int, groups: list) -> np.ndarray:
    """Σ of signed ``values`` (D, M) by cell, (D, n): each cell's terms added one by one from 0, in
    order (at most two terms meet in a cell, so any order gives the same sum)."""
    out = np.zeros((values.shape[0], n))
    for at, cell, sign in groups:
        v = values[:, at]
        out[:, cell] += v if sign is None else v * sign
    return out


def _project_block(
    table: np.ndarray,
    clipped: np.ndarray,
    pop: np.ndarray,
    graduates: np.ndarray,
    migration: np.ndarray | None,
    selectivity: np.ndarray | None,
) -> None:
    """Years 1.. of ``project_attainment`` for a block of draws, into ``table`` and ``clipped``."""
    D, T = table.shape[:2]
    C = len(CATEGORIES)
    src_cells, net_cells = _SRC_CELLS, _NET_CELLS
    for t in range(1, T):
        aged = np.empty((D, N_AGES, C))
        aged[:, 1:] = table[:, t - 1, :-1]
        aged[:, 0] = 0.0
        aged[:, 0, 0] = 1.0  # six-year-olds: nothing completed yet
        if migration is not None:
            aged = _migrate(aged, pop[:, t], migration[:, t], selectivity)
        aged = _rescale(aged, pop[:, t]).reshape(D, -1)

        moves = graduates[:, t].reshape(D, -1)[:, _INSIDE]  # (D, M)
        demand = _scatter(moves, len(src_cells), _SRC_GROUPS)  # (D, source cells)
        have = aged[:, src_cells]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(demand > have, have / demand, 1.0)
        done = moves * scale[:, _SRC_INDEX]
        aged[:, net_cells] += _scatter(done, len(net_cells), _NET_GROUPS)
        clipped[:, t] = (moves - done).sum(axis=1)
        np.maximum(aged.reshape(D, N_AGES, C), 0.0, out=table[:, t])


def _credit(stays: float) -> np.ndarray:
    """(K, 1) multipliers of graduates: higher education's by ``stays``, the others' by 1."""
    higher = np.array([lv.attained in ("junior_college", "bachelor") for lv in LEVELS])
    return np.where(higher, stays, 1.0)[:, None]


def _migrate(aged: np.ndarray, pop: np.ndarray, factor: np.ndarray, selectivity: np.ndarray) -> np.ndarray:
    """Survivors of each age (the population before migration), then net migration by level.

    Net out-migrants of an age are taken from its levels in proportion to persons × propensity
    (never more than a level holds); net in-migrants have the age group's mix.

    >>> t = np.array([[[50.0, 50.0]]])            # one age: 50 without and 50 with a degree
    >>> _migrate(t, np.array([[0.0] * 6 + [80.0]]), np.array([[1.0] * 6 + [0.8]]), np.array([1.0, 3.0]))
    array([[[45., 35.]]])
    """
    f = factor[:, FIRST_AGE : LAST_AGE + 1]
    before = _rescale(aged, pop / np.where(factor > 0, factor, 1.0))  # survivors before migration
    n = before.sum(axis=2)
    leaving = np.maximum(n * (1.0 - f), 0.0)  # (D, ages)
    w = before * selectivity
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(w.sum(axis=2, keepdims=True) > 0, w / w.sum(axis=2, keepdims=True), 0.0)
    taken = np.minimum(out * leaving[:, :, None], before)
    arriving = np.where(f > 1, f, 1.0)[:, :, None]
    return (before - taken) * arriving


def _rescale(table: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Scale each age's row to the population model's count at that age (shares kept)."""
    target = pop[:, FIRST_AGE : LAST_AGE + 1]
    total = table.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(total > 0, target / total, 0.0)
    return table * factor[:, :, None]


def mean_years(table: np.ndarray, years: dict[str, float], lo: int = 16, hi: int = 59) -> np.ndarray:
    """Mean years of schooling over ages lo..hi: table (..., ages 6-59, categories) → (...)."""
    weights = np.array([years[c] for c in CATEGORIES])
    block = table[..., lo - FIRST_AGE : hi - FIRST_AGE + 1, :]
    if block.ndim < 3 or block.shape[0] <= BLOCK:
        persons = block.sum(axis=(-1, -2))
        return (block * weights).sum(axis=(-1, -2)) / persons
    # a block of draws at a time: the weighted table is a temporary as large as the table
    out = np.empty(block.shape[:-2])
    for d0 in range(0, block.shape[0], BLOCK):
        b = block[d0 : d0 + BLOCK]
        out[d0 : d0 + BLOCK] = (b * weights).sum(axis=(-1, -2)) / b.sum(axis=(-1, -2))
    return out


def attainment_stage(cfg: AttainmentSection, ctx: StageContext) -> dict[str, np.ndarray]:
    """Base attainment table + graduates → mean years of schooling of the working-age population."""
    base = ctx.tables[cfg.base][list(CATEGORIES)].to_numpy(dtype=float)
    population = ctx.need(Population)
    selectivity = np.array([cfg.migrant_selectivity[c] for c in CATEGORIES])
    persons, graduates, factor = (
        population.persons,
        ctx.need(StudentFlows).graduates,
        population.migration_factor,
    )
    R = ctx.R
    if R > 1:
        # on the city: every division would start from the city's attainment by age (no division's
        # is published), so a division's mean years would say nothing of its own; the city's people,
        # graduates and migration (moves between divisions cancel) give the city's, at a ninth of the cost
        aged = np.divide(persons, factor, out=np.zeros_like(persons), where=factor > 0)
        persons = persons.reshape((-1, R) + persons.shape[1:]).sum(axis=1)
        aged = aged.reshape((-1, R) + aged.shape[1:]).sum(axis=1)
        factor = np.divide(persons, aged, out=np.ones_like(persons), where=aged > 0)
        graduates = graduates.reshape((-1, R) + graduates.shape[1:]).sum(axis=1)
    res = project_attainment(base, persons, graduates, factor, selectivity, cfg.higher_education_stays)
    ctx.put(res)
    ctx.check(
        "Attainment clipped",
        np.repeat(res.clipped, R, axis=0),
        "graduates outnumbered the people of their age left in "
        "the category they move from: the moves were scaled down",
    )
    out = {"Mean years of schooling|Working age": mean_years(res.table, cfg.years, 16, 59)}
    if R > 1:  # the city's values on each of its rows (sim/stages/regions.py: CITY_ONLY)
        out = {k: np.repeat(v, R, axis=0) for k, v in out.items()}
    return out
