"""Hand-built stage contexts and a small teacher stock, for tests and benchmarks (never the real run)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from sim.core.context import StageContext, StudentFlows, TeacherSupply
from sim.core.levels import BY_NAME, MONEY_LEVELS, N_GRADES, N_LAGS, TEACHER_LEVELS, K, grade_slice

ENROLMENT_2020 = {
    "preschool": 66000,
    "primary": 200000,
    "junior": 100000,
    "senior_general": 58000,
    "secondary_vocational": 22000,
}


@lru_cache(maxsize=1)
def _baseline():
    from sim.schema.load import load

    return load("baseline").scenario


def teachers_cfg():
    """The baseline's ``teachers:`` section (the schema has no defaults of its own)."""
    return _baseline().teachers


def finance_cfg():
    return _baseline().finance


def flows(enrolment: dict[str, np.ndarray | float], draws: int, T: int) -> StudentFlows:
    """StudentFlows whose level totals are ``enrolment`` ((D, T) arrays or numbers), spread evenly over
    the grades (preschool: over ages 3-5), everyone on time."""
    stock = np.zeros((draws, T, N_GRADES, N_LAGS))
    pre = np.zeros((draws, T, 3))
    for lv, v in enrolment.items():
        v = np.broadcast_to(np.asarray(v, dtype=float), (draws, T))
        n = BY_NAME[lv].grades
        if lv == "preschool":
            pre[:] = v[:, :, None] / 3
        else:
            stock[:, :, grade_slice(lv), 0] = v[:, :, None] / n
    return StudentFlows(
        stock=stock,
        graduates=np.zeros((draws, T, K, N_LAGS)),
        entrants=np.zeros((draws, T, K)),
        preschool=pre,
        cohort_migration=np.ones((draws, T, N_GRADES)),
    )


def synthetic_stock(totals: dict[str, float]) -> pd.DataFrame:
    """A small in-memory stock: each level's total at ages 30 and 45, half rural, mostly women."""
    rows = []
    for lv in TEACHER_LEVELS:
        n = totals[lv]
        parts = [n // 4, n // 4, n // 4, n - 3 * (n // 4)]
        for (area, age, sex), m in zip(
            [
                ("urban", 30, "female"),
                ("rural", 45, "male"),
                ("urban", 45, "female"),
                ("rural", 30, "female"),
            ],
            parts,
            strict=True,
        ):
            rows.append((lv, area, sex, age, "regular", None, m))
    return pd.DataFrame(rows, columns=["level", "area", "sex", "age", "contract", "hired", "teachers"])


def teacher_context(
    draws: int = 1,
    years: np.ndarray | None = None,
    seed: int = 1,
    stock=None,
    enrolment: dict[str, float] | None = None,
    options: dict | None = None,
) -> StageContext:
    """Flat 2020 enrolment (rounded baseline figures), a stock built in memory from the baseline's totals."""
    years = np.arange(2020, 2036) if years is None else np.asarray(years)
    enrolment = enrolment or ENROLMENT_2020
    if stock is None:
        stock = synthetic_stock(teachers_cfg().stock_totals.model_dump())
    ctx = StageContext(
        years=years,
        draws=draws,
        seed=seed,
        draw_index=np.arange(draws),
        tables={"teachers-stock-2020.csv": stock},
        options=dict(options or {}),
    )
    ctx.put(flows(enrolment, draws, len(years)))
    return ctx


def finance_context(
    draws: int = 1,
    years: np.ndarray | None = None,
    enrolment: dict[str, float] | None = None,
    enrolment_growth: float = -0.02,
    teachers: bool = False,
) -> StageContext:
    """Enrolment of about the city's size falling ``enrolment_growth`` a year; with ``teachers=True``
    also supply (enrolment / 15), 450 特岗 in contract and a township subsidy."""
    years = np.arange(2020, 2036) if years is None else np.asarray(years)
    T = len(years)
    enrolment = enrolment or ENROLMENT_2020
    f = (1.0 + enrolment_growth) ** np.arange(T)
    totals = {lv: np.tile(v * f, (draws, 1)) for lv, v in enrolment.items()}
    ctx = StageContext(years=years, draws=draws, seed=0, draw_index=np.arange(draws))
    ctx.put(flows(totals, draws, T))
    if teachers:
        supply = np.stack([totals[lv] / 15.0 for lv in TEACHER_LEVELS], axis=2)
        ctx.put(
            TeacherSupply(
                supply=supply,
                tegang_in_contract=np.full((draws, T), 450.0),
                township_subsidy=np.full((draws, T), 5000 * 240.0),
            )
        )
    return ctx


__all__ = [
    "teachers_cfg",
    "finance_cfg",
    "flows",
    "synthetic_stock",
    "teacher_context",
    "finance_context",
    "MONEY_LEVELS",
]


def teachers_with(over: dict | None = None):
    """The baseline's ``teachers:`` with ``over`` merged in as a scenario would write it."""
    from sim.schema.load import _merge as merge
    from sim.schema.teachers import Teachers

    return Teachers.model_validate(merge(teachers_cfg().model_dump(mode="python"), over or {}))


def finance_with(over: dict | None = None):
    from sim.schema.finance import Finance
    from sim.schema.load import _merge as merge

    return Finance.model_validate(merge(finance_cfg().model_dump(mode="python"), over or {}))


def set_grades(
    ctx: StageContext, grades: np.ndarray | None = None, preschool: np.ndarray | None = None
) -> None:
    """Replace the context's pupils by grade (D, T, 22) and/or children by age (D, T, 3)."""
    f = ctx.need(StudentFlows)
    if grades is not None:
        f.stock[:] = 0.0
        f.stock[:, :, :, 0] = grades
    if preschool is not None:
        f.preschool[:] = preschool


# headless Chromium as the report tests run it: no sandbox (CI containers), no network, virtual time
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
)


def chromium() -> str:
    """The headless browser of the report tests: skipped where none is installed, but CI must have
    one (.ci/run installs it)."""
    import os
    import shutil

    import pytest

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    return exe
