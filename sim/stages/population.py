"""Population by single year of age (0-100, the last age open-ended): births, deaths, net migration.

All arrays carry the draw on axis 0; a deterministic run is one draw. Year t runs from the count
point of year t-1 to that of year t (about 1 November, the census date; docs/methodology.md,
"What a year means"), and one account holds exactly, every year and draw:

    P(t) = P(t-1) + births(t) - deaths(t) + net migration(t)

>>> import numpy as np
>>> base = np.array([10.0, 10.0, 10.0])          # ages 0, 1, 2+ (tiny example)
>>> pop, factor, floored = project_population(base, births=np.array([[10.0, 12.0]]),
...     qx=np.zeros((1, 2, 3)), net_migration=np.zeros((1, 2)), profile=np.array([1.0, 1.0, 1.0]))
>>> pop[0, 1].tolist()                            # age 0 ← births, 1 ← age 0, 2+ ← 1 and 2+
[12.0, 10.0, 20.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.context import Population, StageContext
from ..schema.population import Population as PopulationSection

AGES = np.arange(101)
# The model counts people at about 1 November (the census date); yearbooks count them on 31
# December, two months later.
TO_YEAR_END = 2 / 12


@dataclass
class Account:
    """The projection and its demographic account, all (D, T) but ``persons`` and ``factor`` (D, T, A).

    deaths(t): deaths among the people of year t-1 in the year, plus those among the year's
    births (half a year of exposure); migration(t): net migrants who actually moved, i.e. the
    scenario's net migration plus ``floored`` (out-migration that found nobody to move).
    In the base year (no step taken): deaths = the base population's deaths in one year at the
    base year's rates, migration = the scenario's value; neither is in the account.
    """

    persons: np.ndarray
    factor: np.ndarray
    floored: np.ndarray
    deaths: np.ndarray
    migration: np.ndarray


@dataclass
class Exchange:
    """Migration between the divisions of each draw (rows are draw-major: row = d·R + r).

    In year t, row r sends ``rate[r, t] × weight[a]`` of its people of age a (after the year's
    migration to and from outside the city), and they arrive in the divisions of the same draw in
    the proportions ``destination[r, :]``: what one division loses another gains, so the city's
    people are unchanged by it."""

    R: int
    rate: np.ndarray  # (rows, T)
    weight: (
        np.ndarray
    )  # (A,) or (rows|1, T, A): relative rate by age (the migration profile, mean 1 over the city)
    destination: np.ndarray  # (R, R), rows sum to 1 (or 0 where nobody leaves)

    def apply(self, people: np.ndarray, t: int) -> np.ndarray:
        """people (rows, A) → after the exchange of year t."""
        if self.weight.ndim == 1:
            w = self.weight[None, :]
        else:  # per draw: each division of a draw moves by its draw's profile
            w = self.weight[:, t]
            w = np.repeat(w, self.R, axis=0) if w.shape[0] > 1 and w.shape[0] != people.shape[0] else w
        out = np.minimum(self.rate[:, t, None] * w, 1.0) * people
        A = people.shape[1]
        inflow = np.matmul(self.destination.T, out.reshape(-1, self.R, A))  # (D, R, A): Σ_r dest[r, s] out[r]
        return people - out + inflow.reshape(people.shape)


@dataclass
class BirthShares:
    """Each division's share of the city's births, year by year: its base-year share (of age 0)
    moved with its people of childbearing age (``ages``) against the base year, so that a division
    whose young adults leave has fewer of the city's births. Rows are draw-major (row = d·R + r)."""

    R: int
    base: np.ndarray  # (rows,) base-year shares, summing to 1 within a draw
    ages: tuple[int, int] = (20, 39)  # no fertility by age is modelled: the peak childbearing ages

    def at(self, people_before: np.ndarray, people_base: np.ndarray) -> np.ndarray:
        """(rows,) shares for a year from the people (rows, A) at its start and in the base year."""
        lo, hi = self.ages
        now = people_before[:, lo : hi + 1].sum(axis=1)
        then = people_base[:, lo : hi + 1].sum(axis=1)
        w = self.base * np.divide(now, then, out=np.zeros_like(now), where=then > 0)
        w = w.reshape(-1, self.R)
        total = w.sum(axis=1, keepdims=True)
        return np.divide(w, total, out=np.zeros_like(w), where=total > 0).reshape(-1)


