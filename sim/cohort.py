"""Students grade by grade, from primary to higher education, vectorised over draws.

The state is ``S[d, g, l]``: pupils in grade ``g`` (all levels laid end to end,
see ``LEVELS``, ``FIRST`` and ``LAST``) who are ``l`` years behind the official age (0, 1, 2 or more).
Each year, per grade: a share is promoted (1 − repetition − dropout), a share
repeats (and falls one year further behind), the rest drop out. Pupils promoted
out of a level's last grade graduate; graduates enter the next levels through a
transition matrix. Pupils move with their families: every grade is multiplied
by the population model's migration factor at the grade's official age.
Preschool is not a flow: enrolment is age-specific rates × population aged 3-5.

>>> [lv.name for lv in LEVELS]
['primary', 'junior', 'senior_general', 'secondary_vocational', 'higher_vocational', 'undergraduate']
>>> N_GRADES, FIRST.tolist(), LAST.tolist()
(22, [0, 6, 9, 12, 15, 18], [5, 8, 11, 14, 17, 21])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Level:
    name: str
    grades: int
    entry_age: int
    attained: str      # the attainment category a graduate reaches
    before: str        # the category a graduate held before


LEVELS = (
    Level("primary", 6, 6, "primary", "none"),
    Level("junior", 3, 12, "junior", "primary"),
    Level("senior_general", 3, 15, "senior", "junior"),
    Level("secondary_vocational", 3, 15, "senior", "junior"),
    Level("higher_vocational", 3, 18, "junior_college", "senior"),
    Level("undergraduate", 4, 18, "bachelor", "senior"),
)
LEVEL_INDEX = {lv.name: k for k, lv in enumerate(LEVELS)}
K = len(LEVELS)
N_GRADES = sum(lv.grades for lv in LEVELS)
FIRST = np.cumsum([0] + [lv.grades for lv in LEVELS[:-1]])
LAST = FIRST + np.array([lv.grades for lv in LEVELS]) - 1
GRADE_LEVEL = np.repeat(np.arange(K), [lv.grades for lv in LEVELS])
GRADE_AGE = np.concatenate([lv.entry_age + np.arange(lv.grades) for lv in LEVELS])
N_LAGS = 3
# pupils promoted from grade g stay in the level (move to g+1) unless g is the level's last grade
LEVEL_LABEL = {"primary": "Primary", "junior": "Junior", "senior_general": "Senior general",
               "secondary_vocational": "Secondary vocational", "higher_vocational": "Higher vocational",
               "undergraduate": "Undergraduate"}
# (from, to) level pairs that a transition can join
FLOW_PAIRS = {(0, 1), (1, 2), (1, 3), (2, 4), (2, 5), (3, 4), (4, 5)}
_CONTINUES = np.ones(N_GRADES, dtype=bool)
_CONTINUES[LAST] = False


@dataclass
class StudentParams:
    """Flow parameters as arrays; axis 0 is the draw (size 1 broadcasts), axis 1 the year."""
    repetition: np.ndarray     # (D, T, G)
    dropout: np.ndarray        # (D, T, G)
    transition: np.ndarray     # (D, T, K, K): share of level k's graduates entering level j
    entry_rate: np.ndarray     # (D, T): share of 6-year-olds entering grade 1
    preschool_rate: np.ndarray  # (D, T, 3): enrolment rate at ages 3, 4, 5
    base_ratio: np.ndarray     # (D, K): base-year enrolment per person of the grade's official age


@dataclass
class StudentFlows:
    stock: np.ndarray          # (D, T, G, L)
    graduates: np.ndarray      # (D, T, K, L): graduates at the end of year t-1, counted in year t
    entrants: np.ndarray       # (D, T, K): first-grade entrants by level
    preschool: np.ndarray      # (D, T, 3): enrolled at ages 3, 4, 5
    cohort_migration: np.ndarray  # (D, T, G): migration factor accumulated along each grade's cohort path

    def enrolment(self, level: str) -> np.ndarray:
        k = LEVEL_INDEX[level]
        return self.stock[:, :, FIRST[k]:LAST[k] + 1, :].sum(axis=(2, 3))

    def official_age_enrolment(self, level: str) -> np.ndarray:
        """Pupils of the level who are of its official ages (for net enrolment rates)."""
        k = LEVEL_INDEX[level]
        n = LEVELS[k].grades
        block = self.stock[:, :, FIRST[k]:LAST[k] + 1, :]
        on_age = (np.arange(n)[:, None] + np.arange(N_LAGS)[None, :]) < n
        return (block * on_age).sum(axis=(2, 3))


def base_stock(pop0: np.ndarray, base_ratio: np.ndarray) -> np.ndarray:
    """Base-year stock (D, G, L): population at each grade's official age × the level's ratio, all on time."""
    D = max(pop0.shape[0], base_ratio.shape[0])
    stock = np.zeros((D, N_GRADES, N_LAGS))
    ref = np.broadcast_to(pop0[:, GRADE_AGE], (D, N_GRADES)).copy()
    # Local leavers in higher education study anywhere, so the city's population at 18-22
    # (depleted by migration) says little about them: lay them out on the upper-secondary cohort.
    higher = GRADE_LEVEL >= LEVEL_INDEX["higher_vocational"]
    ref[:, higher] = pop0[:, 15:18].mean(axis=1)[:, None]
    stock[:, :, 0] = ref * base_ratio[:, GRADE_LEVEL]
    return stock


def preschool_enrolment(pop: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Enrolled children by age 3-5: (D, T, A) population × (D, T, 3) rates."""
    return pop[:, :, 3:6] * rate


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
    stock[:, 0] = base_stock(pop[:, 0, :], np.broadcast_to(p.base_ratio, (D, K)))
    entrants[:, 0, 0] = stock[:, 0, 0, 0]

    for t in range(1, T):
        prev = stock[:, t - 1]
        promoted = promo[:, t - 1, :, None] * prev
        repeated = rep[:, t - 1, :, None] * prev
        new = np.zeros_like(prev)
        new[:, 1:, :] = promoted[:, :-1, :] * _CONTINUES[:-1, None]
        new[:, :, 1:] += repeated[:, :, :-1]
        new[:, :, -1] += repeated[:, :, -1]
        grads = promoted[:, LAST, :]                                   # (D, K, L)
        into = np.einsum("dkl,dkj->djl", grads, trans[:, t])          # (D, K, L)
        new[:, FIRST, :] += into
        new *= mig_grade[:, t, :, None]
        first_grade = entry[:, t] * pop[:, t, 6]
        new[:, 0, 0] += first_grade

        stock[:, t] = new
        graduates[:, t] = grads
        entrants[:, t] = into.sum(axis=2)
        entrants[:, t, 0] = first_grade
        cm = np.ones((D, N_GRADES))
        cm[:, 1:] = cohort_mig[:, t - 1, :-1] * mig_grade[:, t, 1:]
        cohort_mig[:, t] = cm

    pre = preschool_enrolment(pop, np.broadcast_to(p.preschool_rate, (D, T, 3)))
    return StudentFlows(stock=stock, graduates=graduates, entrants=entrants, preschool=pre,
                        cohort_migration=cohort_mig)


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
    base_entrants = flows.stock[:, 0, :last_junior + 1, :].sum(axis=2) / surv  # entered in year start-g

    out = np.empty((D, T))
    for t in range(T):
        y = t - last_junior
        ent = flows.entrants[:, y, 0] if y >= 0 else base_entrants[:, -y]
        out[:, t] = grads[:, t] / (ent * flows.cohort_migration[:, t, last_junior])
    return out


