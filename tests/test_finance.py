"""Money: hand-computed totals, the three rules tripping exactly when they should, the envelope
modes, consistency with teacher inputs, the schema's errors, the scenarios and the catalogue."""

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
from sim.core.context import StageContext, TeacherSupply
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
        ctx.put(
            TeacherSupply(
                supply=supply,
                tegang_in_contract=b(teachers["tegang"]),
                township_subsidy=b(teachers["monthly"]),
            )
        )
    return ctx


def teacher_inputs(supply: float = 10.0, tegang: float = 0.0, monthly: float = 0.0, **levels) -> dict:
    return {
        "supply": {lv: levels.get(lv, supply) for lv in TEACHER_LEVELS},
        "tegang": tegang,
        "monthly": monthly,
    }


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
    # 100 students per level, 10 teachers, 5 特岗 in 2020 → 7 later, township 20 a month then 30
    ctx = ctx_of(
        flat(100.0),
        years,
        teachers=teacher_inputs(10.0, tegang=np.array([5.0, 7.0, 7.0]), monthly=np.array([20.0, 30.0, 30.0])),
    )
    out = finance_stage(cfg, ctx)
    # recurrent: 5 levels × 100 × 1,000 = 500,000 a year
    assert out["Spending|Recurrent"][0].tolist() == [500000.0] * 3
    # programmes: township 12×(20, 30, 30) + 特岗 local (pay 100 − central 40) × (5, 7, 7) + training 60
    prog = np.array([240 + 300 + 60, 360 + 420 + 60, 360 + 420 + 60], float)
    assert out["Spending|Subsidy|Township"][0].tolist() == [240, 360, 360]
    assert out["Spending|Tegang"][0].tolist() == [300, 420, 420]
    assert out["Spending|Tegang|Central"][0].tolist() == [200, 280, 280]
    assert out["Spending|Training"][0].tolist() == [60, 60, 60]
    np.testing.assert_allclose(out["Spending|Programmes|Increment"][0], prog - prog[0])
    # projects: 600 over 2021-2022 = 300 each, running 50 from 2022
    assert out["Spending|Projects"][0].tolist() == [0, 300, 350]
    assert out["Capacity|Added|Kindergarten places"][0].tolist() == [0, 0, 30]
    np.testing.assert_allclose(out["Spending|Total"][0], [500000, 500000 + 240 + 300, 500000 + 240 + 350])
    # envelope: base-year required (500,000), flat → gap = required − 500,000
    np.testing.assert_allclose(out["Budget|Envelope"][0], 500000)
    np.testing.assert_allclose(out["Budget|Gap"][0], [0, 540, 590])
    # pay bill: 10 teachers × 100 per level, inside (not added to) recurrent spending
    assert out["Spending|Pay bill"][0].tolist() == [5000.0] * 3
    assert out["Spending|Non-personnel|Primary"][0].tolist() == [99000.0] * 3
    assert out["Spending|Per student|Junior"][0].tolist() == [1000.0] * 3


def test_bottom_up_by_hand():
    years = np.arange(2020, 2022)
    cfg = simple(recurrent="bottom_up", personnel_share=flat(0.25))
    ctx = ctx_of(flat(100.0), years, teachers=teacher_inputs(10.0, tegang=5.0, monthly=20.0))
    out = finance_stage(cfg, ctx)
    # per level: pay bill 10×100 + 1,000×(1−0.25)×100 = 76,000
    assert out["Spending|Primary"][0].tolist() == [76000.0, 76000.0]
    # extras: township 240 − central 特岗 subsidy 5×40 = 40 (no base-year netting in this mode)
    np.testing.assert_allclose(out["Spending|Total"][0], 5 * 76000 + 40)
    np.testing.assert_allclose(out["Spending|Per student|Primary"][0], 760.0)