def project_account(
    base: np.ndarray,
    births: np.ndarray,
    qx: np.ndarray,
    net_migration: np.ndarray,
    profile: np.ndarray,
    exchange: Exchange | None = None,
    rows_per_draw: int = 1,
    birth_shares: BirthShares | None = None,
) -> Account:
    """Project the base-year population year by year and keep its account.

    base: (A,) persons by age in the base year (or (D, A), one per row); births: (D, T) births
    in each year (the first is reported, not used: the base year's age 0 is in ``base``); qx:
    (D|1, T, A) probability of dying within year t at each age (the year that ends at the count point of t);
    net_migration: (D, T) persons a year (negative = out); profile: (A,) relative migration
    rates by age (a model schedule), or (D|1, T, A) when it differs by draw or year
    (``shifted_profile``): the year's net migrants are shared out in proportion to
    rate × population at each age (by the rates alone where nobody is left).

    Within year t, in this order: the people of year t-1 die at q(t, a) and the survivors age
    by one year (99 and 100 both feed 100); the births of year t meet half a year of infant
    mortality; then net migrants join or leave. An age group is never made negative: the
    out-migration it could not give is ``floored`` (reported, not hidden), so the migration
    that happened is the scenario's plus ``floored``. With divisions, people then move between
    them (``exchange``), which is part of each division's migration; ``qx`` and a varying
    ``profile`` may then be given per draw ((D / rows_per_draw, T, A): the divisions of a draw share
    its mortality and migration schedule). With ``birth_shares``, ``births`` holds the city's births
    on every row of a draw and each year's are shared among its divisions (``BirthShares``); the
    array is then changed in place to the divisions' births. The ratio after / before migration is
    the migration factor, which the student model applies to pupils of that age.
    """
    D, T = births.shape
    A = base.shape[-1]
    base = np.broadcast_to(base, (D, A))
    pop = np.empty((D, T, A))
    factor = np.ones((D, T, A))
    floored = np.zeros((D, T))
    deaths = np.zeros((D, T))
    moved_total = np.zeros((D, T))
    pop[:, 0, :] = base
    R = rows_per_draw

    def at(x: np.ndarray, t: int) -> np.ndarray:
        """Year t of a (1|D|D/R, T, A) array, one row per model row (or one for all)."""
        v = x[:, t, :]
        return np.repeat(v, R, axis=0) if R > 1 and v.shape[0] > 1 and v.shape[0] != D else v

    net_migration = np.broadcast_to(net_migration, (D, T))
    deaths[:, 0] = (base * at(qx, 0)).sum(axis=1)
    moved_total[:, 0] = net_migration[:, 0]
    for t in range(1, T):
        previous = pop[:, t - 1, :]
        if birth_shares is not None:
            births[:, t] *= birth_shares.at(previous, base)
        q = at(qx, t)
        survivors = previous * (1.0 - q)
        aged = np.empty((D, A))
        # Births in the year are exposed to about half a year of infant mortality.
        aged[:, 0] = births[:, t] * (1.0 - 0.5 * q[:, 0])
        aged[:, 1:] = survivors[:, :-1]
        aged[:, -1] += survivors[:, -1]
        deaths[:, t] = (previous - survivors).sum(axis=1) + births[:, t] - aged[:, 0]
        # net migrants by age ∝ the schedule's relative rate × the people at that age
        prof = profile[None, :] if profile.ndim == 1 else at(profile, t)  # (1|D, A)
        weight = prof * aged
        total = weight.sum(axis=1, keepdims=True)
        weight = np.where(
            total > 0, weight / np.where(total > 0, total, 1.0), prof / prof.sum(axis=1, keepdims=True)
        )
        wanted = aged + net_migration[:, t, None] * weight
        moved = np.maximum(wanted, 0.0)
        floored[:, t] = (moved - wanted).sum(axis=1)
        if exchange is not None:
            moved = exchange.apply(moved, t)
        moved_total[:, t] = moved.sum(axis=1) - aged.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # aged 0: factor 1
            factor[:, t, :] = np.where(aged > 0, moved / aged, 1.0)
        pop[:, t, :] = moved
    return Account(persons=pop, factor=factor, floored=floored, deaths=deaths, migration=moved_total)