def student_params(cfg, ctx, pop0: np.ndarray) -> StudentParams:
    """Scenario's ``students:`` section → arrays; axis 0 is the draw (size 1 unless an input is uncertain).

    pop0: (D, 101) base population. Every value is read through ``ctx.evaluate`` by its path,
    so an ``uncertainty:`` entry for it varies it by draw.
    """
    T = len(ctx.years)

    def ev(path, s):
        return ctx.evaluate(f"students.{path}", s, 0.0, 1.0)          # (1|D, T)

    rep_parts, drop_parts = [], []
    for lv in LEVELS:
        flow = getattr(cfg.flows, lv.name)
        for parts, what in ((rep_parts, "repetition"), (drop_parts, "dropout")):
            v = getattr(flow, what)
            per_grade = v if isinstance(v, list) else [v] * lv.grades
            parts.extend(ev(f"flows.{lv.name}.{what}", g) for g in per_grade)
    rep = _stack(rep_parts)                                            # (D', T, G)
    drop = _stack(drop_parts)
    tr = cfg.transitions
    L = LEVEL_INDEX
    pairs = {
        (L["primary"], L["junior"]): ev("transitions.primary_to_junior", tr.primary_to_junior),
        (L["senior_general"], L["undergraduate"]): ev("transitions.senior_to_undergraduate", tr.senior_to_undergraduate),
        (L["senior_general"], L["higher_vocational"]): ev("transitions.senior_to_higher_vocational",
                                                          tr.senior_to_higher_vocational),
        (L["secondary_vocational"], L["higher_vocational"]): ev("transitions.vocational_to_higher_vocational",
                                                                tr.vocational_to_higher_vocational),
        (L["higher_vocational"], L["undergraduate"]): ev("transitions.higher_vocational_to_undergraduate",
                                                         tr.higher_vocational_to_undergraduate),
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
    age15_17 = pop0[:, 15:18].sum(axis=1)
    ratio = np.zeros((pop0.shape[0], K))
    ratio[:, L["primary"]] = base.primary_ner
    ratio[:, L["junior"]] = base.junior_ner
    ratio[:, L["senior_general"]] = base.senior_general / age15_17
    ratio[:, L["secondary_vocational"]] = base.secondary_vocational / age15_17
    # Higher education has no observed local stock: lay it out as the steady state of the base-year flows.
    t0 = np.broadcast_to(trans[:, 0], (pop0.shape[0], K, K))
    ratio[:, L["higher_vocational"]] = (ratio[:, L["senior_general"]] * t0[:, L["senior_general"], L["higher_vocational"]]
                                        + ratio[:, L["secondary_vocational"]] * t0[:, L["secondary_vocational"], L["higher_vocational"]])
    ratio[:, L["undergraduate"]] = ratio[:, L["senior_general"]] * t0[:, L["senior_general"], L["undergraduate"]]
    pre = _stack([ev(f"preschool.enrolment_rate.{a}", cfg.preschool.enrolment_rate[a]) for a in (3, 4, 5)])
    return StudentParams(repetition=rep, dropout=drop, transition=trans,
                         entry_rate=ev("primary_entry_rate", cfg.primary_entry_rate), preschool_rate=pre,
                         base_ratio=ratio)


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    """[(1|D, T), ...] → (D', T, n)."""
    D = max(p.shape[0] for p in parts)
    return np.stack([np.broadcast_to(p, (D, p.shape[1])) for p in parts], axis=-1)


def student_stage(scenario, ctx) -> dict[str, np.ndarray]:
    """Population → student flows (kept in ctx.arrays) and the enrolment indicators."""
    pop = ctx.arrays["population"]
    p = student_params(scenario.students, ctx, pop[:, 0])
    flows = simulate_students(pop, ctx.arrays["migration_factor"], p)
    ctx.arrays["students.flows"] = flows
    ctx.arrays["students.grade_enrolment"] = flows.stock.sum(axis=3)
    ctx.arrays["students.preschool"] = flows.preschool
    ctx.arrays["students.graduates"] = flows.graduates
    r = ctx.results
    pre = flows.preschool.sum(axis=2)
    out = {
        "Enrolment|Preschool": pre,
        "Enrolment|Primary": flows.enrolment("primary"),
        "Enrolment|Junior": flows.enrolment("junior"),
        "Enrolment|Senior general": flows.enrolment("senior_general"),
        "Enrolment|Secondary vocational": flows.enrolment("secondary_vocational"),
        "Enrolment|Higher vocational": flows.enrolment("higher_vocational"),
        "Enrolment|Undergraduate": flows.enrolment("undergraduate"),
        "Entrants|Primary": flows.entrants[:, :, LEVEL_INDEX["primary"]],
    }
    upper = out["Enrolment|Senior general"] + out["Enrolment|Secondary vocational"]
    out["Enrolment|Upper secondary"] = upper
    out["GER|Preschool"] = pre / r["Population|Age 3-5"]
    out["NER|Primary"] = flows.official_age_enrolment("primary") / r["Population|Age 6-11"]
    out["NER|Junior"] = flows.official_age_enrolment("junior") / r["Population|Age 12-14"]
    out["GER|Upper secondary"] = upper / r["Population|Age 15-17"]
    out["Share|Secondary vocational"] = out["Enrolment|Secondary vocational"] / upper
    jk = LEVEL_INDEX["junior"]
    promo_last = 1.0 - p.repetition[:, :, LAST[jk]] - p.dropout[:, :, LAST[jk]]
    out["Graduates|Junior"] = flows.stock[:, :, LAST[jk], :].sum(axis=2) * promo_last
    out["Consolidation rate|Compulsory"] = consolidation_rate(flows, p)
    # flows between levels, counted in the year the graduates enter (for the Sankey diagram)
    grads = flows.graduates.sum(axis=3)                                    # (D, T, K)
    moved = grads[:, :, :, None] * np.broadcast_to(p.transition, grads.shape + (K,))
    for k, lv in enumerate(LEVELS):
        out[f"Graduates|{LEVEL_LABEL[lv.name]}"] = grads[:, :, k]
        for j, to in enumerate(LEVELS):
            if (k, j) in FLOW_PAIRS:
                out[f"Flow|{LEVEL_LABEL[lv.name]}|{LEVEL_LABEL[to.name]}"] = moved[:, :, k, j]
    return out


def reconstructed_cohort(promotion: np.ndarray, repetition: np.ndarray, dropout: np.ndarray,
                         cohort: float = 1000.0, max_repeats: int | None = None) -> dict[str, np.ndarray]:
    """UNESCO UIS reconstructed cohort for one level, from per-grade flow rates.

    Rates are arrays (..., n_grades) with promotion + repetition + dropout = 1; repeaters meet
    the same rates again (at most ``max_repeats`` times per grade, after which they leave).
    Returns per grade ``survival`` (share of the cohort that ever reaches the grade),
    ``pupil_years`` spent in it, and for the level ``graduates``, ``years_per_graduate``
    (pupil-years of the whole cohort, dropouts' included, per graduate) and
    ``coefficient_of_efficiency`` (graduates × the number of grades / pupil-years).

    Worked by hand in tests/test_explain.py: two grades at 0.8 / 0.1 / 0.1 give survival to
    grade 2 of 0.8 / 0.9 = 0.889, 790.1 graduates of 1,000, 2.656 years per graduate and
    efficiency 0.753.
    """
    p, r = np.asarray(promotion, dtype=float), np.asarray(repetition, dtype=float)
    d = np.asarray(dropout, dtype=float)
    if not np.allclose(p + r + d, 1.0, atol=1e-9):
        raise ValueError("promotion + repetition + dropout must be 1 in every grade")
    k = np.inf if max_repeats is None else max_repeats
    # in one grade: years spent per entrant 1 + r + ... + r^k; promoted eventually p(1 + r + ... + r^k)
    stay = np.where(r < 1, (1 - r ** (k + 1)) / (1 - r), k + 1) if np.isfinite(k) else 1 / (1 - r)
    onward = p * stay
    n = p.shape[-1]
    survival = np.concatenate([np.ones(p.shape[:-1] + (1,)), np.cumprod(onward, axis=-1)[..., :-1]], axis=-1)
    pupil_years = cohort * survival * stay
    graduates = cohort * survival[..., -1] * onward[..., -1]
    total = pupil_years.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_grad = total / graduates
    return {"survival": survival, "pupil_years": pupil_years, "graduates": graduates,
            "years_per_graduate": per_grad, "coefficient_of_efficiency": graduates * n / total}


def cohort_table(scenario, year: int | None = None) -> "pd.DataFrame":
    """The reconstructed cohort of every level with the scenario's rates in ``year`` (default: base year)."""
    import pandas as pd

    from .stage import StageContext

    years = scenario.years
    year = int(years[0]) if year is None else year
    if year not in set(years.tolist()):
        raise ValueError(f"year {year} is outside the horizon {years[0]}-{years[-1]}")
    ctx = StageContext(years=years, draws=1, seed=0, draw_index=np.arange(1))
    pop0 = np.ones((1, 101))
    p = student_params(scenario.students, ctx, pop0)
    t = int(np.searchsorted(years, year))
    rows = []
    for k, lv in enumerate(LEVELS):
        sl = slice(FIRST[k], LAST[k] + 1)
        rep, drop = p.repetition[0, t, sl], p.dropout[0, t, sl]
        rc = reconstructed_cohort(1 - rep - drop, rep, drop)
        rows.append({"level": lv.name, "grades": lv.grades,
                     "survival to last grade": float(rc["survival"][-1]),
                     "graduates per 1,000": float(rc["graduates"]),
                     "years per graduate": float(rc["years_per_graduate"]),
                     "coefficient of efficiency": float(rc["coefficient_of_efficiency"])})
    return pd.DataFrame(rows)
