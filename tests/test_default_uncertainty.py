"""The baseline's default uncertainty: drift by hand, a deterministic run by default, varied and
reproducible draws with --draws, every uncertain path one a stage reads, and a child scenario's own
block replacing the baseline's whole (docs/uncertainty.md)."""

import numpy as np
import pytest
from conftest import ROOT, write
from typer.testing import CliRunner

from cli import app
from sim.core.context import StageContext
from sim.core.series import Series
from sim.run.sampling import sample
from sim.run.simulate import prepare, simulate, simulate_draws, simulate_scenario
from sim.schema.load import load
from sim.schema.paths import resolve, set_leaf
from sim.stages import can_vary
from sim.stages.population import shifted_profile

BASE = ROOT / "scenarios" / "baseline.yaml"


def same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


# ------------------------------------------------------------------ drift, by hand
def ctx_with(perturb: dict) -> StageContext:
    return StageContext(
        years=np.arange(2020, 2024), draws=2, seed=0, draw_index=np.arange(2), perturb=perturb
    )


def test_drift_on_a_series_is_a_growth_rate_from_the_base_year():
    ctx = ctx_with({"x": ("drift", np.array([0.02, -0.1]))})
    got = ctx.evaluate("x", Series.parse({2020: 100, 2023: 130}))  # 100, 110, 120, 130 written
    want = [
        [100.0, 110 * 1.02, 120 * 1.02**2, 130 * 1.02**3],
        [100.0, 110 * 0.9, 120 * 0.81, 130 * 0.729],
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert "Check|Clipped inputs" not in ctx.results  # no bounds given: nothing to clip


def test_drift_on_a_number_without_an_upper_bound_is_a_growth_rate():
    ctx = ctx_with({"m": ("drift", np.array([0.05, -0.05]))})
    got = ctx.evaluate("m", 2.0, lo=0.0)  # a multiplier (lower bound only)
    np.testing.assert_allclose(got, [[2.0, 2.1, 2.205, 2.31525], [2.0, 1.9, 1.805, 1.71475]], rtol=1e-12)


def test_drift_on_a_rate_is_additive_and_clipped_with_a_check():
    ctx = ctx_with({"r": ("drift", np.array([0.03, -0.35]))})
    got = ctx.evaluate("r", Series.parse(0.92), 0.0, 1.0)
    # 0.92 + 0.03 n: 0.95, 0.98, 1.01 → 1; 0.92 − 0.35 n: 0.57, 0.22, −0.13 → 0
    np.testing.assert_allclose(got, [[0.92, 0.95, 0.98, 1.0], [0.92, 0.57, 0.22, 0.0]], atol=1e-12)
    np.testing.assert_allclose(
        ctx.results["Check|Clipped inputs"], [[0, 0, 0, 0.01], [0, 0, 0, 0.13]], atol=1e-12
    )
    assert any("uncertain input r drawn outside [0.0, 1.0]" in w for w in ctx.warnings)


def test_other_modes_unchanged():
    s = Series.parse(10)
    for how, v, want in (("scale", 1.5, 15.0), ("shift", -2.0, 8.0), ("set", 3.0, 3.0), (None, 1.5, 15.0)):
        ctx = StageContext(
            years=np.arange(2020, 2022), draws=1, seed=0, draw_index=np.arange(1), perturb={"x": (how, [v])}
        )
        assert ctx.evaluate("x", s).tolist() == [[want, want]], how


def test_shifted_profile_by_hand():
    p = np.array([1.0, 2.0, 4.0, 1.0])
    got = shifted_profile(p, np.array([[0.0, 1.0, 0.5]]))  # one draw, three years
    np.testing.assert_allclose(got[0, 0], p / 8)
    np.testing.assert_allclose(got[0, 1], np.array([1.0, 1.0, 2.0, 4.0]) / 8)  # a − 1, age 0 held
    np.testing.assert_allclose(got[0, 2], np.array([1.0, 1.5, 3.0, 2.5]) / 8)
    assert np.allclose(got.sum(axis=2), 1.0)


# ------------------------------------------------------------------ the baseline's block
@pytest.fixture(scope="module")
def prep():
    return prepare("baseline")


def test_the_baseline_has_an_uncertainty_block_with_explicit_modes(prep):
    u = prep.scenario.uncertainty
    assert {
        "population.births",
        "population.net_migration",
        "population.migration_age_shift",
        "population.mortality_scale",
        "students.preschool.enrolment_rate.3",
        "students.transitions.vocational_share",
        "students.transitions.senior_to_undergraduate",
    } <= set(u)
    assert all(e.apply is not None for e in u.values())  # the mode is written, not left to a default
    assert u["students.transitions.vocational_share"].apply == "drift"
    assert prep.scenario.draws == 1


def test_every_uncertain_path_is_one_a_stage_reads(prep, tmp_path, monkeypatch):
    s = prep.scenario
    for path in s.uncertainty:
        assert can_vary(path), path
        resolve(s, path)  # names a number or a series of the scenario
    ctx = simulate(s.model_copy(update={"draws": 2}), prep.tables, np.arange(2))
    assert set(s.uncertainty) <= ctx.consumed  # read through evaluate, so a draw reaches the model
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["validate", "baseline"])
    assert r.exit_code == 0, r.output


