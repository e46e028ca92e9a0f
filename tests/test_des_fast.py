"""The discrete-event engine with exits applied as array updates (issue #13) against the engine it
replaced, one simpy process per teacher (``tests/reference/des_v1.py``, a verbatim copy): every
record of ``des_supply`` equal bit for bit, for the shipped scenarios' teacher settings and for every
option the engine has (placement policy, hiring rule, redeployment lags, early retirement), and
when career events fall exactly on a September round, where the order of events at one instant
decides the result. tests/test_golden.py checks the whole baseline stock against stored results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ENROLMENT_2020, teacher_context
from reference import des_v1

from sim.schema.load import _merge as merge
from sim.schema.load import load
from sim.schema.teachers import Teachers
from sim.stages.teachers import des
from sim.stages.teachers.demand import teacher_demand
from sim.stages.teachers.supply import supply_inputs

STOCK = Path(__file__).resolve().parents[1] / "data" / "teachers-stock-2020.csv"
SCALE = 0.2  # a fifth of the city: quick, and fractional counts exercise the stochastic rounding
ENGINES = (des, des_v1)


def config(scenario: str, over: dict | None = None) -> Teachers:
    """A scenario's ``teachers:`` scaled to a fifth of the city, with ``over`` merged in."""
    cfg = load(scenario).scenario.teachers
    scaled = {
        "stock_totals": {k: v * SCALE for k, v in cfg.stock_totals.model_dump().items()},
        "hiring": {"max_hires": 1000 * SCALE, "public_funded": 62 * SCALE},
        "redeployment": {"cap": 250 * SCALE},
        "training": {"person_trainings": 19940 * SCALE},
    }
    data = merge(merge(cfg.model_dump(mode="python"), scaled), over or {})
    return Teachers.model_validate(data)


def stock(hired_shift: float = 0.0) -> pd.DataFrame:
    tab = pd.read_csv(STOCK)
    tab["teachers"] = tab["teachers"] * SCALE
    tab["hired"] = tab["hired"] + hired_shift
    return tab


def compare(cfg: Teachers, seed: int, tab: pd.DataFrame | None = None, draws: int = 2) -> dict:
    """Both engines on the same inputs; demand falls and preschool is short early, so that teachers
    are moved, retire early and 特岗 find (or miss) rural room."""
    enrol = {lv: v * SCALE for lv, v in ENROLMENT_2020.items()}
    ctx = teacher_context(draws=draws, stock=stock() if tab is None else tab, enrolment=enrol, seed=seed)
    dem, _, _ = teacher_demand(cfg, ctx)
    dem = dem * np.linspace(1.0, 0.6, dem.shape[1])[None, :, None, None]
    dem[:, :4, 0] *= 1.6
    inp = supply_inputs(cfg, ctx, dem)
    new, old = (engine.des_supply(inp, ctx) for engine in ENGINES)
    assert new.keys() == old.keys()
    for key in old:
        np.testing.assert_array_equal(new[key], old[key], err_msg=key)
    return new


@pytest.mark.parametrize("scenario", ["baseline", "tegang-300", "no-retirement-reform"])
@pytest.mark.parametrize("seed", [1, 2])
def test_scenarios_bit_for_bit(scenario, seed):
    r = compare(config(scenario), seed)
    assert r["retirements"].sum() > 0 and r["tegang_left"].sum() > 0 and r["redeployed_in"].sum() > 0


OPTIONS = {
    "quota, no moves (the oldest path)": {"hiring": {"policy": "quota"}, "redeployment": {"cap": 0}},
    "to-need, early retirement, lag 0": {
        "redeployment": {"lag": 0, "early_retirement": {"share": 0.3, "years": 5}}
    },
    "quota, early retirement, lag 2, fill": {
        "hiring": {"policy": "quota", "rule": "fill"},
        "redeployment": {"lag": 2, "early_retirement": {"share": 0.5, "years": 3}},
    },
    "establishment": {
        "hiring": {
            "rule": "establishment",
            "establishment": {
                "preschool": 900,
                "primary": 1700,
                "junior": 1200,
                "senior_general": 800,
                "secondary_vocational": 200,
            },
        }
    },
    "特岗 hires by year, retention 0.5": {
        "tegang": {
            "hires": {2020: 40, 2021: 60},
            "retention": 0.5,
        }
    },
}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_options_bit_for_bit(name):
    r = compare(config("baseline", OPTIONS[name]), seed=3)
    if "early" in name:
        assert r["early_retirements"].sum() > 0


@pytest.mark.parametrize("rounding", [np.floor, np.ceil])
def test_events_on_a_september_round_keep_their_order(monkeypatch, rounding):
    """Attrition times rounded to whole years fall on the September rounds (floor: some at the very
    instant of hiring): in the old engine the order of simpy's timeouts decided whether the round
    saw such a teacher; the arrays must decide alike. Early retirement and moves read the cells."""
    for engine in ENGINES:
        draw = engine.draw_attrition
        monkeypatch.setattr(engine, "draw_attrition", lambda *a, draw=draw: rounding(draw(*a)))
    over = {"attrition": {18: 0.2, 30: 0.1}, "redeployment": {"early_retirement": {"share": 0.3}}}
    r = compare(config("baseline", over), seed=4, draws=1)
    assert r["attrition"].sum() > 0 and r["early_retirements"].sum() > 0


def test_contract_ends_on_a_september_round_keep_their_order():
    """特岗 contracts of the stock begun 1/24 year after a year start end exactly on a round."""
    cfg = config("tegang-300", {"tegang": {"retention": 0.5}})
    tab = stock(hired_shift=1.0 / 24.0)
    teg = tab["contract"] == "tegang"
    assert ((tab.loc[teg, "hired"] + 3 - 1.0 / 24.0) % 1 == 0).all()  # the contracts end on a round
    r = compare(cfg, seed=5, tab=tab, draws=1)
    assert r["tegang_left"].sum() > 0