def test_price_index_and_real_terms():
    cfg = simple(price_index={"start": 2.0, "growth": 0.1})  # rebased: base year = 1
    out = finance_stage(cfg, ctx_of(flat(100.0), np.arange(2020, 2023)))
    np.testing.assert_allclose(out["Price index"][0], [1.0, 1.1, 1.21])
    np.testing.assert_allclose(out["Spending|Total|Real"][0], 500000 / np.array([1.0, 1.1, 1.21]))


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
    ps = flat(1000)
    ps["junior"] = {2020: 1000, 2026: 1000, 2027: 990, 2028: 1000}
    # rising enrolment keeps the total from falling, so only the per-student rule trips
    out = finance_stage(simple(per_student=ps), ctx_of(flat(100.0) | {"primary": 100.0 + (YEARS - 2020)}))
    b = breaches(out, YEARS)
    assert [(x.rule, x.year, x.level) for x in b] == [(RULE_PER_STUDENT, 2027, "Junior")]
    assert b[0].amount == pytest.approx(10.0)
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
    out = finance_stage(cfg, ctx_of({lv: enrol for lv in LEVELS}))
    for lv in LEVELS:
        ps = out[f"Spending|Per student|{LABEL[lv]}"][0]
        assert (np.diff(ps) > 0).all()
        np.testing.assert_allclose(ps, 600000 / 5 / enrol)
    np.testing.assert_allclose(out["Spending|Total"][0], 600000)
    assert out["Rule|Spending does not fall"].min() == 1 and out["Rule|Per student does not fall"].min() == 1
    # required mode on the same inputs: per-student flat, total falls every year, gap negative
    req = finance_stage(simple(envelope=600000), ctx_of({lv: enrol for lv in LEVELS}))
    np.testing.assert_allclose(req["Spending|Per student|Primary"][0], 1000)
    assert req["Rule|Spending does not fall"][0, 1:].sum() == 0
    np.testing.assert_allclose(
        req["Spending|Per student|Affordable|Primary"], out["Spending|Per student|Primary"]
    )


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
    out = finance_stage(cfg, ctx_of(flat(100.0)))
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
    st.sampled_from(["per_student", "bottom_up"]),
)
def test_draws_are_independent_and_affordable_spends_the_envelope(vals, allocation, recurrent):
    enrol = np.array(vals).reshape(3, 16)
    cfg = finance_with({"allocation": allocation, "recurrent": recurrent})
    many = finance_stage(cfg, ctx_of({lv: enrol for lv in LEVELS}, draws=3))
    for d in range(3):
        one = finance_stage(cfg, ctx_of({lv: enrol[d] for lv in LEVELS}))
        for k in (
            "Spending|Total",
            "Budget|Gap",
            "Spending|Per student|Junior",
            "Rule|Spending does not fall",
        ):
            np.testing.assert_allclose(many[k][d], one[k][0], rtol=1e-12)
    if allocation == "affordable":
        # the envelope is spent exactly unless programmes and projects alone exceed it (tiny
        # enrolments): then recurrent spending is cut to zero and the total is those alone
        fits = many["Budget|Affordable scale"] > 0
        np.testing.assert_allclose(many["Spending|Total"][fits], many["Budget|Envelope"][fits], rtol=1e-9)
        assert (many["Spending|Total"][~fits] >= many["Budget|Envelope"][~fits]).all()
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
    assert data["extends"] == "baseline" and data["name"] == name
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
    out = finance_stage(finance_cfg(), finance_context())
    assert set(out) == set(names)
    assert all(a.shape == (1, len(YEARS)) for a in out.values())


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
    assert catalogue()["Budget|Gap"].zh == "经费缺口"


def test_runner_end_to_end():
    from sim.run.simulate import simulate_scenario

    res = simulate_scenario("budget-freeze")
    ps = [res.value("Spending|Per student|Primary", y) for y in (2023, 2030, 2035)]
    assert ps[0] < ps[1] < ps[2]
    assert res.value("Rule|Spending does not fall", 2030) == 1
    assert res.value("Budget|Envelope", 2023) == pytest.approx(res.value("Budget|Envelope", 2035))
