import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.core.series import Series, SeriesError, parse_number

YEARS = np.arange(2018, 2026)


def test_constant_and_percent():
    assert Series.parse(5).evaluate(YEARS).tolist() == [5.0] * 8
    assert Series.parse("95%").evaluate(YEARS[:1]).tolist() == [0.95]
    assert parse_number("1,200") == 1200.0


def test_points_interpolate_and_hold_flat_outside():
    s = Series.parse({2020: 10, 2024: 30})
    # 2018, 2019 held at 10; 2021 = 15; 2025 held at 30
    assert s.evaluate(YEARS).tolist() == [10, 10, 10, 15, 20, 25, 30, 30]


def test_start_growth_from_first_year():
    s = Series.parse({"start": 100, "growth": -0.1})
    assert np.allclose(s.evaluate(np.arange(2020, 2023)), [100, 90, 81])


def test_points_then_growth():
    s = Series.parse({2020: 10, 2021: 20, "growth": 0.5})
    assert np.allclose(s.evaluate(np.arange(2020, 2024)), [10, 20, 30, 45])


@pytest.mark.parametrize(
    "bad", [{}, {"source": "x"}, [1, 2], {"2020x": 1}, {2020: "abc"}, True, {"start": 1, 2020: 2}]
)
def test_bad_series_raise(bad):
    with pytest.raises(SeriesError):
        Series.parse(bad)


def test_round_trip_to_yaml():
    for v in (3.0, {2020: 1.0, 2030: 2.0}, {"start": 1.0, "growth": 0.02}, {2020: 1.0, "growth": -0.03}):
        s = Series.parse(v)
        assert Series.parse(s.to_yaml()).evaluate(YEARS).tolist() == s.evaluate(YEARS).tolist()


@given(st.dictionaries(st.integers(1990, 2060), st.floats(-1e6, 1e6), min_size=1, max_size=6))
def test_interpolation_stays_within_the_points(points):
    s = Series.parse(points)
    out = s.evaluate(np.arange(1980, 2070))
    assert out.min() >= min(points.values()) - 1e-6
    assert out.max() <= max(points.values()) + 1e-6
