"""Hand-computed small cases and conservation properties of the population, student and attainment models."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.levels import FIRST, LAST, N_GRADES, N_LAGS, K
from sim.core.levels import FLOW_INDEX as LEVEL_INDEX
from sim.stages.attainment import CATEGORIES, N_AGES, mean_years, project_attainment
from sim.stages.population import project_population
from sim.stages.students import StudentParams, simulate_students

T = 4


def params(rep=0.0, drop=0.0, trans=None, entry=1.0, D=1):
    if trans is None:
        trans = np.zeros((1, T, K, K))
    return StudentParams(
        repetition=np.full((1, T, N_GRADES), rep),
        dropout=np.full((1, T, N_GRADES), drop),
        transition=trans,
        entry_rate=np.full((1, T), entry),
        preschool_rate=np.full((1, T, 3), 0.5),
        base_ratio=np.ones((1, N_GRADES)),
    )


def flat_pop(n=100.0, D=1):
    return np.full((D, T, 101), n), np.ones((D, T, 101))


def test_population_hand_case():
    base = np.array([100.0, 50.0, 20.0])
    births = np.array([[0.0, 80.0, 60.0]])
    qx = np.zeros((1, 3, 3))
    qx[:, :, 1] = 0.1  # 10 % die at age 1
    pop, factor, floored = project_population(
        base, births, qx, np.array([[0.0, -10.0, 0.0]]), np.array([1.0, 1.0, 0.0])
    )
    # year 1 before migration: age0 80, age1 100, age2+ 20 + 50*0.9 = 65;
    # 10 out-migrants shared by rate × population over ages 0 and 1: 80/180 and 100/180
    assert np.allclose(pop[0, 1], [80 - 10 * 80 / 180, 100 - 10 * 100 / 180, 65])
    assert np.allclose(factor[0, 1, :2], [1 - 10 / 180, 1 - 10 / 180])
    # year 2: age1 = age0 of year 1, age2+ = 65 + 0.9*age1
    assert np.allclose(pop[0, 2], [60, pop[0, 1, 0], 65 + 0.9 * pop[0, 1, 1]])


def test_flows_hand_case():
    """100 per grade; 10 % repeat and 5 % drop out in every grade; primary graduates all enter junior."""
    trans = np.zeros((1, T, K, K))
    trans[:, :, 0, 1] = 1.0
    pop, mig = flat_pop(100.0)
    f = simulate_students(pop, mig, params(rep=0.1, drop=0.05, trans=trans))
    s1 = f.stock[0, 1]
    # grade 2 of primary: 85 promoted from grade 1 + 10 repeaters (one year behind)
    assert np.isclose(s1[1, 0], 85) and np.isclose(s1[1, 1], 10)
    # grade 1: 100 new entrants (entry rate 1 × 100 six-year-olds) + 10 repeaters
    assert np.isclose(s1[0, 0], 100) and np.isclose(s1[0, 1], 10)
    # primary graduates: 85 % of grade 6 → junior grade 1 (plus junior grade 1 repeaters)
    assert np.isclose(f.graduates[0, 1, 0].sum(), 85)
    assert np.isclose(s1[FIRST[1], 0], 85) and np.isclose(s1[FIRST[1], 1], 10)


def test_net_enrolment_counts_only_official_ages():
    pop, mig = flat_pop(100.0)
    f = simulate_students(pop, mig, params(rep=0.5))
    # after one year half of every grade is one year behind: only grade 6's laggards (age 12) are over-age
    primary = f.enrolment("primary")[0, 1]
    over_age = f.stock[0, 1, LAST[0], 1:].sum()
    assert np.isclose(f.official_age_enrolment("primary")[0, 1], primary - over_age)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(10, 1e5))
def test_nothing_created_or_lost_without_dropout(p_junior, p_upper, n):
    """No dropout, repetition or migration: every pupil is promoted or graduates; graduates
    enter the next level or leave, and nothing else changes the total."""
    trans = np.zeros((1, T, K, K))
    trans[:, :, 0, 1] = p_junior
    trans[:, :, 1, 2] = p_upper
    pop, mig = flat_pop(n)
    f = simulate_students(pop, mig, params(trans=trans, entry=0.0))
    for t in range(1, T):
        before = f.stock[0, t - 1].sum()
        grads = f.graduates[0, t].sum()
        into = f.entrants[0, t, 1:].sum()
        assert np.isclose(f.stock[0, t].sum(), before - grads + into, rtol=1e-12)
        assert np.isclose(into, (f.graduates[0, t, :, :].sum(axis=1) @ trans[0, t]).sum())


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 0.5), st.floats(0, 0.5), st.floats(0, 1), st.floats(0.5, 1.5))
def test_enrolment_never_negative(rep, drop, tr, mig_factor):
    trans = np.full((1, T, K, K), tr / K)
    pop = np.full((2, T, 101), 50.0)
    mig = np.full((2, T, 101), mig_factor)
    f = simulate_students(pop, mig, params(rep=rep, drop=drop, trans=trans))
    assert (f.stock >= 0).all()


def test_draws_are_independent_rows():
    pop = np.stack([np.full((T, 101), 100.0), np.full((T, 101), 200.0)])
    f = simulate_students(pop, np.ones_like(pop), params())
    assert np.allclose(f.stock[1], 2 * f.stock[0])


def test_attainment_moves_graduates_up():
    """Everyone aged 6-59 starts with junior completed; 10 senior graduates aged 18 move up."""
    base = np.zeros((N_AGES, len(CATEGORIES)))
    base[:, 2] = 1.0
    pop = np.full((1, 2, 101), 100.0)
    grads = np.zeros((1, 2, K, N_LAGS))
    grads[0, 1, LEVEL_INDEX["senior_general"], 0] = 10.0
    res = project_attainment(base, pop, grads)
    t1 = res.table[0, 1]
    assert np.isclose(t1[18 - 6, 3], 10) and np.isclose(t1[18 - 6, 2], 90)
    assert np.isclose(t1[0, 0], 100)  # new six-year-olds have nothing completed
    assert np.allclose(t1.sum(axis=1), 100)  # rescaled to the population at every age
    years = dict(zip(CATEGORIES, [0, 6, 9, 12, 15, 16], strict=True))
    expected = (44 * 100 * 9 + 10 * (12 - 9)) / (44 * 100)  # ages 16-59 all junior but 10 at 18
    assert np.isclose(mean_years(res.table[:, 1], years)[0], expected)


def test_attainment_never_moves_more_than_there_are():
    base = np.zeros((N_AGES, len(CATEGORIES)))
    base[:, 0] = 1.0
    pop = np.full((1, 2, 101), 10.0)
    grads = np.zeros((1, 2, K, N_LAGS))
    grads[0, 1, LEVEL_INDEX["senior_general"], 0] = 50.0
    res = project_attainment(base, pop, grads)
    assert (res.table >= 0).all() and np.isclose(res.clipped[0, 1], 50.0)
