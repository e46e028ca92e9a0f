"""Students grade by grade, from primary to higher education, vectorised over draws.

The state is ``S[d, g, l]``: pupils in grade ``g`` (all levels laid end to end,
see ``FLOW_LEVELS``, ``FIRST`` and ``LAST``) who are ``l`` years behind the official age (0, 1, 2 or more).
Each year, per grade: a share is promoted (1 − repetition − dropout), a share
repeats (and falls one year further behind), the rest drop out. Pupils promoted
out of a level's last grade graduate; graduates enter the next levels through a
transition matrix. Pupils move with their families: every grade is multiplied
by the population model's migration factor at the grade's official age.
Preschool is not a flow: enrolment is age-specific rates × population aged 3-5.

The layout of grades and levels is ``sim/core/levels.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.context import Population, StageContext, StudentFlows
from ..core.levels import (
    FIRST,
    FLOW_INDEX,
    FLOW_LEVELS,
    FLOW_PAIRS,
    GRADE_AGE,
    GRADE_LEVEL,
    LABEL,
    LAST,
    N_GRADES,
    N_LAGS,
    PRESCHOOL_AGES,
    K,
    official_ages,
    upper_secondary,
)
from ..schema.students import Students

LEVELS = FLOW_LEVELS
LEVEL_INDEX = FLOW_INDEX
_CONTINUES = np.ones(N_GRADES, dtype=bool)  # promoted pupils stay in the level unless the grade is its last
_CONTINUES[LAST] = False


@dataclass
class StudentParams:
    """Flow parameters as arrays; axis 0 is the draw (size 1 broadcasts), axis 1 the year."""

    repetition: np.ndarray  # (D, T, G)
    dropout: np.ndarray  # (D, T, G)
    transition: np.ndarray  # (D, T, K, K): share of level k's graduates entering level j
    entry_rate: np.ndarray  # (D, T): share of 6-year-olds entering grade 1
    preschool_rate: np.ndarray  # (D, T, 3): enrolment rate at ages 3, 4, 5
    base_ratio: np.ndarray  # (D, G): base-year enrolment per person of the grade's official age


def base_stock(pop0: np.ndarray, base_ratio: np.ndarray) -> np.ndarray:
    """Base-year stock (D, G, L): population at each grade's official age × the grade's ratio, all on time."""
    D = max(pop0.shape[0], base_ratio.shape[0])
    stock = np.zeros((D, N_GRADES, N_LAGS))
    ref = np.broadcast_to(pop0[:, GRADE_AGE], (D, N_GRADES)).copy()
    # Local leavers in higher education study anywhere, so the city's population at 18-22
    # (depleted by migration) says little about them: lay them out on the upper-secondary cohort.
    higher = GRADE_LEVEL >= LEVEL_INDEX["higher_vocational"]
    lo, hi = _upper_ages()
    ref[:, higher] = pop0[:, lo : hi + 1].mean(axis=1)[:, None]
    stock[:, :, 0] = ref * base_ratio
    return stock


def _upper_ages() -> tuple[int, int]:
    """Official ages of upper secondary (15-17)."""
    return official_ages(upper_secondary()[0])


def preschool_enrolment(pop: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Enrolled children by age 3-5: (D, T, A) population × (D, T, 3) rates."""
    a = PRESCHOOL_AGES
    return pop[:, :, a[0] : a[-1] + 1] * rate


def simulate_students(pop: np.ndarray, migration: np.ndarray, p: StudentParams) -> StudentFlows:
    """Run the grade flows over the horizon. pop and migration: (D, T, A) from demography."""
    D, T, _ = pop.shape
    rep = np.broadcast_to(p.repetition, (D, T, N_GRADES))
    drop = np.broadcast_to(p.dropout, (D, T, N_GRADES))
    promo = 1.0 - rep - drop
    trans = np.broadcast_to(p.transition, (D, T, K, K))
    entry = np.broadcast_to(p.entry_rate, (D, T))
    mig_grade = migration[:, :, GRADE_AGE]

    stock = np.zeros((D, T, N_GRADES, N_LAGS))
    graduates = np.zeros((D, T, K, N_LAGS))
    entrants = np.zeros((D, T, K))
    cohort_mig = np.ones((D, T, N_GRADES))
    stock[:, 0] = base_stock(pop[:, 0, :], np.broadcast_to(p.base_ratio, (D, N_GRADES)))
    entrants[:, 0, 0] = stock[:, 0, 0, 0]

    entry_pop = pop[:, :, FLOW_LEVELS[0].entry_age]
    # draws are independent: a block at a time keeps the year's temporaries in cache
    for d0 in range(0, D, BLOCK):
        d = slice(d0, min(d0 + BLOCK, D))
        _flows_block(
            stock[d], graduates[d], entrants[d], cohort_mig[d], promo[d], rep[d], trans[d], entry[d],
            entry_pop[d], mig_grade[d],
        )  # fmt: skip

    pre = preschool_enrolment(pop, np.broadcast_to(p.preschool_rate, (D, T, 3)))
    return StudentFlows(
        stock=stock, graduates=graduates, entrants=entrants, preschool=pre, cohort_migration=cohort_mig
    )


