"""The demographic account: P(t) = P(t-1) + births(t) − deaths(t) + net migration(t), exactly.

By hand on tiny cases, as a property over random inputs, and on the baseline; then the baseline's
calibration to the published 2021 figures and the smooth base-year ages (data/build_inputs.py).
"""

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.analysis.backtest import compare, observed
from sim.core.paths import data_dir
from sim.schema.load import load
from sim.stages.population import crude_death_rate, project_account, year_end


def identity_gap(acc, births):
    """|P(t) − (P(t-1) + B − D + M)| for t ≥ 1, (D, T-1)."""
    total = acc.persons.sum(axis=2)
    expected = total[:, :-1] + births[:, 1:] - acc.deaths[:, 1:] + acc.migration[:, 1:]
    return np.abs(total[:, 1:] - expected), total


def test_hand_case():
    """Ages 0, 1, 2+; q = 2 %, 10 %, 50 %; 80 births; 10 net out-migrants shared over ages 0 and 1."""
    base = np.array([100.0, 50.0, 20.0])
    births = np.array([[0.0, 80.0]])
    qx = np.broadcast_to(np.array([0.02, 0.1, 0.5]), (1, 2, 3))
    acc = project_account(base, births, qx, np.array([[0.0, -10.0]]), np.array([1.0, 1.0, 0.0]))
    # deaths: 2 + 5 + 10 among the 170 of year 0, and 80 × 0.02 / 2 = 0.8 among the births
    assert acc.deaths[0, 1] == pytest.approx(17.8)
    # before migration: age 0 = 79.2, age 1 = 98, age 2+ = 45 + 10; the 10 leave ∝ 79.2 : 98 : 0
    assert np.allclose(acc.persons[0, 1], [79.2 - 10 * 79.2 / 177.2, 98 - 10 * 98 / 177.2, 55])
    assert acc.migration[0, 1] == pytest.approx(-10.0) and acc.floored[0, 1] == 0
    assert acc.persons[0, 1].sum() == pytest.approx(170 + 80 - 17.8 - 10)  # 222.2
    # base year: one year of the base population's deaths at its rates; the scenario's migration
    assert acc.deaths[0, 0] == pytest.approx(2 + 5 + 10) and acc.migration[0, 0] == 0


def test_floored_migration_is_what_could_not_move():
    """50 want to leave a population of 20: 20 leave, 30 could not; the account holds with −20."""
    acc = project_account(
        np.array([10.0, 10.0]), np.zeros((1, 2)), np.zeros((1, 2, 2)), np.array([[0.0, -50.0]]), np.ones(2)
    )
    assert acc.persons[0, 1].tolist() == [0.0, 0.0]
    assert acc.floored[0, 1] == pytest.approx(30.0)
    assert acc.migration[0, 1] == pytest.approx(-20.0)  # scenario −50 + floored 30
    assert acc.deaths[0, 1] == 0


def test_in_migrants_arrive_where_nobody_is():
    """Nobody left at any age: in-migrants follow the schedule alone."""
    acc = project_account(
        np.zeros(3), np.zeros((1, 2)), np.zeros((1, 2, 3)), np.array([[0.0, 30.0]]), np.array([1.0, 2.0, 3.0])
    )
    assert np.allclose(acc.persons[0, 1], [5.0, 10.0, 15.0]) and acc.migration[0, 1] == pytest.approx(30.0)


A = 6
T = 5
counts = hnp.arrays(float, A, elements=st.floats(0, 1e6))
rates = hnp.arrays(float, (T, A), elements=st.floats(0, 1))
profile = hnp.arrays(float, A, elements=st.floats(1e-3, 1))


@settings(max_examples=200, deadline=None)
@given(
    counts,
    hnp.arrays(float, T, elements=st.floats(0, 1e5)),
    rates,
    hnp.arrays(float, T, elements=st.floats(-2e6, 2e6)),
    profile,
)
def test_account_holds_for_any_inputs(base, births, qx, migration, prof):
    acc = project_account(base, births[None], qx[None], migration[None], prof)
    gap, total = identity_gap(acc, births[None])
    assert (
        gap <= 1e-9 * np.maximum(1.0, total[:, :-1] + births[None, 1:] + np.abs(migration[None, 1:]))
    ).all()
    assert (acc.persons >= 0).all() and (acc.deaths >= -1e-9).all() and (acc.floored >= -1e-9).all()
    # what moved = what the scenario asked + what could not leave
    assert np.allclose(acc.migration[:, 1:], migration[None, 1:] + acc.floored[:, 1:], rtol=1e-9, atol=1e-6)
    # deaths never exceed the people exposed to them
    assert (acc.deaths[:, 1:] <= total[:, :-1] + births[None, 1:] + 1e-6).all()


