"""The UNESCO UIS reconstructed cohort: how a cohort of 1,000 entrants moves through a level.

Worked by hand in tests/test_explain.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.context import StageContext
from ..core.levels import FIRST, LAST
from ..core.levels import FLOW_LEVELS as LEVELS
from ..stages.population import AGES
from ..stages.students import student_params


def reconstructed_cohort(
    promotion: np.ndarray,
    repetition: np.ndarray,
    dropout: np.ndarray,
    cohort: float = 1000.0,
    max_repeats: int | None = None,
) -> dict[str, np.ndarray]:
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
    return {
        "survival": survival,
        "pupil_years": pupil_years,
        "graduates": graduates,
        "dropouts": cohort - graduates,
        "years_per_graduate": per_grad,
        "coefficient_of_efficiency": graduates * n / total,
    }


def reconstructed_cohort_per_pupil(
    promotion: np.ndarray,
    repetition: np.ndarray,
    dropout: np.ndarray,
    cohort: float = 1000.0,
    max_repeats: int = 2,
) -> dict[str, np.ndarray]:
    """The UIS manual's per-pupil convention: a pupil may repeat at most ``max_repeats`` times over the
    whole level (not per grade); one who would repeat again leaves. Same outputs as
    ``reconstructed_cohort``, rates (n_grades,).

    Follows the cohort year by year over states (grade, repeats used) until no one is left.

    >>> r = reconstructed_cohort_per_pupil(np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]),
    ...                                    max_repeats=1)
    >>> round(float(r["graduates"]), 1), round(float(r["dropouts"]), 1), r["pupil_years"].round(1).tolist()
    (768.0, 232.0, [1100.0, 960.0])
    """
    p, r = np.asarray(promotion, dtype=float), np.asarray(repetition, dtype=float)
    d = np.asarray(dropout, dtype=float)
    if not np.allclose(p + r + d, 1.0, atol=1e-9):
        raise ValueError("promotion + repetition + dropout must be 1 in every grade")
    n, R = p.shape[-1], int(max_repeats)
    x = np.zeros((n, R + 1))
    x[0, 0] = cohort
    reached = np.zeros(n)
    reached[0] = cohort
    pupil_years, graduates = np.zeros(n), 0.0
    for _ in range(n * (R + 1) + 1):  # each year a pupil moves up a grade or uses a repeat
        pupil_years += x.sum(axis=1)
        promoted = x * p[:, None]
        graduates += promoted[-1].sum()
        nxt = np.zeros_like(x)
        nxt[1:] += promoted[:-1]
        reached[1:] += promoted[:-1].sum(axis=1)
        nxt[:, 1:] += (x * r[:, None])[:, :-1]  # the last repeat allowed is used; one more and they leave
        x = nxt
        if x.sum() < 1e-12 * cohort:
            break
    total = pupil_years.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_grad = total / graduates
    return {
        "survival": reached / cohort,
        "pupil_years": pupil_years,
        "graduates": np.asarray(graduates),
        "dropouts": np.asarray(cohort - graduates),
        "years_per_graduate": np.asarray(per_grad),
        "coefficient_of_efficiency": np.asarray(graduates * n / total),
    }


def cohort_table(scenario, year: int | None = None, per_pupil: int | None = None) -> pd.DataFrame:
    """The reconstructed cohort of every level with the scenario's rates in ``year`` (default: base year).

    ``per_pupil``: at most that many repetitions per pupil over the whole level (the UIS manual's
    per-pupil convention); None: repeaters meet the same rates again, without a cap.
    """
    years = scenario.years
    year = int(years[0]) if year is None else year
    if year not in set(years.tolist()):
        raise ValueError(f"year {year} is outside the horizon {years[0]}-{years[-1]}")
    ctx = StageContext(years=years, draws=1, seed=0, draw_index=np.arange(1))
    pop0 = np.ones((1, len(AGES)))
    p = student_params(scenario.students, ctx, pop0)
    t = int(np.searchsorted(years, year))
    rows = []
    for k, lv in enumerate(LEVELS):
        sl = slice(FIRST[k], LAST[k] + 1)
        rep, drop = p.repetition[0, t, sl], p.dropout[0, t, sl]
        if per_pupil is None:
            rc = reconstructed_cohort(1 - rep - drop, rep, drop)
        else:
            rc = reconstructed_cohort_per_pupil(1 - rep - drop, rep, drop, max_repeats=per_pupil)
        rows.append(
            {
                "level": lv.name,
                "grades": lv.grades,
                "survival to last grade": float(rc["survival"][-1]),
                "graduates per 1,000": float(rc["graduates"]),
                "dropouts per 1,000": float(rc["dropouts"]),
                "pupil-years per 1,000": float(rc["pupil_years"].sum()),
                "years per graduate": float(rc["years_per_graduate"]),
                "coefficient of efficiency": float(rc["coefficient_of_efficiency"]),
            }
        )
    return pd.DataFrame(rows)