# draws run together through the years (their temporaries stay in cache)
BLOCK = 1024


def _flows_block(
    stock: np.ndarray,
    graduates: np.ndarray,
    entrants: np.ndarray,
    cohort_mig: np.ndarray,
    promo: np.ndarray,
    rep: np.ndarray,
    trans: np.ndarray,
    entry: np.ndarray,
    entry_pop: np.ndarray,
    mig_grade: np.ndarray,
) -> None:
    """Years 1.. of ``simulate_students`` for a block of draws, into its arrays."""
    D, T = stock.shape[:2]
    for t in range(1, T):
        prev = stock[:, t - 1]
        promoted = promo[:, t - 1, :, None] * prev
        repeated = rep[:, t - 1, :, None] * prev
        new = np.zeros_like(prev)
        new[:, 1:, :] = promoted[:, :-1, :] * _CONTINUES[:-1, None]
        new[:, :, 1:] += repeated[:, :, :-1]
        new[:, :, -1] += repeated[:, :, -1]
        grads = promoted[:, LAST, :]  # (D, K, L)
        into = np.einsum("dkl,dkj->djl", grads, trans[:, t])  # (D, K, L)
        new[:, FIRST, :] += into
        new *= mig_grade[:, t, :, None]
        first_grade = entry[:, t] * entry_pop[:, t]
        new[:, 0, 0] += first_grade

        stock[:, t] = new
        graduates[:, t] = grads
        entrants[:, t] = into.sum(axis=2)
        entrants[:, t, 0] = first_grade
        cm = np.ones((D, N_GRADES))
        cm[:, 1:] = cohort_mig[:, t - 1, :-1] * mig_grade[:, t, 1:]
        cohort_mig[:, t] = cm


def consolidation_rate(flows: StudentFlows, p: StudentParams) -> np.ndarray:
    """Nine-year consolidation rate (巩固率) for each year, (D, T).

    Junior graduates at the end of year t over the primary entrants of year t−8
    (their cohort), the entrants carried along by the cohort's net migration so
    that transfers in and out do not count as dropping out, as in official
    statistics. Entrants before the base year are reconstructed from the base
    stock: grade g's pupils divided by their survival to grade g.
    """
    D, T = flows.entrants.shape[:2]
    promo = np.broadcast_to(1.0 - p.repetition - p.dropout, (D, T, N_GRADES))
    trans_pj = np.broadcast_to(p.transition, (D, T, K, K))[:, 0, 0, 1]
    jk = LEVEL_INDEX["junior"]
    last_junior = LAST[jk]
    grads = flows.stock[:, :, last_junior, :].sum(axis=2) * promo[:, :, last_junior]

    # survival from entry to grade g in the base year (compulsory grades 0..8)
    surv = np.ones((D, last_junior + 1))
    for g in range(1, last_junior + 1):
        step = promo[:, 0, g - 1] * (trans_pj if g == FIRST[jk] else 1.0)
        surv[:, g] = surv[:, g - 1] * step
    base_entrants = flows.stock[:, 0, : last_junior + 1, :].sum(axis=2) / surv  # entered in year start-g

    out = np.empty((D, T))
    for t in range(T):
        y = t - last_junior
        ent = flows.entrants[:, y, 0] if y >= 0 else base_entrants[:, -y]
        out[:, t] = grads[:, t] / (ent * flows.cohort_migration[:, t, last_junior])
    return out