def test_year_end_and_crude_rate_helpers():
    total = np.array([[100.0, 94.0, 91.0]])
    assert np.allclose(year_end(total), [[99.0, 93.5, 90.5]])
    assert np.allclose(crude_death_rate(np.array([[1.0, 0.97, 0.925]]), total), [[0.01, 0.01, 0.01]])


# ---------------------------------------------------------------- the baseline
def test_baseline_account_exact(baseline):
    r = {k: v for k, v in baseline.results.items()}
    total = r["Population|Total"]
    expected = total[:, :-1] + r["Population|Births"][:, 1:] - r["Population|Deaths"][:, 1:]
    expected = expected + r["Population|Net migration"][:, 1:]
    assert np.allclose(total[:, 1:], expected, rtol=1e-6, atol=0)
    # the published migration is the scenario's plus what could not leave
    sc = load("baseline").scenario.population
    wanted = sc.net_migration.evaluate(baseline.years)
    assert np.allclose(
        r["Population|Net migration"][0, 1:], wanted[1:] + r["Check|Population floored"][0, 1:]
    )
    assert np.allclose(
        r["Population|Crude death rate"], crude_death_rate(r["Population|Deaths"], total), equal_nan=True
    )
    # the year before the base count is not modelled: its flows are missing, not stand-ins
    for k in ("Population|Births", "Population|Deaths", "Population|Net migration"):
        assert np.isnan(r[k][:, 0]).all()


def test_baseline_reproduces_its_calibration_rows(baseline):
    """data/observed.csv rows marked `calibration` for 2021: year-end population and crude death rate."""
    obs = observed()
    assert set(obs["calibrates"].dropna()) == {2015, 2020}
    rows = obs[(obs["calibrates"] == 2020) & (obs["year"] > 2020)]
    assert set(rows["variable"]) == {"Population|Total|Year-end", "Population|Crude death rate"}
    for _, o in rows.iterrows():
        model = baseline.value(o["variable"], int(o["year"]))
        assert model == pytest.approx(o["value"], rel=2e-4), o["variable"]


def test_held_out_rows_are_compared(baseline):
    obs = observed()
    table = compare(2020, baseline.results, baseline.years, obs[obs["calibrates"].isna()])
    population = table[table["variable"].str.startswith("Population|")]
    assert set(zip(population["year"], population["variable"], strict=True)) == {
        (2023, "Population|Total|Year-end"),
        (2024, "Population|Total|Year-end"),
        (2024, "Population|Crude death rate"),
    }
    # held out, not fitted: the model is off, but not by much (numbers in data/SOURCES.md)
    assert (population["ape"] < 0.05).all() and (population["ape"] > 0.001).all()


# ---------------------------------------------------------------- the base-year ages
def base(year):
    return pd.read_csv(data_dir() / f"population-{year}.csv")["persons"].to_numpy()


def test_base_2020_keeps_the_census_groups_and_the_plan_denominators():
    p = base(2020)
    total = 3_623_713
    assert p.sum() == pytest.approx(total, abs=10)
    shares = np.array([0.1093, 0.6381, 0.2525]) / 0.9999
    assert np.allclose([p[:15].sum(), p[15:60].sum(), p[60:].sum()], shares * total, atol=10)
    assert p[65:].sum() == pytest.approx(0.1713 / 0.9999 * total, abs=10)
    assert p[3:6].sum() == pytest.approx(66_000 / 0.925, abs=1)
    assert p[15:18].sum() == pytest.approx(80_000 / 0.965, abs=1)
    assert p[0] == pytest.approx(0.1405 * (157_600 + 112_200) / 2, abs=0.1)  # births 2020: 18,953


def test_cohort_retention_between_base_files_is_smooth():
    """P2020(a+5) / P2015(a): the even split gave steps of 0.15-1.0 between successive ages."""
    r = base(2020)[5:100] / base(2015)[:95]
    assert np.abs(np.diff(r)).max() < 0.25
    assert np.abs(np.diff(base(2020)[6:15])).max() > 1  # ages 6-14 no longer one flat value


def test_build_inputs_writes_what_is_committed():
    """data/build_inputs.py rebuilds the committed population and mortality tables."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_inputs", ROOT / "data" / "build_inputs.py")
    bi = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bi)
    assert np.allclose(bi.population_2020().round(1), base(2020))
    assert np.allclose(bi.population_2015().round(1), base(2015))
    qx = pd.read_csv(data_dir() / "mortality-2020.csv")["qx"].to_numpy()
    b, m2021 = bi.calibrate(bi.population_2020())
    assert np.allclose(bi._qx(b).round(7), qx)
    assert load("baseline").scenario.population.net_migration.points[0] == (2021, round(m2021, -2))
