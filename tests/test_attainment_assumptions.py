"""Who leaves and who counts: out-migrants' schooling and higher-education graduates credited as residents."""

import numpy as np
import pytest

from sim.stages.attainment import CATEGORIES, N_AGES, _migrate, mean_years, project_attainment


def test_out_migrants_taken_by_propensity_and_never_more_than_a_level_holds():
    table = np.array([[[60.0, 40.0]]])  # one age: 60 without a degree, 40 with
    pop = np.array([[0.0] * 6 + [50.0]])  # half the survivors leave
    factor = np.array([[1.0] * 6 + [0.5]])
    out = _migrate(table, pop, factor, np.array([1.0, 1.0]))
    assert out[0, 0].tolist() == pytest.approx([30.0, 20.0])  # equal propensity: the age's mix
    out = _migrate(table, pop, factor, np.array([0.0, 1.0]))
    assert out[0, 0].tolist() == pytest.approx([60.0, 0.0])  # only graduates leave: capped at 40
    grow = _migrate(
        table, np.array([[0.0] * 6 + [150.0]]), np.array([[1.0] * 6 + [1.5]]), np.array([0.0, 1.0])
    )
    assert grow[0, 0].tolist() == pytest.approx([90.0, 60.0])  # in-migrants have the age's mix


def _world(T=4):
    C = len(CATEGORIES)
    base = np.zeros((N_AGES, C))
    base[:, 3] = 50.0
    base[:, 5] = 50.0  # half senior, half bachelor at every age
    pop = np.full((1, T, 101), 100.0)
    factor = np.ones((1, T, 101))
    factor[:, 1:, 20:40] = 0.9  # 10 % of ages 20-39 leave each year
    pop[:, 1:, 20:40] = 90.0
    grads = np.zeros((1, T, 6, 3))
    grads[:, 1:, 5, 0] = 30.0  # undergraduates finish at 22
    return base, pop, factor, grads


def test_selective_migration_and_fewer_credited_graduates_lower_mean_years():
    base, pop, factor, grads = _world()
    years = {"none": 0, "primary": 6, "junior": 9, "senior": 12, "junior_college": 15, "bachelor": 16}
    neutral = project_attainment(base, pop, grads, factor, np.ones(6), 1.0).table
    plain = project_attainment(base, pop, grads).table
    np.testing.assert_allclose(neutral, plain, rtol=1e-12)  # neutral = the old assumption
    selective = project_attainment(base, pop, grads, factor, np.array([1, 1, 1, 1, 2, 2.0]), 1.0).table
    fewer = project_attainment(base, pop, grads, factor, np.ones(6), 0.5).table
    m = {k: mean_years(t, years)[0, -1] for k, t in (("n", neutral), ("s", selective), ("f", fewer))}
    assert m["s"] < m["n"] and m["f"] < m["n"]
    np.testing.assert_allclose(selective.sum(axis=3), neutral.sum(axis=3))  # the same people by age
    moved = (plain[0, 1, 22 - 6, 5] - plain[0, 0, 21 - 6, 5]) - (
        fewer[0, 1, 22 - 6, 5] - fewer[0, 0, 21 - 6, 5]
    )
    assert moved == pytest.approx(15.0)  # half of 30 graduates not credited


def test_the_shipped_scenario_shows_the_effect():
    from sim.run.simulate import simulate_scenario

    base, sel = simulate_scenario("baseline"), simulate_scenario("selective-migration")
    for y in (2025, 2035):
        assert sel.value("Mean years of schooling|Working age", y) < base.value(
            "Mean years of schooling|Working age", y
        )
    assert sel.value("Mean years of schooling|Working age", 2020) == base.value(
        "Mean years of schooling|Working age", 2020
    )
