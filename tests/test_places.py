"""School places: hand-computed cases for each function, the properties of the places path and
of places needed (it always restores the margin), and every argument error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.stages.places import (
    base_places,
    first_year_flagged,
    flags,
    places_needed,
    places_path,
    surplus_places,
    utilisation,
)

YEARS = np.array([2024, 2025, 2026, 2027])


# --- hand-computed cases ---------------------------------------------------------------------


def test_base_places_scalar_and_per_division_utilisation():
    # 900 / 0.9 = 1000; 1200 / 1.2 = 1000; 0 pupils / anything = 0
    assert base_places(np.array([900.0, 1200.0, 0.0]), 0.9).tolist() == pytest.approx([1000, 1333.33333, 0])
    assert base_places(np.array([900.0, 1200.0]), np.array([0.9, 1.2])).tolist() == pytest.approx(
        [1000.0, 1000.0]
    )
    # 1.5 is the highest allowed: 300 / 1.5 = 200
    assert base_places(300.0, 1.5) == pytest.approx(200.0)


def test_places_path_counts_from_the_year_added():
    base = np.array([1000.0, 500.0])
    added = np.array([[0.0, 200.0, 0.0, 100.0], [-100.0, 0.0, 0.0, -400.0]])
    # row 0: 1000, 1000+200=1200, 1200, 1200+100=1300
    # row 1: 500-100=400, 400, 400, 400-400=0 (closing everything is allowed)
    assert places_path(base, added).tolist() == [[1000, 1200, 1200, 1300], [400, 400, 400, 0]]


def test_places_path_leading_axes_and_float_rounding_at_zero():
    # (2 levels, 3 divisions) × 2 years: base 10 everywhere, +5 then −15 → 15, 0
    added = np.broadcast_to([5.0, -15.0], (2, 3, 2))
    assert places_path(np.full((2, 3), 10.0), added).shape == (2, 3, 2)
    assert (places_path(np.full((2, 3), 10.0), added)[..., -1] == 0).all()
    # 0.3 − 0.1 − 0.1 − 0.1 is −2.8e-17 in floats: that is 0, not an error
    assert places_path(0.3, np.array([-0.1, -0.1, -0.1]))[-1] == 0.0


def test_utilisation_is_nan_without_places():
    # 450/500 = 0.9; 600/500 = 1.2; 0/500 = 0; 10/0 and 0/0 → NaN
    util = utilisation(np.array([450.0, 600.0, 0.0, 10.0, 0.0]), np.array([500.0, 500.0, 500.0, 0.0, 0.0]))
    assert util[:3].tolist() == [0.9, 1.2, 0.0]
    assert np.isnan(util[3:]).all()


def test_places_needed_keeps_the_margin():
    pupils = np.array([1000.0, 1000.0, 1000.0, 0.0])
    places = np.array([900.0, 1050.0, 1200.0, 0.0])
    # 1000 × 1.05 = 1050: 1050 − 900 = 150; 1050 − 1050 = 0; 1050 − 1200 < 0 → 0; 0 − 0 = 0
    assert places_needed(pupils, places).tolist() == pytest.approx([150.0, 0.0, 0.0, 0.0])
    # margin 0.1: 1100 − 900 = 200, 1100 − 1050 = 50; margin 0: 1000 − 900 = 100
    assert places_needed(pupils, places, margin=0.1).tolist() == pytest.approx([200.0, 50.0, 0.0, 0.0])
    assert places_needed(pupils, places, margin=0.0).tolist() == pytest.approx([100.0, 0.0, 0.0, 0.0])


def test_surplus_places_is_unclipped():
    # 500 − 450 = 50; 500 − 600 = −100 (a shortage); 0 − 0 = 0
    assert surplus_places(np.array([450.0, 600.0, 0.0]), np.array([500.0, 500.0, 0.0])).tolist() == [
        50.0,
        -100.0,
        0.0,
    ]


def test_flags_consolidation_shortage_and_nan():
    util = np.array([0.5, 0.6, 0.8, 1.0, 1.1, np.nan])
    consolidate, short = flags(util, floor=0.6)
    # strict inequalities: 0.5 < 0.6 only; 1.1 > 1.0 only; NaN neither
    assert consolidate.tolist() == [1, 0, 0, 0, 0, 0]
    assert short.tolist() == [0, 0, 0, 0, 1, 0]
    assert consolidate.dtype == short.dtype == np.float64
    # a higher ceiling tolerates 10 % crowding: 1.1 > 1.1 is False
    assert flags(util, floor=0.6, ceiling=1.1)[1].tolist() == [0] * 6


def test_first_year_flagged():
    flag = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    # row 0 first set at position 2 → 2026; row 1 never → NaN; row 2 at position 0 → 2024
    first = first_year_flagged(flag, YEARS)
    assert first[[0, 2]].tolist() == [2026.0, 2024.0]
    assert np.isnan(first[1])
    # booleans are 0/1 too, and any leading axes work
    assert first_year_flagged(flag.astype(bool)[None], YEARS).shape == (1, 3)
    # no years at all: never flagged
    assert np.isnan(first_year_flagged(np.zeros((2, 0)), np.array([]))).all()


# --- properties ------------------------------------------------------------------------------

_amounts = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
# pupils and places: none, or at least a thousandth of a pupil (a share of a division's pupils);
# subnormal counts lose the margin to rounding and are not counts
_counts = st.one_of(st.just(0.0), st.floats(1e-3, 1e5, allow_nan=False, allow_infinity=False))


@settings(max_examples=60, deadline=None)
@given(
    added=hnp.arrays(float, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=_amounts),
    spare=_counts,
)
def test_places_path_ends_at_base_plus_all_added(added, spare):
    # a base big enough that the path never goes below 0, plus some spare places
    lowest = np.cumsum(added, axis=-1).min(axis=-1, initial=0.0)
    base = -np.minimum(lowest, 0.0) + spare
    path = places_path(base, added)
    assert path.shape == added.shape
    assert (path >= 0).all()
    np.testing.assert_allclose(path[..., -1], base + added.sum(axis=-1), rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    pupils=hnp.arrays(float, st.integers(1, 8), elements=_counts),
    places_share=st.floats(0, 3),
    margin=st.floats(0, 1),
)
def test_places_needed_restores_the_margin(pupils, places_share, margin):
    places = pupils * places_share
    needed = places_needed(pupils, places, margin)
    assert (needed >= 0).all()
    util = utilisation(pupils, places + needed)
    # NaN only where there are neither pupils nor places, which needs nothing
    assert (needed[np.isnan(util)] == 0).all()
    ok = ~np.isnan(util)
    assert (util[ok] <= 1 / (1 + margin) + 1e-9).all()


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("util", [0.0, -0.5, 1.6, 90.0, np.nan, np.array([0.9, 0.0])])
def test_base_places_refuses_utilisation_outside_range(util):
    with pytest.raises(ValueError, match=r"utilisation must be in \(0, 1.5\]"):
        base_places(np.array([900.0, 100.0]), util)


def test_places_path_refuses_negative_places():
    # 100 − 60 = 40, 40 − 60 = −20
    with pytest.raises(ValueError, match=r"places would be -20 at index \(1,\), year position 1"):
        places_path(np.array([100.0, 100.0]), np.array([[0.0, 0.0], [-60.0, -60.0]]))
    with pytest.raises(ValueError, match="places would be"):
        places_path(np.array([-1.0]), np.zeros((1, 3)))


def test_places_path_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="without its last"):
        places_path(np.zeros(3), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="last axis"):
        places_path(np.zeros(3), np.float64(1.0))


@pytest.mark.parametrize("margin", [-0.01, np.nan, np.inf])
def test_places_needed_refuses_bad_margin(margin):
    with pytest.raises(ValueError, match="margin must be a share"):
        places_needed(np.ones(2), np.ones(2), margin)


@pytest.mark.parametrize("floor", [-0.1, np.nan])
def test_flags_refuses_bad_floor(floor):
    with pytest.raises(ValueError, match="floor must be a utilisation share"):
        flags(np.ones(2), floor)


@pytest.mark.parametrize("ceiling", [0.5, np.nan])
def test_flags_refuses_floor_above_ceiling(ceiling):
    with pytest.raises(ValueError, match="must not exceed ceiling"):
        flags(np.ones(2), floor=0.6, ceiling=ceiling)


def test_first_year_flagged_refuses_bad_arguments():
    with pytest.raises(ValueError, match="one entry per year"):
        first_year_flagged(np.zeros((2, 3)), YEARS)
    with pytest.raises(ValueError, match="one entry per year"):
        first_year_flagged(np.float64(1.0), YEARS[:1])
    with pytest.raises(ValueError, match="threshold it first"):
        first_year_flagged(np.array([0.0, 0.5, 1.0, 0.0]), YEARS)
