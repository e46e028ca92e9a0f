"""Teacher demand (ratio, class, curriculum hours), the schema's checks and the aggregate stock-flow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import set_grades, teacher_context, teachers_cfg, teachers_with
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.core.context import StageContext, StudentFlows
from sim.core.levels import LABEL
from sim.schema.teachers import Teachers, check_stock
from sim.stages.teachers import teacher_stage
from sim.stages.teachers.demand import LEVELS, classes_needed, elasticity_demand, teacher_demand
from sim.stages.teachers.retirement import retirement_delay_months, retirement_instants

ROOT = Path(__file__).resolve().parents[1]
STOCK = ROOT / "data" / "teachers-stock-2020.csv"
YEARS = np.arange(2020, 2036)
COLS = ["level", "area", "sex", "age", "contract", "hired", "teachers"]
ZERO_TOTALS = {lv: 0 for lv in LEVELS}


def frozen(**over) -> Teachers:
    """Settings with no hiring, no attrition and no moves: the stock only ages and retires (特岗
    placed as quotas, whatever the vacancies)."""
    cfg = {
        "attrition": {18: 0.0},
        "tegang": {"hires": 0},
        "hiring": {"rule": "budget", "max_hires": 0, "public_funded": 0, "policy": "quota"},
        "redeployment": {"cap": 0},
        "retirement": {"reform": False},
    }
    for k, v in over.items():
        cfg[k] = {**cfg.get(k, {}), **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return teachers_with(cfg)


def ctx_with(stock: pd.DataFrame, draws: int = 1, enrol: float = 1000.0, **kw) -> StageContext:
    ctx = teacher_context(draws=draws, years=YEARS, stock=stock, enrolment={lv: enrol for lv in LEVELS}, **kw)
    return ctx


def stock(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


def totals_of(df: pd.DataFrame) -> dict:
    s = df.groupby("level")["teachers"].sum()
    return {lv: float(s.get(lv, 0.0)) for lv in LEVELS}


# ------------------------------------------------------------------------ demand
def test_ratio_mode_by_hand():
    cfg = teachers_with({"demand": {"rural_share": {"primary": 0.3}}})
    ctx = teacher_context(
        enrolment={
            "preschool": 660,
            "primary": 1900,
            "junior": 1350,
            "senior_general": 1250,
            "secondary_vocational": 2000,
        }
    )
    dem, _, _ = teacher_demand(cfg, ctx)
    k = LEVELS.index
    # staff posts × the share of full-time teachers in staff (0.931 / 0.900 / 0.871)
    assert dem[0, 0, k("primary")].tolist() == pytest.approx([70.0 * 0.931, 30.0 * 0.931])  # 1900/19, 70/30
    assert dem[0, 0, k("junior")].sum() == pytest.approx(90.0)  # 1350/13.5 × 0.900
    assert dem[0, 0, k("senior_general")].sum() == pytest.approx(87.1)  # 1250/12.5 × 0.871
    assert dem[0, 0, k("secondary_vocational")].sum() == pytest.approx(100.0)  # 2000/20, already teachers
    # kindergarten: 220 children per age in classes of 25/30/35, 2 teachers a class, not rounded
    assert dem[0, 0, k("preschool")].sum() == pytest.approx(2 * (220 / 25 + 220 / 30 + 220 / 35))


def test_ratio_mode_teachers_per_staff_scales_staff_norms_only():
    cfg = teachers_with(
        {"demand": {"teachers_per_staff": {"primary": 0.5, "junior": 0.5, "senior_general": 0.5}}}
    )
    ctx = teacher_context(
        enrolment={
            "preschool": 0,
            "primary": 1900,
            "junior": 0,
            "senior_general": 0,
            "secondary_vocational": 2000,
        }
    )
    dem, _, _ = teacher_demand(cfg, ctx)
    assert dem[0, 0, 1].sum() == pytest.approx(50.0)
    assert dem[0, 0, 4].sum() == pytest.approx(100.0)  # 中职 1:20 is already a teacher ratio


def test_class_mode_rounds_up_per_grade_and_area():
    cfg = teachers_with({"demand": {"mode": "class", "rural_share": {"primary": 0.5, "preschool": 0.0}}})
    ctx = teacher_context(
        enrolment={
            "preschool": 0,
            "primary": 540,
            "junior": 0,
            "senior_general": 0,
            "secondary_vocational": 0,
        }
    )
    ge = np.zeros((1, 16, 22))
    ge[:, :, 0] = 92  # 46 per area → 2 classes each
    ge[:, :, 1] = 90  # 45 per area → 1 class each
    pre = np.zeros((1, 16, 3))
    pre[:, :, :] = [26, 30, 35]  # → 2 + 1 + 1 classes
    set_grades(ctx, ge, pre)
    dem, _, _ = teacher_demand(cfg, ctx)
    assert dem[0, 0, 1].tolist() == pytest.approx([3 * 2.205, 3 * 2.205])
    assert dem[0, 0, 0].tolist() == pytest.approx([8.0, 0.0])


def test_curriculum_hours_by_hand():
    """Every grade one full class in town: PE = (2×4 + 4×3)/18 + 3×3/14 + 3×2/14."""
    shares = {lv: 0.0 for lv in LEVELS}
    cfg = teachers_with({"demand": {"rural_share": shares}})
    ctx = teacher_context(
        enrolment={
            "preschool": 0,
            "primary": 270,
            "junior": 150,
            "senior_general": 150,
            "secondary_vocational": 0,
        }
    )
    ge = np.zeros((1, 16, 22))
    ge[:, :, 0:6] = 45
    ge[:, :, 6:12] = 50
    set_grades(ctx, ge)
    _, subj, _ = teacher_demand(cfg, ctx)
    assert subj["pe"][0, 0] == pytest.approx(20 / 18 + 9 / 14 + 6 / 14)
    assert subj["arts"][0, 0] == pytest.approx((2 * 4 + 4 * 3) / 18 + 3 * 2 / 16 + 3 * 1 / 14)
    assert subj["labour"][0, 0] == pytest.approx(6 / 18 + 3 / 16 + 3 / 14)
    assert subj["civics"][0, 0] == pytest.approx(12 / 18 + 6 / 14 + 6 / 12)


@settings(max_examples=60, deadline=None)
@given(pupils=st.floats(0, 1e5), size=st.floats(1, 60))
def test_classes_hold_everyone_with_no_spare_class(pupils, size):
    c = float(classes_needed(np.array(pupils), np.array(size)))
    assert c * size >= pupils - 1e-3 * size
    assert (c - 1) * size < pupils + 1e-9 or c == 0


# ------------------------------------------------------------------------ schema
@pytest.mark.parametrize(
    "bad",
    [
        {"demand": {"staff_ratio": {"primary": 0}}},
        {"demand": {"staff_ratio": {"junior": -13.5}}},
        {"demand": {"class_size": {"primary": {"urban": 0, "rural": 45}}}},
        {"tegang": {"retention": 1.2}},
        {"tegang": {"retention": -0.1}},
        {"tegang": {"hires": {2021: 150, 2025: -5}}},
        {"hiring": {"max_hires": -1}},
        {"hiring": {"rule": "establishment"}},
        {"township_subsidy": {"bracket_years": [10, 20], "monthly": [180, 240, 300, 360]}},
        {"attrition": {30: 0.01}},
        {"tegang": {"retentoin": 0.9}},
    ],
)
def test_schema_rejects(bad):
    with pytest.raises(ValidationError):
        teachers_with(bad)


def test_defaults_validate_and_percent_accepted():
    t = teachers_with({"tegang": {"retention": "85%"}})
    assert t.tegang.retention == pytest.approx(0.85)


def test_check_stock_names_the_line():
    df = pd.read_csv(STOCK)
    check_stock(df, teachers_cfg().stock_totals)
    bad = df.copy()
    bad.loc[4, "age"] = 71
    with pytest.raises(ValueError, match="line 6: age 71"):
        check_stock(bad)
    bad = df.copy()
    bad.loc[0, "age"] = 17
    with pytest.raises(ValueError, match="line 2"):
        check_stock(bad)
    bad = df.copy()
    bad.loc[2, "teachers"] += 1
    with pytest.raises(ValueError, match="sum to"):
        check_stock(bad, teachers_cfg().stock_totals)
    bad = df.copy()
    bad.loc[3, "level"] = "primry"
    with pytest.raises(ValueError, match="line 5: level"):
        check_stock(bad)


# ------------------------------------------------------------------------ retirement
def test_no_flows_stock_ages_and_retires_at_the_statutory_age():
    rows = [("junior", "urban", "male", a, "regular", None, 1) for a in range(40, 60)]
    rows += [("junior", "urban", "female", a, "regular", None, 1) for a in range(40, 55)]
    df = stock(rows)
    cfg = frozen(stock_totals=totals_of(df))
    out = teacher_stage(cfg, ctx_with(df))
    k = np.arange(16)
    men = np.clip(20 - k, 0, None)  # ages 40..59 + k still ≤ 59
    women = np.clip(15 - k, 0, None)  # ages 40..54 + k still ≤ 54
    assert out["Teachers|Supply|Junior"][0].tolist() == pytest.approx((men + women).tolist())
    ret = (k < 20).astype(float) + (k < 15)  # one man (59) and one woman (54) each year
    assert out["Teachers|Retirements|Junior"][0].tolist() == pytest.approx(ret.tolist())
    assert out["Teachers|Hires|Regular|Junior"][0].sum() == 0


def test_reform_delay_rule_months():
    r = teachers_cfg().retirement
    birth = np.array([12 * 1965 + 0, 12 * 1965 + 3, 12 * 1965 + 4, 12 * 1976 + 7, 12 * 1976 + 8])
    assert retirement_delay_months(birth, 1965, 4, 36).tolist() == [
        1,
        1,
        2,
        35,
        36,
    ]  # 63 from births of Sep 1976
    # the delay moves every month's retirement by exactly the rule's months; 63 (58) from Sep 1976 (Sep 1981)
    for female, start, capped in ((False, 1965, 1977), (True, 1970, 1982)):
        with_r = retirement_instants(np.arange(1960, 1990), female, r)
        without = retirement_instants(
            np.arange(1960, 1990), female, teachers_cfg().retirement.model_copy(update={"reform": False})
        )
        cohorts = np.arange(1960, 1990)
        months = 12 * (cohorts[:, None] - 1) + 8 + np.arange(12)
        want = retirement_delay_months(months, start, 4, 36) / 12
        assert np.allclose(with_r - without, want)
        assert np.allclose((with_r - without)[cohorts >= capped], 3.0)


def test_reform_moves_a_third_of_the_1966_cohort_a_year_later():
    """Men of school-year cohort 1966 (born Sep 1965-Aug 1966): delays 3, 4, 5 months by birth month,
    so 8 of 12 still leave in school year 2025 and 4 move to 2026."""
    rows = [("senior_general", "urban", "male", 54, "regular", None, 12)]
    df = stock(rows)
    before = teacher_stage(frozen(stock_totals=totals_of(df)), ctx_with(df))[
        "Teachers|Retirements|Senior general"
    ][0]
    after = teacher_stage(frozen(stock_totals=totals_of(df), retirement={"reform": True}), ctx_with(df))[
        "Teachers|Retirements|Senior general"
    ][0]
    assert before[5] == pytest.approx(12) and before.sum() == pytest.approx(12)
    assert after[5] == pytest.approx(8) and after[6] == pytest.approx(4)


# ------------------------------------------------------------------------ 特岗
def test_tegang_contracts_end_after_three_years():
    df = stock([("primary", "urban", "male", 30, "regular", None, 0)])
    cfg = frozen(
        stock_totals=totals_of(df),
        tegang={"hires": {2020: 0, 2021: 150, 2022: 0}, "retention": 1.0, "primary_share": 1.0},
    )
    out = teacher_stage(cfg, ctx_with(df))
    assert out["Teachers|Tegang|In contract"][0, :6].tolist() == pytest.approx([0, 150, 150, 150, 0, 0])
    assert out["Teachers|Tegang|Retained"][0, :6].tolist() == pytest.approx([0, 0, 0, 150, 0, 0])
    assert out["Teachers|Supply|Primary|Rural"][0, 4] == pytest.approx(150)
    cfg0 = frozen(
        stock_totals=totals_of(df), tegang={"hires": {2020: 0, 2021: 150, 2022: 0}, "retention": 0.0}
    )
    out0 = teacher_stage(cfg0, ctx_with(df))
    assert out0["Teachers|Tegang|Left"][0, 3] == pytest.approx(150)
    assert out0["Teachers|Supply"][0, 4] == pytest.approx(0)


def test_hiring_fills_vacancies_up_to_the_budget():
    df = stock([("primary", "urban", "female", 30, "regular", None, 50)])
    cfg = teachers_with(
        {
            "stock_totals": totals_of(df),
            "attrition": {18: 0.0},
            "tegang": {"hires": 0},
            "hiring": {"rule": "budget", "max_hires": 20, "public_funded": 0},
            "demand": {"rural_share": {lv: 0.0 for lv in LEVELS}},
        }
    )
    ctx = ctx_with(df, enrol=0.0)
    ge = np.zeros((1, 16, 22))
    ge[:, :, 0:6] = 1900 / 0.931 / 6  # 100 / 0.931 staff posts = 100 primary teachers in town
    set_grades(ctx, ge)
    out = teacher_stage(cfg, ctx)
    assert out["Teachers|Hires|Regular|Primary"][0, :5].tolist() == pytest.approx([0, 20, 20, 10, 0])
    assert out["Teachers|Supply|Primary"][0, 4] == pytest.approx(100)
    fill = cfg.model_copy(update={"hiring": cfg.hiring.model_copy(update={"rule": "fill"})})
    assert teacher_stage(fill, ctx)["Teachers|Hires|Regular|Primary"][0, 1] == pytest.approx(50)


def test_baseline_shapes_and_names():
    df = pd.read_csv(STOCK)
    ctx = ctx_with(df, draws=3)
    out = teacher_stage(teachers_cfg(), ctx)
    cat = pd.read_csv(ROOT / "sim" / "core" / "variables" / "teachers.csv")
    assert set(out) - {"Teachers|Training|Share meeting 360h"} <= set(cat["variable"])
    assert all(v.shape == (3, 16) for v in out.values())
    assert out["Teachers|Supply"][:, 0] == pytest.approx(
        sum(teachers_cfg().stock_totals.model_dump().values())
    )


def test_stock_flow_identity():
    """Supply(t+1) = supply(t) − retirements − attrition − 特岗 leaving − early retirements of
    September t+1 + hires of September t+1 (moves between cells cancel in the city total; the identity
    cell by cell is in tests/test_teacher_policies.py)."""
    cfg = teachers_with({"redeployment": {"early_retirement": {"share": 0.2}}})
    out = teacher_stage(cfg, ctx_with(pd.read_csv(STOCK)))
    names = [LABEL[lv] for lv in LEVELS]
    s = out["Teachers|Supply"][0]
    leave = sum(out[f"Teachers|{w}|{n}"][0] for w in ("Retirements", "Attrition") for n in names)
    leave = leave + out["Teachers|Tegang|Left"][0]
    enter = sum(out[f"Teachers|Hires|Regular|{n}"][0] for n in names) + out["Teachers|Tegang|Hires"][0]
    early = out["Teachers|Early retirements"][0]
    assert early.sum() > 0
    np.testing.assert_allclose(s[1:], s[:-1] - leave[:-1] - early[1:] + enter[1:], atol=1e-6)


def test_elasticity_reproduces_englands_published_series():
    """DfE Teacher Workforce Model (2026): primary, ε = 0.80, from 2024/25."""
    pupils = np.array([[4_584_110, 4_495_718, 4_438_576, 4_357_707]], dtype=float)
    got = elasticity_demand(pupils, 215_631, 0.80)[0, 1:]
    published = np.array([212_292, 210_128, 207_054])
    assert np.all(np.abs(got / published - 1) <= 0.001), got


def test_elasticity_mode_starts_from_the_stock_and_moves_less_than_enrolment():
    ctx = teacher_context()
    f = ctx.need(StudentFlows)
    f.stock[:, :, 0:9] *= np.linspace(1.0, 0.5, 16)[None, :, None, None]  # primary and junior fall by half
    cfg = teachers_with({"demand": {"mode": "elasticity"}})
    out = teacher_stage(cfg, ctx)
    d = out["Teachers|Demand|Primary"][0]
    assert np.isclose(d[0], out["Teachers|Supply|Primary"][0, 0])  # base demand = base stock
    assert d[-1] / d[0] > 0.5  # ε < 1: falls less than pupils
    with pytest.raises(ValidationError, match="less than or equal to 2"):
        teachers_with({"demand": {"elasticity": {"primary": 2.5}}})
