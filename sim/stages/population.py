"""Population by single year of age (0-100, the last age open-ended): births, survival, net migration.

All arrays carry the draw on axis 0; a deterministic run is one draw.

>>> import numpy as np
>>> base = np.array([10.0, 10.0, 10.0])          # ages 0, 1, 2+ (tiny example)
>>> pop, factor, floored = project_population(base, births=np.array([[10.0, 12.0]]),
...     qx=np.zeros((1, 2, 3)), net_migration=np.zeros((1, 2)), profile=np.array([1.0, 1.0, 1.0]))
>>> pop[0, 1].tolist()                            # age 0 ← births, 1 ← age 0, 2+ ← 1 and 2+
[12.0, 10.0, 20.0]
"""

from __future__ import annotations

import numpy as np

from ..core.context import Population, StageContext
from ..schema.population import Population as PopulationSection

AGES = np.arange(101)


def project_population(
    base: np.ndarray, births: np.ndarray, qx: np.ndarray, net_migration: np.ndarray, profile: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project the base-year population year by year.

    base: (A,) persons by age in the base year; births: (D, T) births in each year
    (the first is reported, not used: the base year's age 0 is in ``base``);
    qx: (D|1, T, A) probability of dying within the year at each age;
    net_migration: (D, T) persons a year (negative = out); profile: (A,) relative
    migration rates by age (a model schedule): the year's net migrants are shared
    out in proportion to rate × population at each age.

    Returns population (D, T, A), the migration factor (D, T, A): the ratio of
    population after migration to survivors before it, which the student model
    applies to enrolled pupils of the same age so that pupils move with families,
    and the persons of out-migration that found nobody to move (D, T): an age group
    is never negative, and what it could not give is reported, not hidden.
    """
    D, T = births.shape
    A = base.shape[0]
    pop = np.empty((D, T, A))
    factor = np.ones((D, T, A))
    floored = np.zeros((D, T))
    pop[:, 0, :] = base
    qx = np.broadcast_to(qx, (D, T, A))
    for t in range(1, T):
        survivors = pop[:, t - 1, :] * (1.0 - qx[:, t - 1, :])
        aged = np.empty((D, A))
        # Births in the year are exposed to about half a year of infant mortality.
        aged[:, 0] = births[:, t] * (1.0 - 0.5 * qx[:, t, 0])
        aged[:, 1:] = survivors[:, :-1]
        aged[:, -1] += survivors[:, -1]
        # net migrants by age ∝ the schedule's relative rate × the people at that age
        weight = profile[None, :] * aged
        weight /= weight.sum(axis=1, keepdims=True)
        wanted = aged + net_migration[:, t, None] * weight
        moved = np.maximum(wanted, 0.0)
        floored[:, t] = (moved - wanted).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor[:, t, :] = np.where(aged > 0, moved / aged, 1.0)
        pop[:, t, :] = moved
    return pop, factor, floored


def qx_from_scale(qx_base: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Age-specific death probabilities (A,) scaled per year (D, T) → (D, T, A), capped at 1."""
    return np.minimum(qx_base[None, None, :] * scale[:, :, None], 1.0)


def age_group(pop: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Persons aged lo..hi inclusive: (D, T, A) → (D, T)."""
    return pop[:, :, lo : hi + 1].sum(axis=2)


def population_stage(cfg: PopulationSection, ctx: StageContext) -> dict[str, np.ndarray]:
    """Scenario's ``population:`` → ``Population`` (for later stages) and the population variables."""
    D, years = ctx.draws, ctx.years
    base = ctx.tables[cfg.base]["persons"].to_numpy(dtype=float)
    T = len(years)
    births = np.broadcast_to(ctx.evaluate("population.births", cfg.births, lo=0.0), (D, T)).copy()
    births[:, 0] = base[0]  # the base year's age 0 is observed
    scale = ctx.evaluate("population.mortality_scale", cfg.mortality_scale, lo=0.0)
    qx = qx_from_scale(ctx.tables[cfg.mortality]["qx"].to_numpy(dtype=float), np.broadcast_to(scale, (D, T)))
    migration = np.broadcast_to(ctx.evaluate("population.net_migration", cfg.net_migration), (D, T))
    profile = ctx.tables[cfg.migration_profile]["share"].to_numpy(dtype=float)
    profile = profile / profile.sum()
    pop, factor, floored = project_population(base, births, qx, migration, profile)
    ctx.put(Population(persons=pop, migration_factor=factor, births=births))
    ctx.check(
        "Population floored",
        floored,
        "net out-migration exceeded the people of some ages: those age groups were set to zero",
    )
    return {
        "Population|Total": pop.sum(axis=2),
        "Population|Births": births,
        "Population|Age 3-5": age_group(pop, 3, 5),
        "Population|Age 6-11": age_group(pop, 6, 11),
        "Population|Age 12-14": age_group(pop, 12, 14),
        "Population|Age 15-17": age_group(pop, 15, 17),
        "Population|Age 16-59": age_group(pop, 16, 59),
    }
