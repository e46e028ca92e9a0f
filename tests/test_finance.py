"""Money: hand-computed totals of the one recurrent model (pay bill + non-personnel per student ×
students + programmes + projects), the sum-of-parts identity, the 2020 calibration, the comparison
path, what 特岗 teachers cost, shortfall and surplus, the three rules on the committed path, the
envelope modes, the schema's errors, the scenarios and the catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from helpers import finance_cfg, finance_context, finance_with, flows
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from sim.analysis.money_rules import breach_table, breaches
from sim.core.context import StageContext, StudentFlows, TeacherSupply
from sim.core.levels import LABEL, TEACHER_LEVELS
from sim.core.levels import MONEY_LEVELS as LEVELS
from sim.schema.finance import Finance, check_projects
from sim.stages.finance import RULE_PAY, RULE_PER_STUDENT, RULE_TOTAL, finance_stage, project_arrays

ROOT = Path(__file__).resolve().parents[1]
YEARS = np.arange(2020, 2036)


def flat(value: float) -> dict:
    return {lv: value for lv in LEVELS}


def simple(**over) -> Finance:
    """Flat, round settings that make hand computation easy: per-student 1,000, pay 100, no
    inflation, no programmes, no projects, envelope = base-year required, flat."""
    cfg = {
        "per_student": flat(1000),
        "pay": flat(100),
        "civil_servant_pay": 100,
        "tegang": {"pay": 100, "central_subsidy": 40, "in_contract_fallback": 0},
        "training": {"person_trainings": 0},
        "envelope_growth": 0.0,
        "price_index": 1.0,
        "projects": [],
    }
    cfg.update(over)
    return finance_with(cfg)


def ctx_of(
    enrol: dict[str, np.ndarray | float], years=YEARS, draws: int = 1, teachers: dict | None = None
) -> StageContext:
    """Enrolment by level; ``teachers`` (from ``teacher_inputs``) puts a TeacherSupply in the context."""
    T = len(years)
    ctx = StageContext(years=np.asarray(years), draws=draws, seed=0, draw_index=np.arange(draws))
    ctx.put(flows(enrol, draws, T))
    if teachers is not None:
        b = lambda v: np.broadcast_to(np.asarray(v, float), (draws, T)).copy()  # noqa: E731
        supply = np.stack([b(teachers["supply"].get(lv, 0.0)) for lv in TEACHER_LEVELS], axis=2)
        redeploy = teachers.get("redeployment")
        ctx.put(
            TeacherSupply(
                supply=supply,
                tegang_in_contract=b(teachers["tegang"]),
                township_subsidy=b(teachers["monthly"]),
                redeployment_cost=None if redeploy is None else b(redeploy),
            )
        )
    return ctx


def teacher_inputs(
    supply: float = 10.0, tegang: float = 0.0, monthly: float = 0.0, redeployment=None, **levels
) -> dict:
    return {
        "supply": {lv: levels.get(lv, supply) for lv in TEACHER_LEVELS},
        "tegang": tegang,
        "monthly": monthly,
        "redeployment": redeployment,
    }


@pytest.fixture(scope="module")
def baseline_block_run():
    """The baseline ``finance:`` block on a city-sized context with a teacher stage (two draws)."""
    f = Finance.model_validate(_block())
    ctx = finance_context(draws=2, teachers=True)
    return f, ctx, finance_stage(f, ctx)


# ------------------------------------------------------------------ hand computed
def test_small_case_by_hand():
    years = np.arange(2020, 2023)
    cfg = simple(
        projects=[
            {
                "name": "k",
                "start": 2021,
                "opens": 2022,
                "cost": 600,
                "running_cost": 50,
                "adds": {"kindergarten_places": 30},
            }
        ],
        training={"person_trainings": 10, "hours_per_training": 2, "cost_per_hour": 3},
    )
    # 100 students and 10 teachers per level; 5 特岗 in 2020 → 7 later; township 20 a month then 30;
    # redeployment 0, 50, 70
    ctx = ctx_of(
        flat(100.0),
        years,
        teachers=teacher_inputs(
            10.0,
            tegang=np.array([5.0, 7.0, 7.0]),
            monthly=np.array([20.0, 30.0, 30.0]),
            redeployment=np.array([0.0, 50.0, 70.0]),
        ),
    )
    out = finance_stage(cfg, ctx)
    # pay bill 10 × 100 = 1,000 a level; non-personnel per student = 1,000 − 1,000 / 100 = 990
    assert out["Spending|Pay bill|Primary"][0].tolist() == [1000.0] * 3
    assert out["Spending|Non-personnel|Per student|Primary"][0].tolist() == [990.0] * 3
    assert out["Spending|Non-personnel|Primary"][0].tolist() == [99000.0] * 3
    assert out["Spending|Primary"][0].tolist() == [100000.0] * 3  # = 1,000 per student × 100 in 2020
    assert out["Spending|Recurrent"][0].tolist() == [500000.0] * 3
    assert out["Spending|Pay bill"][0].tolist() == [5000.0] * 3
    # programmes: township 12 × (20, 30, 30) + training 60 + redeployment − central 特岗 40 × (5, 7, 7)
    assert out["Spending|Subsidy|Township"][0].tolist() == [240, 360, 360]
    assert out["Spending|Training"][0].tolist() == [60, 60, 60]
    assert out["Spending|Redeployment"][0].tolist() == [0, 50, 70]
    assert out["Spending|Tegang|Central"][0].tolist() == [200, 280, 280]
    assert out["Spending|Tegang"][0].tolist() == [300, 420, 420]  # the city's share, inside the pay bill
    np.testing.assert_allclose(out["Spending|Programmes"][0], [100, 190, 210])
    # projects: 600 over 2021-2022 = 300 each, running 50 from 2022
    assert out["Spending|Projects"][0].tolist() == [0, 300, 350]
    assert out["Capacity|Added|Kindergarten places"][0].tolist() == [0, 0, 30]
    np.testing.assert_allclose(out["Spending|Total"][0], [500100, 500490, 500560])
    # envelope: base-year required (500,100), flat → shortfall afterwards, no surplus
    np.testing.assert_allclose(out["Budget|Envelope"][0], 500100)
    np.testing.assert_allclose(out["Budget|Shortfall"][0], [0, 390, 460])
    assert out["Budget|Surplus"][0].tolist() == [0, 0, 0]
    assert out["Budget|Shortfall|Unfunded commitments"][0].tolist() == [0, 0, 0]
    assert out["Spending|Per student|Junior"][0].tolist() == [1000.0] * 3
    # the comparison: per-student path 1,000 × 100 × 5 levels + programmes + projects
    np.testing.assert_allclose(out["Spending|Comparison|Per-student path"][0], out["Spending|Total"][0])


def test_total_is_the_sum_of_its_parts_exactly():
    ctx = finance_context(draws=2, teachers=True)
    t = ctx.need(TeacherSupply)
    t.redeployment_cost = np.linspace(0.0, 3e6, 32).reshape(2, 16)
    cfg = finance_with({"price_index": {"start": 1.0, "growth": 0.03}, "non_personnel_real_growth": 0.01})
    for allocation in ("required", "affordable"):
        out = finance_stage(cfg.model_copy(update={"allocation": allocation}), ctx)
        levels = sum(out[f"Spending|{LABEL[lv]}"] for lv in LEVELS)
        programmes = (
            out["Spending|Subsidy|Township"]
            + out["Spending|Training"]
            + out["Spending|Redeployment"]
            - out["Spending|Tegang|Central"]
        )
        np.testing.assert_array_equal(out["Spending|Total"], levels + programmes + out["Spending|Projects"])
        np.testing.assert_array_equal(out["Spending|Programmes"], programmes)
        for lv in LEVELS:
            L = LABEL[lv]
            np.testing.assert_allclose(
                out[f"Spending|{L}"], out[f"Spending|Pay bill|{L}"] + out[f"Spending|Non-personnel|{L}"]
            )
        np.testing.assert_allclose(
            out["Spending|Recurrent"], out["Spending|Pay bill"] + out["Spending|Non-personnel"]
        )
        req = finance_stage(cfg, ctx)
        np.testing.assert_allclose(req["Budget|Required"], req["Spending|Total"])


def test_non_personnel_per_student_follows_prices_and_real_growth():
    years = np.arange(2020, 2024)
    cfg = simple(price_index={"start": 1.0, "growth": 0.1}, non_personnel_real_growth={2021: 0.05})
    out = finance_stage(cfg, ctx_of(flat(100.0), years, teachers=teacher_inputs(10.0)))
    index = 1.1 ** np.arange(4) * 1.05 ** np.arange(4)
    np.testing.assert_allclose(out["Spending|Non-personnel|Per student|Primary"][0], 990.0 * index)
    # the pay bill does not move with it: pay is its own series (flat here)
    np.testing.assert_allclose(out["Spending|Per student|Primary"][0], 10.0 + 990.0 * index)


def test_fewer_students_same_teachers_raise_spending_per_student():
    # 10 teachers kept while students halve: the pay bill stays, non-personnel halves
    enrol = np.where(YEARS >= 2025, 50.0, 100.0)
    out = finance_stage(simple(), ctx_of({lv: enrol for lv in LEVELS}, teachers=teacher_inputs(10.0)))
    ps = out["Spending|Per student|Senior general"][0]
    assert ps[YEARS == 2024] == pytest.approx(1000.0)
    assert ps[YEARS == 2025] == pytest.approx((1000 + 990 * 50) / 50)  # 1,010
    np.testing.assert_allclose(out["Spending|Senior general"][0, YEARS == 2025], 1000 + 990 * 50)


def test_pay_bill_above_per_student_is_floored_and_reported():
    years = np.arange(2020, 2022)
    ctx = ctx_of(flat(100.0), years, teachers=teacher_inputs(10.0))
    out = finance_stage(simple(pay=flat(100) | {"junior": 30000}), ctx)  # 3,000 a student > 1,000
    assert out["Spending|Non-personnel|Junior"][0].tolist() == [0.0, 0.0]
    assert out["Spending|Junior"][0].tolist() == [300000.0, 300000.0]  # teachers are paid in full
    assert ctx.results["Check|Non-personnel floored"][0].tolist() == [2000.0, 0.0]
    assert any("Non-personnel floored" in w for w in ctx.warnings)
    ok = ctx_of(flat(100.0), years, teachers=teacher_inputs(10.0))
    finance_stage(simple(), ok)
    assert ok.results["Check|Non-personnel floored"].max() == 0 and ok.warnings == []


def test_tegang_teachers_cost_their_pay_less_the_central_subsidy():
    years = np.arange(2020, 2023)
    base = ctx_of(flat(100.0), years, teachers=teacher_inputs(10.0, tegang=5.0))
    # 3 more 特岗 teachers in contract from 2021, all in primary schools
    more = ctx_of(
        flat(100.0),
        years,
        teachers=teacher_inputs(10.0, tegang=np.array([5.0, 8.0, 8.0]), primary=np.array([10.0, 13.0, 13.0])),
    )
    cfg = simple()
    a, b = finance_stage(cfg, base), finance_stage(cfg, more)
    d = b["Spending|Total"][0] - a["Spending|Total"][0]
    np.testing.assert_allclose(d, [0, 3 * 100 - 3 * 40, 3 * 100 - 3 * 40])  # pay 100, central 40
    np.testing.assert_allclose(b["Spending|Pay bill"][0] - a["Spending|Pay bill"][0], [0, 300, 300])
    np.testing.assert_allclose(b["Spending|Non-personnel"][0], a["Spending|Non-personnel"][0])


def test_calibration_reproduces_the_2020_estimate(baseline_block_run):
    f, ctx, out = baseline_block_run
    total_2020 = 0.0
    for lv in LEVELS:
        L = LABEL[lv]
        E = ctx.need(StudentFlows).enrolment(lv)[:, 0]
        estimate = f.per_student.get(lv).evaluate(YEARS)[0] * E
        np.testing.assert_allclose(out[f"Spending|{L}"][:, 0], estimate, rtol=1e-12)
        assert (out[f"Spending|Non-personnel|Per student|{L}"][:, 0] > 0).all()
        total_2020 += estimate
    np.testing.assert_allclose(out["Spending|Recurrent"][:, 0], total_2020, rtol=1e-12)
    np.testing.assert_allclose(
        out["Spending|Total"][:, 0],
        total_2020 + out["Spending|Programmes"][:, 0] + out["Spending|Projects"][:, 0],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        out["Spending|Comparison|Per-student path"][:, 0], out["Spending|Total"][:, 0], rtol=1e-12
    )
    assert ctx.results["Check|Non-personnel floored"].max() == 0


def test_comparison_path_is_the_per_student_path_times_students(baseline_block_run):
    f, ctx, out = baseline_block_run
    flows_ = ctx.need(StudentFlows)
    path = sum(f.per_student.get(lv).evaluate(YEARS) * flows_.enrolment(lv) for lv in LEVELS)
    np.testing.assert_allclose(
        out["Spending|Comparison|Per-student path"],
        path + out["Spending|Programmes"] + out["Spending|Projects"],
        rtol=1e-12,
    )
    # not the headline: the committed total differs from it after the base year
    assert not np.allclose(out["Spending|Comparison|Per-student path"][:, 5:], out["Spending|Total"][:, 5:])


def test_teacher_pay_rule_holds_by_assumption_in_the_baseline(baseline_block_run):
    f, ctx, out = baseline_block_run
    np.testing.assert_allclose(out["Pay|Teachers|Compulsory"], out["Pay|Civil servants"], rtol=1e-12)
    targets = {t["id"]: t for t in _yaml(ROOT / "scenarios" / "baseline.yaml")["targets"]}
    rule = targets["rule-teacher-pay-2021-2025"]
    assert "assumption" in rule["source"] and rule.get("holds_by")


def test_price_index_and_real_terms():
    cfg = simple(price_index={"start": 2.0, "growth": 0.1})  # rebased: base year = 1
    out = finance_stage(cfg, ctx_of(flat(100.0), np.arange(2020, 2023), teachers=teacher_inputs(10.0)))
    p = np.array([1.0, 1.1, 1.21])
    np.testing.assert_allclose(out["Price index"][0], p)
    # pay bill 5 × 1,000 (pay flat here), non-personnel 5 × 990 × 100 at constant real value
    np.testing.assert_allclose(out["Spending|Total"][0], 5000 + 495000 * p)
    np.testing.assert_allclose(out["Spending|Total|Real"][0], (5000 + 495000 * p) / p)
    np.testing.assert_allclose(out["Spending|Non-personnel|Per student|Primary"][0] / p, 990.0)


# ------------------------------------------------------------------ rules
def test_rule_spending_trips_only_in_the_year_enrolment_halves():
    enrol = np.where(YEARS >= 2025, 50.0, 100.0)
    out = finance_stage(simple(), ctx_of({lv: enrol for lv in LEVELS}))
    b = breaches(out, YEARS)
    assert b and all(x.rule == RULE_TOTAL for x in b)
    assert [(x.year, x.level, x.amount) for x in b] == [(2025, None, 5 * 50 * 1000.0)]
    r = out["Rule|Spending does not fall"][0]
    assert r[YEARS == 2025] == 0 and r.sum() == len(YEARS) - 1
    assert (
        out["Rule|Per student does not fall"].min() == 1
        and out["Rule|Teacher pay at least civil servants"].min() == 1
    )


def test_rule_per_student_trips_for_one_level_in_one_year():
    # junior teachers cut from 10 to 9 in 2027 only: the committed junior spending per student falls by
    # one teacher's pay (100) / 100 students; rising primary enrolment (one teacher per 10 pupils)
    # keeps the total from falling
    junior = np.where(YEARS == 2027, 9.0, 10.0)
    primary = 100.0 + (YEARS - 2020)
    ctx = ctx_of(
        flat(100.0) | {"primary": primary}, teachers=teacher_inputs(10.0, junior=junior, primary=primary / 10)
    )
    out = finance_stage(simple(), ctx)
    b = breaches(out, YEARS)
    assert [(x.rule, x.year, x.level) for x in b] == [(RULE_PER_STUDENT, 2027, "Junior")]
    assert b[0].amount == pytest.approx(1.0)
    assert out["Rule|Per student does not fall|Junior"][0].sum() == len(YEARS) - 1
    assert out["Rule|Per student does not fall|Primary"].min() == 1


def test_rule_pay_trips_from_the_year_civil_servants_overtake():
    out = finance_stage(
        simple(civil_servant_pay={2029: 100, 2030: 110}), ctx_of(flat(100.0), teachers=teacher_inputs(10.0))
    )
    b = breaches(out, YEARS, draw=0)
    assert [x.year for x in b] == list(range(2030, 2036))
    assert all(x.rule == RULE_PAY and x.amount == pytest.approx(10.0) for x in b)


def test_equal_pay_is_not_a_breach_and_compulsory_pay_is_supply_weighted():
    pay = flat(100) | {"junior": 200}
    ctx = ctx_of(flat(100.0), teachers=teacher_inputs(10.0, junior=30.0))
    out = finance_stage(simple(pay=pay, civil_servant_pay=175), ctx)
    np.testing.assert_allclose(out["Pay|Teachers|Compulsory"][0], (10 * 100 + 30 * 200) / 40)  # 175
    assert out["Rule|Teacher pay at least civil servants"].min() == 1


def test_breaches_per_draw_and_table():
    enrol = np.array([[100.0] * 16, [100.0] * 5 + [50.0] * 11])  # draw 1 halves in 2025
    ctx = ctx_of({lv: enrol for lv in LEVELS}, draws=2)
    out = finance_stage(simple(), ctx)
    assert breaches(out, YEARS, draw=0) == []
    b = breaches(out, YEARS)
    assert [(x.draw, x.year) for x in b] == [(1, 2025)]
    t = breach_table(out, YEARS)
    assert t.to_dict("records") == [
        {"draw": 1, "year": 2025, "rule": RULE_TOTAL, "level": None, "amount": 250000.0}
    ]


# ------------------------------------------------------------------ envelope modes
def test_flat_envelope_raises_per_student_as_enrolment_falls():
    enrol = 100.0 * 0.95 ** (YEARS - 2020)
    cfg = simple(allocation="affordable", envelope=600000)
    ctx = lambda: ctx_of({lv: enrol for lv in LEVELS}, teachers=teacher_inputs(10.0))  # noqa: E731
    out = finance_stage(cfg, ctx())
    # the pay bill (5 × 1,000) is paid first; non-personnel (990 × students a level) gets the rest
    np.testing.assert_allclose(out["Budget|Affordable scale"][0], (600000 - 5000) / (5 * 990 * enrol))
    for lv in LEVELS:
        ps = out[f"Spending|Per student|{LABEL[lv]}"][0]
        assert (np.diff(ps) > 0).all()
        np.testing.assert_allclose(ps, 600000 / 5 / enrol)
    np.testing.assert_allclose(out["Spending|Pay bill"][0], 5000)
    np.testing.assert_allclose(out["Spending|Total"][0], 600000)
    assert out["Rule|Spending does not fall"].min() == 1 and out["Rule|Per student does not fall"].min() == 1
    # required mode on the same inputs: total falls every year, money is left over (surplus, no shortfall)
    req = finance_stage(simple(envelope=600000), ctx())
    np.testing.assert_allclose(req["Spending|Per student|Primary"][0], 990 + 1000 / enrol)
    assert req["Rule|Spending does not fall"][0, 1:].sum() == 0
    np.testing.assert_allclose(req["Budget|Surplus"][0], 600000 - req["Budget|Required"][0])
    assert (req["Budget|Surplus"][0] > 0).all() and req["Budget|Shortfall"].max() == 0
    np.testing.assert_allclose(
        req["Spending|Per student|Affordable|Primary"], out["Spending|Per student|Primary"]
    )


def test_shortfall_and_surplus_signs():
    ctx = lambda: ctx_of(flat(100.0), teachers=teacher_inputs(10.0))  # noqa: E731
    # required 500,000 every year; envelope 450,000 until 2027, 560,000 after
    env = {2020: 450000, 2027: 450000, 2028: 560000}
    out = finance_stage(simple(envelope=env), ctx())
    short, surplus = out["Budget|Shortfall"][0], out["Budget|Surplus"][0]
    assert (short >= 0).all() and (surplus >= 0).all() and (short * surplus == 0).all()
    np.testing.assert_allclose(short - surplus, out["Budget|Required"][0] - out["Budget|Envelope"][0])
    assert short[YEARS == 2024] == pytest.approx(50000) and surplus[YEARS == 2024] == 0
    assert surplus[YEARS == 2030] == pytest.approx(60000) and short[YEARS == 2030] == 0
    from sim.core.catalogue import entry

    assert entry("Budget|Shortfall").zh == "经费缺口" and entry("Budget|Surplus").zh == "经费结余"


def test_fixed_budget_squeezes_non_personnel_never_pay():
    ctx = lambda: ctx_of(flat(100.0), teachers=teacher_inputs(10.0))  # noqa: E731
    # 2020-2024: envelope 300,000 < required 500,000 but above the pay bill (5,000): non-personnel
    # gets what is left. From 2025: 3,000, below the pay bill: pay is paid in full, non-personnel 0,
    # and the unfunded commitments (2,000) are published
    env = {2020: 300000, 2024: 300000, 2025: 3000}
    out = finance_stage(simple(allocation="affordable", envelope=env), ctx())
    early, late = YEARS < 2025, YEARS >= 2025
    np.testing.assert_allclose(out["Spending|Pay bill"][0], 5000)
    np.testing.assert_allclose(out["Spending|Non-personnel"][0, early], 295000)
    np.testing.assert_allclose(out["Spending|Total"][0, early], 300000)
    np.testing.assert_allclose(out["Budget|Affordable scale"][0, early], 295000 / 495000)
    np.testing.assert_allclose(out["Spending|Non-personnel"][0, late], 0)
    np.testing.assert_allclose(out["Spending|Total"][0, late], 5000)  # above the envelope: pay is not cut
    np.testing.assert_allclose(out["Budget|Shortfall|Unfunded commitments"][0, late], 2000)
    np.testing.assert_allclose(out["Budget|Shortfall"][0, late], 500000 - 3000)
    assert out["Budget|Shortfall|Unfunded commitments"][0, early].max() == 0
    np.testing.assert_allclose(out["Spending|Per student|Primary"][0, late], 10.0)
    # the rules see the committed path: spending and per-student spending fell in 2025
    b = breaches(out, YEARS)
    assert {(x.rule, x.year) for x in b} == {(RULE_TOTAL, 2025), (RULE_PER_STUDENT, 2025)}


def test_envelope_growth_and_freeze():
    cfg = simple(envelope_growth={2021: 0.1, 2022: 0.1, 2023: 0.0})
    out = finance_stage(cfg, ctx_of(flat(100.0)))
    env = out["Budget|Envelope"][0]
    np.testing.assert_allclose(env[:3], [500000, 550000, 605000])
    np.testing.assert_allclose(env[3:], 605000)


def test_projects_reduce_what_recurrent_spending_can_afford():
    cfg = simple(
        allocation="affordable", envelope=500000, projects=[{"name": "p", "start": 2022, "cost": 50000}]
    )
    out = finance_stage(cfg, ctx_of(flat(100.0), teachers=teacher_inputs(10.0)))
    # 2022: non-personnel gets 500,000 − pay bill 5,000 − project 50,000 = 445,000 of 495,000
    ps = out["Spending|Per student|Primary"][0]
    assert ps[YEARS == 2022] == pytest.approx(900.0) and ps[YEARS == 2021] == pytest.approx(1000.0)
    assert [b.year for b in breaches(out, YEARS) if b.level == "Primary"] == [2022]


# ------------------------------------------------------------------ consistency with teachers
def test_amounts_follow_teacher_inputs():
    ctx = finance_context(draws=2, teachers=True)
    f = finance_cfg()
    out = finance_stage(f, ctx)
    t = ctx.need(TeacherSupply)
    for k, lv in enumerate(TEACHER_LEVELS):
        np.testing.assert_allclose(
            out[f"Spending|Pay bill|{LABEL[lv]}"], t.supply[:, :, k] * f.pay.get(lv).evaluate(YEARS)
        )
    np.testing.assert_allclose(out["Spending|Subsidy|Township"], t.township_subsidy * 12)
    tg = t.tegang_in_contract * (f.tegang.pay.evaluate(YEARS) - 35200)
    np.testing.assert_allclose(out["Spending|Tegang"], tg)


def test_fallback_supply_from_pupils_per_teacher():
    ctx = ctx_of(flat(1667.0))
    out = finance_stage(simple(pupils_per_teacher=flat(16.67)), ctx)
    np.testing.assert_allclose(out["Spending|Pay bill|Primary"][0], 100.0 * 100)


def test_missing_student_flows_is_an_error():
    ctx = StageContext(years=YEARS, draws=1, seed=0, draw_index=np.arange(1))
    with pytest.raises(LookupError, match="StudentFlows"):
        finance_stage(simple(), ctx)


def test_zero_enrolment_gives_nan_per_student_not_a_breach():
    enrol = np.where(YEARS >= 2030, 0.0, 100.0)
    out = finance_stage(
        simple(), ctx_of(flat(100.0) | {"preschool": enrol, "primary": 100.0 + 10 * (YEARS - 2020)})
    )
    assert np.isnan(out["Spending|Per student|Preschool"][0, -1])
    assert out["Rule|Per student does not fall"].min() == 1


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(1.0, 1e6), min_size=16 * 3, max_size=16 * 3),
    st.sampled_from(["required", "affordable"]),
)
def test_draws_are_independent_and_affordable_spends_the_envelope(vals, allocation):
    enrol = np.array(vals).reshape(3, 16)
    cfg = finance_with({"allocation": allocation})
    many = finance_stage(cfg, ctx_of({lv: enrol for lv in LEVELS}, draws=3))
    for d in range(3):
        one = finance_stage(cfg, ctx_of({lv: enrol[d] for lv in LEVELS}))
        for k in (
            "Spending|Total",
            "Budget|Shortfall",
            "Budget|Surplus",
            "Spending|Per student|Junior",
            "Rule|Spending does not fall",
        ):
            np.testing.assert_allclose(many[k][d], one[k][0], rtol=1e-12)
    assert (many["Budget|Shortfall"] >= 0).all() and (many["Budget|Surplus"] >= 0).all()
    if allocation == "affordable":
        # the envelope is spent exactly unless the pay bill, programmes and projects alone exceed it
        # (tiny enrolments): then non-personnel spending is zero and the total is those alone
        unfunded = many["Budget|Shortfall|Unfunded commitments"]
        fits = unfunded == 0
        np.testing.assert_allclose(many["Spending|Total"][fits], many["Budget|Envelope"][fits], rtol=1e-9)
        np.testing.assert_allclose(
            many["Spending|Total"][~fits], many["Budget|Envelope"][~fits] + unfunded[~fits], rtol=1e-9
        )
        if fits.all():
            assert many["Rule|Spending does not fall"].min() == 1  # the default envelope grows


# ------------------------------------------------------------------ schema
@pytest.mark.parametrize(
    "bad, match",
    [
        ({"per_student": flat(1000) | {"primary": -1}}, "≥ 0"),
        ({"pay": {"primary": -90000}}, "≥ 0"),
        ({"price_index": 0}, "≥ 1e-12"),
        ({"price_index": {"start": 1, "growth": -1}}, "growth must be > -100"),
        ({"envelope": -5}, "≥ 0"),
        ({"projects": [{"name": "x", "start": 2022}]}, "project 'x' has no cost"),
        ({"projects": [{"name": "x", "start": 2022, "cost": -3}]}, "greater than 0"),
        (
            {"projects": [{"name": "x", "start": 2022, "cost": 1, "running_cost": -1}]},
            "greater than or equal to 0",
        ),
        ({"projects": [{"name": "x", "start": 2024, "opens": 2022, "cost": 1}]}, "before it starts"),
        (
            {"projects": [{"name": "x", "start": 2022, "cost": 1}, {"name": "x", "start": 2023, "cost": 1}]},
            "unique",
        ),
        ({"tegang": {"central_subsidy": -1}}, "≥ 0"),
        ({"budget": 1}, "Extra inputs"),
        ({"recurrent": "per_student"}, "Extra inputs"),  # one recurrent model: the switch is gone
        ({"non_personnel_real_growth": -1}, "non_personnel_real_growth must be > -100"),
    ],
)
def test_bad_input_raises(bad, match):
    with pytest.raises(ValueError, match=match):
        finance_with(bad)
    assert issubclass(ValidationError, ValueError)


def test_check_projects_names_the_project():
    f = finance_with(
        {
            "projects": [
                {"name": "ok", "start": 2021, "cost": 1},
                {"name": "late-school", "start": 2030, "opens": 2037, "cost": 1},
            ]
        }
    )
    with pytest.raises(ValueError, match="'late-school'.*2020-2035"):
        check_projects(f, 2020, 2035)
    check_projects(f, 2020, 2040)
    with pytest.raises(ValueError, match="late-school"):
        finance_stage(f, ctx_of(flat(1.0)))


def test_project_cost_spread_and_running():
    f = finance_with(
        {
            "projects": [
                {
                    "name": "a",
                    "start": 2021,
                    "opens": 2023,
                    "cost": 300,
                    "running_cost": 7,
                    "adds": {"classrooms": 4},
                }
            ]
        }
    )
    a = project_arrays(f, np.arange(2020, 2026))
    assert a["capital"].tolist() == [0, 100, 100, 100, 0, 0]
    assert a["running"].tolist() == [0, 0, 0, 7, 7, 7]
    assert a["classrooms"].tolist() == [0, 0, 0, 4, 4, 4]


# ------------------------------------------------------------------ block, scenarios, catalogue
def _yaml(path: Path) -> dict:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def _block() -> dict:
    return _yaml(ROOT / "scenarios" / "baseline.yaml")["finance"]


def test_block_validates():
    f = Finance.model_validate(_block())
    assert len(f.projects) == 4
    check_projects(f, 2020, 2035)
    out = finance_stage(f, finance_context(teachers=True))
    assert out["Spending|Projects"][0, YEARS == 2021] > 0


@pytest.mark.parametrize("name", ["budget-freeze", "tegang-300-fixed-budget"])
def test_scenarios_override_only_finance_leaves(name):
    data = _yaml(ROOT / "scenarios" / f"{name}.yaml")
    parent = {"budget-freeze": "baseline", "tegang-300-fixed-budget": "tegang-300"}[name]
    assert data["extends"] == parent and data["name"] == name
    assert set(data) <= {"extends", "name", "title", "description", "finance"}  # money only
    assert set(data["title"]) == {"zh", "en"} and set(data["description"]) == {"zh", "en"}
    f = Finance.model_validate(_block() | data["finance"])
    assert f.allocation == "affordable"
    if name == "budget-freeze":
        g = f.envelope_growth.evaluate(YEARS)
        assert g[1] == g[2] == pytest.approx(0.0277) and (g[3:] == 0).all()


def test_catalogue_covers_every_result():
    with open(ROOT / "sim" / "core" / "variables" / "finance.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(ROOT / "sim" / "core" / "variables" / "students.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert list(rows[0]) == header
    names = [r["variable"] for r in rows]
    assert len(names) == len(set(names))
    assert all(r["zh"] and r["en"] and r["unit"] for r in rows)
    ctx = finance_context()
    out = finance_stage(finance_cfg(), ctx)
    assert set(out) == {n for n in names if not n.startswith("Check|")}
    assert {n for n in names if n.startswith("Check|")} <= set(ctx.results)
    assert all(a.shape == (1, len(YEARS)) for a in out.values())
    assert not any("Gap" in n for n in names)  # a shortfall is 缺口, money left over 结余


def test_uncertain_finance_leaves_vary_by_draw():
    ctx = ctx_of(flat(100.0), draws=2)
    ctx.perturb = {
        "finance.per_student.primary": ("scale", np.array([1.0, 1.1])),
        "finance.envelope_growth": ("shift", np.array([0.0, 0.05])),
    }
    out = finance_stage(simple(), ctx)
    np.testing.assert_allclose(out["Spending|Per student|Primary"][1], 1100.0)
    np.testing.assert_allclose(out["Spending|Per student|Junior"], 1000.0)
    np.testing.assert_allclose(out["Budget|Envelope"][1, :3], 510000 * 1.05 ** np.arange(3))
    assert {"finance.per_student.primary", "finance.envelope_growth"} <= ctx.consumed


def test_catalogue_loads_with_the_other_modules():
    from sim.core.catalogue import catalogue

    catalogue.cache_clear()
    assert catalogue()["Budget|Shortfall"].zh == "经费缺口"
    assert catalogue()["Budget|Surplus"].zh == "经费结余"


def test_runner_end_to_end():
    from sim.run.simulate import simulate_scenario

    res = simulate_scenario("budget-freeze")
    ps = [res.value("Spending|Per student|Primary", y) for y in (2023, 2030, 2035)]
    assert ps[0] < ps[1] < ps[2]
    assert res.value("Rule|Spending does not fall", 2030) == 1
    assert res.value("Budget|Envelope", 2023) == pytest.approx(res.value("Budget|Envelope", 2035))