def test_baseline_stays_deterministic(baseline, tmp_path):
    none = write(
        tmp_path / "none.yaml",
        f"extends: {BASE}\nname: none\ntitle: {{zh: 无, en: None}}\nuncertainty: {{}}\n",
    )
    assert not load(none).scenario.uncertainty  # a child's block replaces the baseline's, even empty
    plain = simulate_scenario(none)
    assert same(baseline.results, plain.results)
    # and --draws 1 is the same single run
    assert same(simulate_scenario("baseline", draws=1).results, plain.results)


def test_with_draws_the_inputs_vary_and_results_are_reproducible(prep):
    s = prep.scenario.model_copy(update={"draws": 24})
    drawn = sample(s.uncertainty, s.seed, np.arange(24))
    for path, v in drawn.items():
        assert len(np.unique(v)) == 24, path
    a, _ = simulate_draws(s, prep.tables, 24, chunk_size=24)
    b, _ = simulate_draws(s, prep.tables, 24, chunk_size=5)  # chunked otherwise: the same numbers
    assert same(a, b)
    years = list(s.years)
    t = years.index(2035)
    for v in ("Population|Total", "Population|Births", "Enrolment|Primary", "Teachers|Gap", "Spending|Total"):
        assert len(np.unique(np.round(a[v][:, t], 6))) > 12, v
    # drift and shifts start from the base year: 2020's rates and stocks are the written ones
    for v in ("GER|Preschool", "Enrolment|Secondary vocational", "Population|Total"):
        assert np.ptp(a[v][:, 0]) == 0, v


def test_a_childs_own_block_replaces_the_baselines():
    bt = load("backtest-2015").scenario.uncertainty
    assert set(bt) == {
        "population.births",
        "population.net_migration",
        "students.preschool.enrolment_rate.3",
        "students.preschool.enrolment_rate.4",
        "students.preschool.enrolment_rate.5",
    }
    # its entries are its own, not merged key by key with the baseline's (no inherited drift)
    assert all(e.apply in ("scale", "shift") for e in bt.values())
    assert bt["population.births"].params == {"a": -2, "b": 2, "loc": 1.0, "scale": 0.1}
    # a child without a block inherits the baseline's
    assert set(load("low-births").scenario.uncertainty) == set(load("baseline").scenario.uncertainty)


def test_the_migration_age_shift_moves_who_leaves_not_how_many(prep):
    s = prep.scenario
    later = set_leaf(s, "population.migration_age_shift", 3.0)
    a = simulate(s, prep.tables).results
    b = simulate(later, prep.tables).results
    assert np.allclose(a["Population|Net migration"][:, 1:], b["Population|Net migration"][:, 1:])
    # the whole schedule moves, its childhood part with it: 3 years later, children take the
    # (higher) rates of younger ages, so more of them leave and fewer are aged 6-11 in 2035
    assert b["Population|Age 6-11"][0, -1] < a["Population|Age 6-11"][0, -1]
    assert not np.allclose(a["Enrolment|Primary"], b["Enrolment|Primary"])