def student_params(cfg: Students, ctx: StageContext, pop0: np.ndarray) -> StudentParams:
    """Scenario's ``students:`` section → arrays; axis 0 is the draw (size 1 unless an input is uncertain).

    pop0: (D, 101) base population. Every value is read through ``ctx.evaluate`` by its path,
    so an ``uncertainty:`` entry for it varies it by draw.
    """
    T = len(ctx.years)

    def ev(path, s):
        return ctx.evaluate(f"students.{path}", s, 0.0, 1.0)  # (1|D, T)

    rep_parts, drop_parts = [], []
    for lv in LEVELS:
        flow = getattr(cfg.flows, lv.name)
        for parts, what in ((rep_parts, "repetition"), (drop_parts, "dropout")):
            v = getattr(flow, what)
            per_grade = v if isinstance(v, list) else [v] * lv.grades
            parts.extend(ev(f"flows.{lv.name}.{what}", g) for g in per_grade)
    rep = _stack(rep_parts)  # (D', T, G)
    drop = _stack(drop_parts)
    tr = cfg.transitions
    L = LEVEL_INDEX
    pairs = {
        (L["primary"], L["junior"]): ev("transitions.primary_to_junior", tr.primary_to_junior),
        (L["senior_general"], L["undergraduate"]): ev(
            "transitions.senior_to_undergraduate", tr.senior_to_undergraduate
        ),
        (L["senior_general"], L["higher_vocational"]): ev(
            "transitions.senior_to_higher_vocational", tr.senior_to_higher_vocational
        ),
        (L["secondary_vocational"], L["higher_vocational"]): ev(
            "transitions.vocational_to_higher_vocational", tr.vocational_to_higher_vocational
        ),
        (L["higher_vocational"], L["undergraduate"]): ev(
            "transitions.higher_vocational_to_undergraduate", tr.higher_vocational_to_undergraduate
        ),
    }
    upper = ev("transitions.junior_to_upper_secondary", tr.junior_to_upper_secondary)
    voc = ev("transitions.vocational_share", tr.vocational_share)
    pairs[(L["junior"], L["senior_general"])] = upper * (1 - voc)
    pairs[(L["junior"], L["secondary_vocational"])] = upper * voc
    Dp = max(v.shape[0] for v in pairs.values())
    trans = np.zeros((Dp, T, K, K))
    for (k, j), v in pairs.items():
        trans[:, :, k, j] = v

    base = cfg.base
    lo, hi = _upper_ages()
    age15_17 = pop0[:, lo : hi + 1].sum(axis=1)
    if ctx.regions is not None:  # the city's observed students per person of their ages, in every division
        age15_17 = np.repeat(age15_17.reshape(-1, ctx.R).sum(axis=1), ctx.R)
    ratio = np.zeros((pop0.shape[0], K))
    ratio[:, L["senior_general"]] = base.senior_general / age15_17
    ratio[:, L["secondary_vocational"]] = base.secondary_vocational / age15_17
    # Higher education has no observed local stock: lay it out as the steady state of the base-year flows.
    t0 = np.broadcast_to(trans[:, 0], (pop0.shape[0], K, K))
    ratio[:, L["higher_vocational"]] = (
        ratio[:, L["senior_general"]] * t0[:, L["senior_general"], L["higher_vocational"]]
        + ratio[:, L["secondary_vocational"]] * t0[:, L["secondary_vocational"], L["higher_vocational"]]
    )
    ratio[:, L["undergraduate"]] = (
        ratio[:, L["senior_general"]] * t0[:, L["senior_general"], L["undergraduate"]]
    )
    pre = _stack(
        [ev(f"preschool.enrolment_rate.{a}", cfg.preschool.enrolment_rate[a]) for a in PRESCHOOL_AGES]
    )
    entry = ev("primary_entry_rate", cfg.primary_entry_rate)
    return StudentParams(
        repetition=rep,
        dropout=drop,
        transition=trans,
        entry_rate=entry,
        preschool_rate=pre,
        base_ratio=_grade_ratios(ratio, entry[:, 0], 1.0 - rep[:, 0] - drop[:, 0], t0),
    )


