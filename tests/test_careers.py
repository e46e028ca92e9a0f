"""The discrete-event teacher model: seeds, contracts, subsidies, training, and agreement with the
aggregate engine.

Agreement tolerance (see docs/teachers.md): for every level and year, the mean over N
draws of the DES must lie within 4.5 standard errors (sample s.d. / √N) of the aggregate
engine, plus an allowance: 0.5 teacher when regular hiring is off (both engines are then
linear in the stock, so the aggregate is the exact expectation and only sampling
separates them), and 0.5 teacher + 1 % when hiring fills vacancies (max(0, demand −
supply) of a random supply has a mean above max(0, demand − mean supply), so the DES
hires slightly more where vacancies are near zero).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import teacher_context, teachers_cfg, teachers_with

from sim.core.levels import LABEL as LEVEL_LABEL
from sim.schema.teachers import Teachers
from sim.stages.teachers import teacher_stage
from sim.stages.teachers.demand import LEVELS
from sim.stages.teachers.des import draw_attrition, stochastic_round

ROOT = Path(__file__).resolve().parents[1]
STOCK = ROOT / "data" / "teachers-stock-2020.csv"
COLS = ["level", "area", "sex", "age", "contract", "hired", "teachers"]
SCALE = 0.2  # a fifth of the city keeps the DES quick; the DES rounds fractional counts stochastically
ENROL = {
    "preschool": 66000,
    "primary": 200000,
    "junior": 100000,
    "senior_general": 58000,
    "secondary_vocational": 22000,
}


def scaled(over: dict | None = None) -> tuple[Teachers, pd.DataFrame, dict]:
    tab = pd.read_csv(STOCK)
    tab["teachers"] = tab["teachers"] * SCALE
    cfg = {
        "stock_totals": {k: v * SCALE for k, v in teachers_cfg().stock_totals.model_dump().items()},
        "tegang": {"hires": 150 * SCALE},
        "hiring": {"max_hires": 1000 * SCALE, "public_funded": 62 * SCALE},
        "redeployment": {"cap": 250 * SCALE},
        "training": {"person_trainings": 19940 * SCALE},
    }
    for k, v in (over or {}).items():
        cfg[k] = {**cfg.get(k, {}), **v}
    return teachers_with(cfg), tab, {k: v * SCALE for k, v in ENROL.items()}


def run(cfg, tab, enrol, engine="des", draws=1, seed=7, draw_index=None):
    ctx = teacher_context(draws=draws, stock=tab, enrolment=enrol, seed=seed, options={"engine": engine})
    if draw_index is not None:
        ctx.draw_index = np.asarray(draw_index)
    return teacher_stage(cfg, ctx)


def test_same_seed_same_numbers_and_draws_do_not_depend_on_chunking():
    cfg, tab, enrol = scaled()
    a = run(cfg, tab, enrol, draws=2, seed=11)
    b = run(cfg, tab, enrol, draws=2, seed=11)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    alone = run(cfg, tab, enrol, draws=1, seed=11, draw_index=[1])  # draw 1 computed in a chunk of its own
    for k in a:
        np.testing.assert_array_equal(alone[k][0], a[k][1])
    other = run(cfg, tab, enrol, draws=1, seed=12)
    assert not np.array_equal(other["Teachers|Attrition|Primary"], a["Teachers|Attrition|Primary"][:1])


def _agree(over, allowance_rel, draws=24, enrol=None, flows=(), allowance_abs=0.5):
    """Compare the DES mean with the aggregate: supply and flows by level (``flows`` adds more),
    within 4.5 SE + ``allowance_abs`` + ``allowance_rel`` × |aggregate|."""
    cfg, tab, enrol0 = scaled(over)
    enrol = enrol0 if enrol is None else {k: v * SCALE for k, v in enrol.items()}
    des = run(cfg, tab, enrol, draws=draws)
    agg = run(cfg, tab, enrol, engine="aggregate")
    checked = 0
    for lv in LEVELS:
        name = LEVEL_LABEL[lv]
        for what in ("Supply", "Retirements", "Attrition", "Hires|Regular", *flows):
            key = f"Teachers|{what}|{name}"
            m = des[key].mean(axis=0)
            se = des[key].std(axis=0, ddof=1) / np.sqrt(draws)
            tol = 4.5 * se + allowance_abs + allowance_rel * np.abs(agg[key][0])
            bad = np.abs(m - agg[key][0]) > tol
            assert not bad.any(), (key, np.flatnonzero(bad), m[bad], agg[key][0][bad], se[bad])
            checked += m.size
    for key in ("Teachers|Tegang|In contract", "Teachers|Tegang|Retained", "Teachers|Supply"):
        m, se = des[key].mean(axis=0), des[key].std(axis=0, ddof=1) / np.sqrt(draws)
        assert (np.abs(m - agg[key][0]) <= 4.5 * se + allowance_abs + allowance_rel * agg[key][0]).all(), key
    return checked, agg


def test_des_mean_matches_aggregate_without_regular_hiring():
    """Quota placements, no moves, no hiring: both engines linear in the stock."""
    over = {"hiring": {"max_hires": 0, "policy": "quota"}, "redeployment": {"cap": 0}}
    assert _agree(over, allowance_rel=0.0)[0] == 5 * 4 * 16


def test_des_mean_matches_aggregate_with_hiring_to_demand():
    _agree({"hiring": {"policy": "quota"}, "redeployment": {"cap": 0}}, allowance_rel=0.01)


# preschool short of teachers and primary above demand, so that teachers move (the cap binds in the
# first years) and retire early
ENROL_MOVES = {**ENROL, "preschool": 90000, "primary": 120000}


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_des_mean_matches_aggregate_with_redeployment_and_early_retirement(lag):
    """to-need placements, redeployment and early retirement: the DES decides on its own head
    counts, so where a cell is near demand it moves, places and retires early a little more or less
    than the aggregate (E[max(0, X)] ≥ max(0, E[X])): 2 teachers + 1 % allowed."""
    over = {"redeployment": {"lag": lag, "early_retirement": {"share": 0.3}}}
    flows = ("Redeployed|In", "Redeployed|Out", "Early retirements")
    _, agg = _agree(over, allowance_rel=0.01, enrol=ENROL_MOVES, flows=flows, allowance_abs=2.0)
    assert agg["Teachers|Redeployed"][0].sum() > 50 and agg["Teachers|Early retirements"][0].sum() > 50
    assert agg["Teachers|Redeployed|In|Preschool"][0, max(lag, 1)] == pytest.approx(250 * SCALE)  # cap binds


def test_tegang_contracts_end_exactly_after_three_years_in_des():
    tab = pd.DataFrame([("primary", "urban", "male", 30, "regular", None, 0)], columns=COLS)
    cfg = teachers_with(
        {
            "stock_totals": {lv: 0 for lv in LEVELS},
            "attrition": {18: 0.0},
            "tegang": {"hires": {2020: 0, 2021: 150, 2022: 0}, "retention": 0.5},
            "hiring": {"max_hires": 0, "public_funded": 0, "policy": "quota"},
            "redeployment": {"cap": 0},
        }
    )
    out = run(cfg, tab, {lv: 1000.0 for lv in LEVELS}, draws=3)
    ic = out["Teachers|Tegang|In contract"]
    assert (ic[:, 1:4] == 150).all() and (ic[:, 4:] == 0).all()
    kept, left = out["Teachers|Tegang|Retained"], out["Teachers|Tegang|Left"]
    assert (kept[:, 3] + left[:, 3] == 150).all()
    assert (kept.sum(axis=1) == kept[:, 3]).all()  # no contract ends in any other year
    assert (out["Teachers|Supply"][:, 4] == kept[:, 3]).all()


def test_township_subsidy_follows_tenure_brackets():
    tab = pd.DataFrame(
        [
            ("junior", "rural", "male", 33, "regular", None, 1),
            ("junior", "urban", "male", 33, "regular", None, 1),
        ],
        columns=COLS,
    )
    cfg = teachers_with(
        {
            "stock_totals": {**{lv: 0 for lv in LEVELS}, "junior": 2},
            "attrition": {18: 0.0},
            "tegang": {"hires": 0},
            "hiring": {"max_hires": 0, "public_funded": 0},
            "redeployment": {"cap": 0},
        }
    )
    out = run(cfg, tab, {lv: 0.0 for lv in LEVELS})
    sub = out["Teachers|Township subsidy|Monthly"][0]
    # started in townships at 23 → 10 years in 2020 (240 yuan), 20 years in 2030 (300 yuan); urban gets none
    assert sub[:10].tolist() == [240.0] * 10 and sub[10:].tolist() == [300.0] * 6


def test_training_share_is_a_share_and_responds_to_capacity():
    cfg, tab, enrol = scaled()
    low = run(cfg, tab, enrol, draws=1)["Teachers|Training|Share meeting 360h"]
    cfg_hi, _, _ = scaled({"training": {"person_trainings": 1e6}})
    high = run(cfg_hi, tab, enrol, draws=1)["Teachers|Training|Share meeting 360h"]
    assert ((low >= 0) & (low <= 1)).all()
    assert (high == 1.0).all() and (low < 0.9).all()


def test_attrition_draws_follow_the_hazard():
    rng = np.random.default_rng(3)
    lam = np.full(53, -np.log(1 - 0.1))  # 10 % a year at every age
    t = draw_attrition(np.full(200_000, 2020.0), np.full(200_000, 30), lam, rng)
    assert np.mean(t < 2021) == pytest.approx(0.1, abs=0.003)
    assert np.mean(t < 2025) == pytest.approx(1 - 0.9**5, abs=0.004)


def test_stochastic_rounding_is_unbiased():
    rng = np.random.default_rng(5)
    assert stochastic_round(np.full(100_000, 2.3), rng).mean() == pytest.approx(2.3, abs=0.01)


def test_stock_flow_identity_holds_exactly_per_draw():
    cfg, tab, enrol = scaled({"redeployment": {"early_retirement": {"share": 0.2}}})
    out = run(cfg, tab, enrol, draws=1)
    names = [LEVEL_LABEL[lv] for lv in LEVELS]
    s = out["Teachers|Supply"][0]
    leave = sum(out[f"Teachers|{w}|{n}"][0] for w in ("Retirements", "Attrition") for n in names)
    leave = leave + out["Teachers|Tegang|Left"][0]
    enter = sum(out[f"Teachers|Hires|Regular|{n}"][0] for n in names) + out["Teachers|Tegang|Hires"][0]
    early = out["Teachers|Early retirements"][0]
    assert (s[1:] == s[:-1] - leave[:-1] - early[1:] + enter[1:]).all()
