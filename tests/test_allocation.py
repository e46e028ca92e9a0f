"""The teacher-allocation optimiser (issue #14): hand-solved cases, properties against a brute force,
and every bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.stages.teachers.allocation as allocation
from sim.stages.teachers.allocation import allocate

INF = np.inf
BAND = (15.0, 20.0)  # pupils per teacher; 400 pupils need 20-26 teachers, 200 need 10-13


def col(*v: float) -> np.ndarray:
    return np.array(v, dtype=float)[:, None]


# ------------------------------------------------------------------------------- by hand
def test_surplus_covers_two_shortfalls_in_exactly_nine_moves():
    # A 30 teachers for 400 pupils (20-26: 4 must go, 10 may), B 6 short, C 3 short
    a = allocate(col(400, 400, 200), col(30, 14, 7), *BAND)
    assert a.moves[:, :, 0].tolist() == [[0, 6, 3], [0, 0, 0], [0, 0, 0]]
    assert a.after[:, 0].tolist() == [21, 20, 10]
    assert a.gap_before[:, 0].tolist() == [4, -6, -3]
    assert a.gap_after.tolist() == [[0], [0], [0]]
    assert (a.total_moved, a.total_cost, a.feasible, a.solver) == (9, 9.0, True, "linprog")


def test_the_cheaper_routes_are_chosen():
    # two donors that may each give 6 (A, D), B 6 short, C 3 short: A is near B, D near C
    pupils, teachers = col(400, 400, 200, 400), col(26, 14, 7, 26)
    cost = np.array([[0, 1, 5, 9], [9, 0, 9, 9], [9, 9, 0, 9], [9, 5, 1, 0]], dtype=float)
    for objective in ("cost", "moves"):  # the fewest moves, then the cheapest of them
        a = allocate(pupils, teachers, *BAND, cost=cost, objective=objective)
        assert a.table(list("ABCD"), ["primary"]) == [("A", "B", "primary", 6), ("D", "C", "primary", 3)]
        assert (a.total_moved, a.total_cost) == (9, 9.0)
    free = allocate(pupils, teachers, *BAND)  # without costs any 9 moves will do
    assert free.total_moved == 9 and free.feasible


def test_least_cost_may_pass_through_a_third_division_where_fewest_moves_goes_direct():
    # A one above its band, C one short, B in its band with room: A->C costs 10, A->B->C costs 2
    pupils, teachers = col(400, 400, 200), col(27, 23, 9)
    cost = np.array([[0, 1, 10], [10, 0, 1], [10, 10, 0]], dtype=float)
    cheap = allocate(pupils, teachers, *BAND, cost=cost, objective="cost")
    assert cheap.table(list("ABC"), ["p"]) == [("A", "B", "p", 1), ("B", "C", "p", 1)]
    assert (cheap.total_moved, cheap.total_cost) == (2, 2.0)
    few = allocate(pupils, teachers, *BAND, cost=cost, objective="moves")
    assert few.table(list("ABC"), ["p"]) == [("A", "C", "p", 1)]
    assert (few.total_moved, few.total_cost) == (1, 10.0)
    assert cheap.after.tolist() == few.after.tolist() == [[26], [23], [10]]


def test_a_division_sends_only_teachers_it_has():
    # as above, but B has no teachers of the level: it cannot pass one on, so A -> C it is
    cost = np.array([[0, 1, 10], [10, 0, 1], [10, 10, 0]], dtype=float)
    a = allocate(col(400, 0, 200), col(27, 0, 9), *BAND, cost=cost, objective="cost")
    assert a.table(list("ABC"), ["p"]) == [("A", "C", "p", 1)] and a.total_cost == 10.0


def test_a_cap_on_the_outflow_leaves_the_gap_reported():
    for cap in ([5, INF, INF], 5):
        a = allocate(col(400, 400, 200), col(30, 14, 7), *BAND, cap=cap)
        assert a.total_moved == 5 and a.moves[0].sum() == 5
        assert a.after[0, 0] == 25 and a.gap_after[0, 0] == 0
        assert a.gap_after.sum() == -4 and np.all(a.gap_after[1:] <= 0)
        assert not a.feasible
    none = allocate(col(400, 400, 200), col(30, 14, 7), *BAND, cap=0)
    assert none.total_moved == 0 and np.array_equal(none.gap_after, none.gap_before)


def test_levels_do_not_mix():
    # level 0: A 4 above its band, B 4 short; level 1: A 6 short, B 4 above (and may give 10)
    pupils = np.array([[400.0, 400.0], [400.0, 400.0]])
    teachers = np.array([[30.0, 14.0], [16.0, 30.0]])
    a = allocate(pupils, teachers, *BAND)
    assert a.moves[:, :, 0].tolist() == [[0, 4], [0, 0]]
    assert a.moves[:, :, 1].tolist() == [[0, 0], [6, 0]]
    assert a.after.tolist() == [[26, 20], [20, 24]]
    assert a.feasible
    b = allocate(pupils, np.array([[30.0, 14.0], [16.0, 20.0]]), *BAND)  # level 1 has 34, needs 40
    assert b.moves[:, :, 1].sum() == 0 and b.moves[:, :, 0].tolist() == [[0, 4], [0, 0]]
    assert b.gap_after[:, 1].tolist() == [-6, 0] and b.gap_after[:, 0].tolist() == [0, 0]
    assert not b.feasible


def test_the_planner_sees_the_teachers_still_short():
    names, levels = ["船营区", "桦甸市"], ["primary", "junior"]
    pupils = np.array([[2000.0, 300.0], [1500.0, 300.0]])  # 船营区 100-133 primary, 桦甸市 75-100
    teachers = np.array([[110.0, 20.0], [28.0, 22.0]])  # 船营区 may give 10, 桦甸市 47 short
    a = allocate(pupils, teachers, [15.0, 12.0], [20.0, 15.0])  # junior: 300 pupils need 20-25
    assert a.table(names, levels) == [("船营区", "桦甸市", "primary", 10)]
    assert a.gap_after.tolist() == [[0, 0], [-37, 0]]
    assert not a.feasible


def test_a_band_too_narrow_for_a_whole_teacher():
    # 10 pupils at 4.5-4.9 per teacher: 2.04 to 2.22 teachers, no whole number fits
    a = allocate([[10.0]], [[2.0]], 4.5, 4.9)
    assert a.gap_before.tolist() == a.gap_after.tolist() == [[-1]]
    b = allocate([[10.0]], [[3.0]], 4.5, 4.9)
    assert b.gap_after.tolist() == [[1]] and not b.feasible


def test_a_level_without_pupils_has_only_excess_teachers():
    a = allocate(col(0, 400), col(5, 17), *BAND)  # B short 3, with room for 9
    assert a.gap_before[:, 0].tolist() == [5, -3]
    assert a.moves[0, 1, 0] == 5 and a.gap_after[:, 0].tolist() == [0, 0] and a.feasible
    b = allocate(col(0, 400), col(5, 23), *BAND)  # B in its band with room for 3
    assert b.moves[0, 1, 0] == 3 and b.gap_after[:, 0].tolist() == [2, 0] and not b.feasible
    assert allocate(col(0), col(0), *BAND).feasible  # no pupils, no teachers: nothing to do


def test_whole_moves_with_a_fractional_stock_and_float_ratios():
    # 9.5 teachers for 200 pupils: one more makes 10.5 (19.0 per teacher); the donor may give 2
    a = allocate(col(200, 200), col(9.5, 12.0), *BAND)
    assert a.moves[1, 0, 0] == 1 and a.after[:, 0].tolist() == [10.5, 11.0] and a.feasible
    # 3 / 0.3 is 10.000000000000002 in floats: still 10 teachers, not 11
    assert allocate([[3.0]], [[10.0]], 0.3, 0.3).feasible


def test_closed_routes_are_not_used():
    pupils, teachers = col(400, 400, 200), col(30, 14, 7)
    cost = np.array([[0, INF, 1], [1, 0, 1], [1, 1, 0]])
    a = allocate(pupils, teachers, *BAND, cost=cost)
    assert a.moves[0, 1, 0] == 0 and a.moves[0, 2, 0] + a.moves[2, 1, 0] > 0
    assert a.feasible  # A -> C -> B: two moves for each teacher B gets
    shut = allocate(pupils, teachers, *BAND, cost=np.where(np.eye(3) > 0, 0.0, INF))
    assert shut.total_moved == 0 and np.array_equal(shut.gap_after, shut.gap_before)


def test_the_milp_fallback_gives_the_same_optimum(monkeypatch):
    pupils = np.array([[400.0, 400.0], [400.0, 400.0], [200.0, 300.0]])
    teachers = np.array([[30.0, 14.0], [16.0, 30.0], [7.0, 21.0]])
    cost = np.array([[0, 2, 1], [1, 0, 3], [2, 1, 0]], dtype=float)
    lp = allocate(pupils, teachers, *BAND, cost=cost, cap=[5, 3, 9])
    monkeypatch.setattr(allocation, "_whole_and_optimal", lambda *a: False)
    mip = allocate(pupils, teachers, *BAND, cost=cost, cap=[5, 3, 9])
    assert (lp.solver, mip.solver) == ("linprog", "milp")
    assert (lp.total_moved, lp.total_cost) == (mip.total_moved, mip.total_cost)
    assert np.abs(lp.gap_after).sum() == np.abs(mip.gap_after).sum()


def test_the_result_is_read_only():
    a = allocate(col(400, 400), col(30, 14), *BAND)
    with pytest.raises(ValueError, match="read-only"):
        a.moves[0, 1, 0] = 99
    with pytest.raises(AttributeError):
        a.feasible = False  # type: ignore[misc]
    with pytest.raises(ValueError, match="2 division names and 1 level names"):
        a.table(["A"], ["p"])
    assert a.table() == [("0", "1", "0", 6)]


# ----------------------------------------------------------------- properties, brute force
def brute_force(pupils, teachers, low, high, cost, cap, objective):
    """The lexicographic optimum (gap, primary, secondary) over every whole set of moves."""
    R, L = pupils.shape
    d_lo = np.ceil(pupils / high - teachers - 1e-9)
    d_hi = np.floor(pupils / low - teachers + 1e-9)
    arcs = [(i, j, lv) for lv in range(L) for i in range(R) for j in range(R) if i != j]
    x = np.array(list(itertools.product(*(range(int(teachers[i, lv]) + 1) for i, _, lv in arcs))))
    net = np.zeros((len(x), R, L))
    out = np.zeros((len(x), R, L))
    for k, (i, j, lv) in enumerate(arcs):
        net[:, j, lv] += x[:, k]
        net[:, i, lv] -= x[:, k]
        out[:, i, lv] += x[:, k]
    ok = np.all(out <= teachers, axis=(1, 2)) & np.all(out.sum(axis=2) <= cap, axis=1)
    gap = (np.maximum(d_lo - net, 0) + np.maximum(net - d_hi, 0)).sum(axis=(1, 2))
    moves = x.sum(axis=1)
    spent = x @ np.array([cost[i, j] for i, j, _ in arcs])
    first, second = (moves, spent) if objective == "moves" else (spent, moves)
    keys = np.stack([gap, first, second], axis=1)[ok]
    return min(map(tuple, keys.tolist()))


@st.composite
def tiny(draw):
    R, L = draw(st.sampled_from([(2, 1), (3, 1), (2, 2)]))
    teachers = np.array(draw(st.lists(st.integers(0, 3), min_size=R * L, max_size=R * L)), float).reshape(
        R, L
    )
    pupils = np.array(draw(st.lists(st.integers(0, 60), min_size=R * L, max_size=R * L)), float).reshape(R, L)
    low = draw(st.sampled_from([5.0, 8.0, 10.0]))
    high = low + draw(st.sampled_from([0.0, 2.0, 5.0, 10.0]))
    cost = np.array(draw(st.lists(st.integers(0, 4), min_size=R * R, max_size=R * R)), float).reshape(R, R)
    cap = np.array(draw(st.lists(st.integers(0, 4), min_size=R, max_size=R)), float)
    if draw(st.booleans()):
        cap = np.full(R, INF)
    return pupils, teachers, low, high, cost, cap, draw(st.sampled_from(["moves", "cost"]))


@settings(max_examples=60, deadline=None)
@given(tiny())
def test_properties_and_the_brute_force_optimum(case):
    pupils, teachers, low, high, cost, cap, objective = case
    a = allocate(pupils, teachers, low, high, cost=cost, cap=cap, objective=objective)
    R, L = pupils.shape
    m = a.moves
    assert m.dtype.kind == "i" and np.all(m >= 0)
    assert np.all(m[np.arange(R), np.arange(R)] == 0)
    assert np.array_equal(a.after, teachers - m.sum(axis=1) + m.sum(axis=0))
    assert np.array_equal(a.after.sum(axis=0), teachers.sum(axis=0))
    assert np.all(m.sum(axis=1) <= teachers) and np.all(m.sum(axis=(1, 2)) <= cap)
    assert a.total_moved == m.sum() and a.total_cost == pytest.approx((cost[:, :, None] * m).sum())
    inside = (a.after * low <= pupils + 1e-9) & (pupils <= a.after * high + 1e-9)
    assert np.array_equal(inside, a.gap_after == 0)
    assert a.feasible == bool(inside.all())
    first, second = (a.total_moved, a.total_cost) if objective == "moves" else (a.total_cost, a.total_moved)
    assert (np.abs(a.gap_after).sum(), first, second) == brute_force(
        pupils, teachers, low, high, cost, cap, objective
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, 3.0]),
)
def test_conservation_on_larger_random_systems(R, L, seed, cap):
    rng = np.random.default_rng(seed)
    pupils = rng.integers(0, 2000, (R, L)).astype(float)
    teachers = rng.integers(0, 150, (R, L)).astype(float)
    a = allocate(pupils, teachers, 12.0, 18.0, cost=rng.uniform(0, 3, (R, R)), cap=cap, objective="cost")
    assert np.array_equal(a.after.sum(axis=0), teachers.sum(axis=0))
    assert np.array_equal(a.after, teachers - a.moves.sum(axis=1) + a.moves.sum(axis=0))
    assert np.all(a.moves >= 0) and np.all(np.einsum("iil->il", a.moves) == 0)
    # no worse than doing nothing, and inside the bands wherever it says so
    assert np.abs(a.gap_after).sum() <= np.abs(a.gap_before).sum()
    inside = (a.after * 12.0 <= pupils + 1e-9) & (pupils <= a.after * 18.0 + 1e-9)
    assert np.array_equal(inside, a.gap_after == 0)


# ----------------------------------------------------------------------------- bad input
P2, T2 = col(400, 400), col(30, 14)
BAD = [
    ({"pupils": col(400, 400, 1)}, r"pupils \(3, 1\) and teachers \(2, 1\) must have the same shape"),
    ({"pupils": [400.0, 400.0]}, r"pupils must be a non-empty \(R, L\) array"),
    ({"teachers": np.zeros((2, 0))}, r"teachers must be a non-empty \(R, L\) array"),
    ({"pupils": col(400, -1)}, "pupils must not be negative"),
    ({"teachers": col(-3, 14)}, "teachers must not be negative"),
    ({"pupils": col(400, np.nan)}, "pupils contains NaN"),
    ({"teachers": col(INF, 14)}, "teachers must be finite"),
    ({"band_low": [20.0], "band_high": [15.0]}, "band_low must not exceed band_high"),
    ({"band_low": [0.0]}, r"band_low must be positive"),
    ({"band_high": -20.0}, r"band_high must be positive"),
    ({"band_high": [np.nan]}, "band_high contains NaN"),
    ({"band_low": [15.0, 15.0, 15.0]}, r"band_low must be a scalar, \(1,\) or \(2, 1\)"),
    ({"cost": np.ones((3, 3))}, r"cost must be \(2, 2\)"),
    ({"cost": [[0.0, -1.0], [1.0, 0.0]]}, "cost must not be negative"),
    ({"cost": [[0.0, np.nan], [1.0, 0.0]]}, "cost contains NaN"),
    ({"cap": -1}, "cap must not be negative"),
    ({"cap": [5.0, -0.5]}, "cap must not be negative"),
    ({"cap": [1.0, 2.0, 3.0]}, r"cap must be a scalar or \(2,\)"),
    ({"cap": np.nan}, "cap contains NaN"),
    ({"objective": "fewest"}, r"objective must be one of \('moves', 'cost'\), got 'fewest'"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_is_refused(change, message):
    args = {"pupils": P2, "teachers": T2, "band_low": [15.0], "band_high": [20.0], **change}
    with pytest.raises(ValueError, match=message):
        allocate(**args)
