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

    ages = (_MOVE_AGE - FIRST_AGE).ravel()  # (K*L,)
    src = np.repeat(_MOVE_FROM, N_LAGS)
    dst = np.repeat(_MOVE_TO, N_LAGS)
    inside = (ages >= 0) & (ages < N_AGES)
    ages, src, dst = ages[inside], src[inside], dst[inside]
    C = len(CATEGORIES)
    # one-hot maps from each move to its (age, category) cell: matrix products instead of
    # scattered adds, since several moves may draw on one cell
    cell_src = ages * C + src
    onehot_src = np.zeros((len(ages), N_AGES * C))
    onehot_src[np.arange(len(ages)), cell_src] = 1.0
    onehot_net = -onehot_src.copy()
    onehot_net[np.arange(len(ages)), ages * C + dst] += 1.0

    for t in range(1, T):
        aged = np.empty((D, N_AGES, C))
        aged[:, 1:] = table[:, t - 1, :-1]
        aged[:, 0] = 0.0
        aged[:, 0, 0] = 1.0  # six-year-olds: nothing completed yet
        if selective:
            aged = _migrate(aged, pop[:, t], migration[:, t], selectivity)
        aged = _rescale(aged, pop[:, t]).reshape(D, -1)

        moves = graduates[:, t].reshape(D, -1)[:, inside]  # (D, M)
        demand = moves @ onehot_src  # (D, cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(demand > aged, aged / demand, 1.0)
        done = moves * scale[:, cell_src]
        aged += done @ onehot_net
        clipped[:, t] = (moves - done).sum(axis=1)
        table[:, t] = np.maximum(aged, 0.0).reshape(D, N_AGES, C)
    return Attainment(table=table, clipped=clipped)


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
    persons = block.sum(axis=(-1, -2))
    return (block * weights).sum(axis=(-1, -2)) / persons


def attainment_stage(cfg: AttainmentSection, ctx: StageContext) -> dict[str, np.ndarray]:
    """Base attainment table + graduates → mean years of schooling of the working-age population."""
    base = ctx.tables[cfg.base][list(CATEGORIES)].to_numpy(dtype=float)
    population = ctx.need(Population)
    selectivity = np.array([cfg.migrant_selectivity[c] for c in CATEGORIES])
    res = project_attainment(
        base,
        population.persons,
        ctx.need(StudentFlows).graduates,
        population.migration_factor,
        selectivity,
        cfg.higher_education_stays,
    )
    ctx.put(res)
    ctx.check(
        "Attainment clipped",
        res.clipped,
        "graduates outnumbered the people of their age left in "
        "the category they move from: the moves were scaled down",
    )
    return {"Mean years of schooling|Working age": mean_years(res.table, cfg.years, 16, 59)}