def project_population(
    base: np.ndarray, births: np.ndarray, qx: np.ndarray, net_migration: np.ndarray, profile: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population (D, T, A), migration factor (D, T, A) and floored out-migration (D, T):
    ``project_account`` without the account."""
    acc = project_account(base, births, qx, net_migration, profile)
    return acc.persons, acc.factor, acc.floored


def year_end(total: np.ndarray) -> np.ndarray:
    """Population on 31 December of year t from the count points: P(t) + 2/12 (P(t+1) − P(t)).

    The last year continues the last year's change (one year alone: no change).

    >>> year_end(np.array([[120.0, 108.0, 102.0]])).tolist()
    [[118.0, 107.0, 101.0]]
    """
    change = np.zeros_like(total)
    change[:, :-1] = np.diff(total, axis=1)
    if total.shape[1] > 1:
        change[:, -1] = change[:, -2]
    return total + TO_YEAR_END * change


def crude_death_rate(deaths: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Deaths of year t / the mean of the populations at its two ends (base year: / P(0))."""
    mean = total.copy()
    mean[:, 1:] = (total[:, 1:] + total[:, :-1]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, deaths / np.where(mean > 0, mean, 1.0), 0.0)


def shifted_profile(profile: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The migration profile (A,) moved along the ages by ``shift`` years (D|1, T) → (D|1, T, A),
    each row summing to 1: the rate at age a is the profile's at a − shift (linear between single
    years; the first and last ages' rates continue beyond the table).

    >>> p = np.array([0.0, 1.0, 3.0, 0.0])
    >>> shifted_profile(p, np.array([[1.0, -0.5]])).round(4).tolist()
    [[[0.0, 0.0, 0.25, 0.75], [0.125, 0.5, 0.375, 0.0]]]
    """
    ages = np.arange(profile.shape[0], dtype=float)
    out = np.interp(ages[None, None, :] - shift[:, :, None], ages, profile)
    return out / out.sum(axis=2, keepdims=True)


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
    city_base = base
    T = len(years)
    births = np.broadcast_to(ctx.evaluate("population.births", cfg.births, lo=0.0), (D, T)).copy()
    div = ctx.regions
    shares = None
    if div is not None:  # the city's people, births and migrants shared among its divisions
        base = np.tile(div.persons, (D // div.R, 1))
        shares = BirthShares(div.R, np.tile(div.births_share(), D // div.R))
    births[:, 0] = base[..., 0]  # the base year's age 0 is observed
    R = ctx.R
    scale = _per_draw(ctx.evaluate("population.mortality_scale", cfg.mortality_scale, lo=0.0), R)
    qx = qx_from_scale(ctx.tables[cfg.mortality]["qx"].to_numpy(dtype=float), scale)
    migration = np.broadcast_to(ctx.evaluate("population.net_migration", cfg.net_migration), (D, T))
    exchange = None
    if div is not None:
        migration = migration * np.tile(div.people_share(), D // div.R)[:, None]
    profile = ctx.tables[cfg.migration_profile]["share"].to_numpy(dtype=float)
    profile = profile / profile.sum()
    # the profile's peak moved by this many years; none (the profile as written) when it is 0 everywhere
    shift = ctx.evaluate("population.migration_age_shift", cfg.migration_age_shift, lo=-10.0, hi=10.0)
    if np.any(shift != 0):
        profile = shifted_profile(profile, _per_draw(shift, R))
    if div is not None:
        exchange = _exchange(div, ctx, profile, city_base)
    acc = project_account(
        base, births, qx, migration, profile, exchange, rows_per_draw=R, birth_shares=shares
    )
    pop = acc.persons
    ctx.put(Population(persons=pop, migration_factor=acc.factor, births=births))
    ctx.check(
        "Population floored",
        acc.floored,
        "net out-migration exceeded the people of some ages: those age groups were set to zero",
    )
    total = pop.sum(axis=2)
    # flows of the year before the base count: not modelled, so missing rather than a stand-in
    flows = {
        "Population|Births": births,
        "Population|Deaths": acc.deaths,
        "Population|Net migration": acc.migration,
        "Population|Crude death rate": crude_death_rate(acc.deaths, total),
    }
    for name, v in flows.items():
        flows[name] = v = np.array(v, dtype=float)
        v[:, 0] = np.nan
        ctx.undefined.add(name)
    return {
        "Population|Total": total,
        "Population|Total|Year-end": year_end(total),
        **flows,
        "Population|Age 3-5": age_group(pop, 3, 5),
        "Population|Age 6-11": age_group(pop, 6, 11),
        "Population|Age 12-14": age_group(pop, 12, 14),
        "Population|Age 15-17": age_group(pop, 15, 17),
        "Population|Age 16-59": age_group(pop, 16, 59),
        "Population|Age 60+": age_group(pop, 60, 100),
    }


def _per_draw(values: np.ndarray, R: int) -> np.ndarray:
    """A per-row input (rows|1, T) that every division of a draw shares → one row per draw."""
    return values[::R] if R > 1 and values.shape[0] > 1 else values


def _exchange(div, ctx: StageContext, profile: np.ndarray, city_base: np.ndarray) -> Exchange:
    """The pull of the urban districts: each county sends ``regions.pull`` of its people a year
    (more at the ages that move most, by the migration profile) to the four urban districts."""
    D = ctx.draws
    pull = np.broadcast_to(ctx.evaluate("regions.pull", div.settings.pull, 0.0, 1.0), (D, len(ctx.years)))
    county = np.tile(~div.urban, D // div.R).astype(float)
    # the profile may differ by draw and year (an uncertain age shift): normalised where it applies
    weight = profile / (profile @ city_base / city_base.sum())[..., None]
    return Exchange(div.R, pull * county[:, None], weight, div.destination())