def _grade_ratios(
    level_ratio: np.ndarray, entry: np.ndarray, promo: np.ndarray, trans: np.ndarray
) -> np.ndarray:
    """Base-year pupils per person of each grade's official age, (D, G).

    The compulsory grades are laid out as the steady state of the base year's own flows
    (entry rate × the share still in school at each grade, through the primary → junior
    transition), so the calibrated rates hold their values instead of drifting in the first
    years; the other levels hold their level's observed ratio in every grade.

    >>> r = _grade_ratios(np.zeros((1, 6)), np.array([0.99]), np.full((1, 22), 0.9), np.ones((1, 6, 6)))
    >>> np.round(r[0, :8], 4).tolist()
    [0.99, 0.891, 0.8019, 0.7217, 0.6495, 0.5846, 0.5261, 0.4735]
    """
    D = max(level_ratio.shape[0], entry.shape[0], promo.shape[0], trans.shape[0])
    out = np.broadcast_to(level_ratio[:, GRADE_LEVEL], (D, N_GRADES)).copy()
    p, j = FLOW_INDEX["primary"], FLOW_INDEX["junior"]
    comp = np.arange(FIRST[p], LAST[j] + 1)
    step = np.broadcast_to(promo, (D, N_GRADES))[:, comp[:-1]].copy()
    step[:, FIRST[j] - 1] *= np.broadcast_to(trans, (D, K, K))[:, p, j]  # graduates entering junior
    survival = np.concatenate([np.ones((D, 1)), np.cumprod(step, axis=1)], axis=1)
    out[:, comp] = np.broadcast_to(entry, (D,))[:, None] * survival
    return out


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """[(1|D, T), ...] → (D', T, n)."""
    D = max(p.shape[0] for p in parts)
    return np.stack([np.broadcast_to(p, (D, p.shape[1])) for p in parts], axis=-1)


def student_stage(cfg: Students, ctx: StageContext) -> dict[str, np.ndarray]:
    """Population → ``StudentFlows`` (for later stages) and the enrolment indicators."""
    population = ctx.need(Population)
    pop = population.persons
    p = student_params(cfg, ctx, pop[:, 0])
    flows = simulate_students(pop, population.migration_factor, p)
    ctx.put(flows)

    def ages(lo: int, hi: int) -> np.ndarray:
        return pop[:, :, lo : hi + 1].sum(axis=2)

    out = {"Enrolment|Preschool": flows.enrolment("preschool")}
    for lv in LEVELS:
        out[f"Enrolment|{LABEL[lv.name]}"] = flows.enrolment(lv.name)
    out["Entrants|Primary"] = flows.entrants[:, :, LEVEL_INDEX["primary"]]
    upper = sum(out[f"Enrolment|{LABEL[n]}"] for n in upper_secondary())
    out["Enrolment|Upper secondary"] = upper
    r = ctx.ratio  # a rate is undefined (NaN), not an error, when no one is of its ages
    out["GER|Preschool"] = r(
        "GER|Preschool", out["Enrolment|Preschool"], ages(PRESCHOOL_AGES[0], PRESCHOOL_AGES[-1])
    )
    out["NER|Primary"] = r(
        "NER|Primary", flows.official_age_enrolment("primary"), ages(*official_ages("primary"))
    )
    out["NER|Junior"] = r(
        "NER|Junior", flows.official_age_enrolment("junior"), ages(*official_ages("junior"))
    )
    out["GER|Upper secondary"] = r("GER|Upper secondary", upper, ages(*_upper_ages()))
    out["Share|Secondary vocational"] = r(
        "Share|Secondary vocational", out["Enrolment|Secondary vocational"], upper
    )
    out["Consolidation rate|Compulsory"] = consolidation_rate(flows, p)
    ctx.undefined.add("Consolidation rate|Compulsory")
    # flows between levels, counted in the year the graduates enter (for the Sankey diagram)
    grads = flows.graduates.sum(axis=3)  # (D, T, K)
    moved = grads[:, :, :, None] * np.broadcast_to(p.transition, grads.shape + (K,))
    for k, lv in enumerate(LEVELS):
        out[f"Graduates|{LABEL[lv.name]}"] = grads[:, :, k]
        for j, to in enumerate(LEVELS):
            if (k, j) in FLOW_PAIRS:
                out[f"Flow|{LABEL[lv.name]}|{LABEL[to.name]}"] = moved[:, :, k, j]
    # the base year's graduates left school before the base stock was counted: unknown, not 0
    for name in [n for n in out if n.startswith(("Graduates|", "Flow|"))]:
        out[name] = out[name].copy()
        out[name][:, 0] = np.nan
        ctx.undefined.add(name)
    return out
