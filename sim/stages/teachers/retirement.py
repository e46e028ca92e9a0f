"""Leaving the profession: statutory retirement (with the 2024 reform's gradual rise) and attrition.

Time τ is in years from 1 September of year 0: school year t is the interval [t, t+1).
"""

from __future__ import annotations

import numpy as np

from ...schema.teachers import MAX_AGE, MIN_AGE, SEXES

AGES = np.arange(MIN_AGE, MAX_AGE + 1)
A = len(AGES)
S = len(SEXES)


def retirement_delay_months(birth_month: np.ndarray, from_year: int, step: int, cap: int) -> np.ndarray:
    """Months of delay under the 2024 rule: min(cap, k // step + 1), k = months since January of
    ``from_year``.

    ``birth_month`` counts months since January of year 0 (12 × year + month − 1).

    >>> born = np.array([12 * 1964 + 11, 12 * 1965, 12 * 1965 + 3, 12 * 1965 + 4, 12 * 1980])
    >>> retirement_delay_months(born, 1965, 4, 36).tolist()
    [0, 1, 1, 2, 36]
    """
    k = birth_month - 12 * from_year
    return np.where(k >= 0, np.minimum(cap, k // step + 1), 0)


def retirement_instants(cohorts: np.ndarray, female: bool, r) -> np.ndarray:
    """Retirement times τ (years from 1 Sep of year 0) for school-year birth cohorts, (len, 12).

    A school-year cohort c is born September c−1 … August c (age t − c on 1 September t);
    column j is the birth month September c−1 + j. A teacher works through the month of
    the statutory age (plus the reform's delay) and leaves in the middle of it.

    >>> from sim.schema.load import load
    >>> r = load("baseline").scenario.teachers.retirement.model_copy(update={"reform": False})
    >>> x = retirement_instants(np.array([1965]), False, r)
    >>> bool(((x >= 2024) & (x < 2025)).all())   # men of cohort 1965 (59 on 1 Sep 2024) leave in 2024
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


def year_shares(
    years: np.ndarray, r, lam: np.ndarray, base_year: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of a (year, sex, age) group that retire, leave otherwise, and stay, during the year:
    (T, 2, A) each.

    The group's members are spread evenly over the birth months of its cohort that have
    not yet retired; a month retiring at fraction f of the year retires unless attrition
    (hazard λ) came first (probability e^{−λf}); other months stay with probability e^{−λ}.
    A base-year group past retirement on every month leaves at f = 1/24 (half a month in).

    >>> from sim.schema.load import load
    >>> r = load("baseline").scenario.teachers.retirement.model_copy(update={"reform": False})
    >>> rs, as_, ss = year_shares(np.array([2020]), r, np.zeros(53), 2020)
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
