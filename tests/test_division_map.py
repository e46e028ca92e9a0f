"""The division map draws from data/districts.geojson offline: one filled shape per division."""

from __future__ import annotations

import json

import plotly.io as pio
import pytest

from sim.core.paths import data_dir
from sim.report.figures import division_map

NINE = ["昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"]


@pytest.fixture(scope="module")
def geojson():
    return json.loads((data_dir() / "districts.geojson").read_text(encoding="utf-8"))


def test_the_map_file_holds_the_nine_divisions(geojson):
    assert sorted(f["properties"]["name"] for f in geojson["features"]) == sorted(NINE)


def test_one_shape_per_division_coloured_by_its_value(geojson):
    values = {n: float(i) for i, n in enumerate(NINE)}
    fig = division_map(values, geojson, "Enrolment|Primary", "zh", "小学在校生")
    shapes = {t.name: t.fillcolor for t in fig.data if t.fill == "toself"}
    assert set(shapes) == set(NINE)
    assert shapes["昌邑区"] != "rgb(247, 251, 255)"  # the lowest value: light, but not white
    assert shapes["磐石市"] == "rgb(8, 48, 107)"  # the highest: the dark end
    en = division_map(values, geojson, "Enrolment|Primary", "en", "Primary pupils")
    assert {t.name for t in en.data if t.fill == "toself"} >= {"Jiaohe City", "Changyi District"}


def test_a_division_without_a_value_is_grey_and_a_gap_is_centred_on_zero(geojson):
    fig = division_map(
        {"蛟河市": -40.0, "舒兰市": 10.0}, geojson, "Teachers|Gap|Primary", "zh", "缺口", diverging=True
    )
    shapes = {t.name: t.fillcolor for t in fig.data if t.fill == "toself"}
    assert shapes["昌邑区"] == "#d9d9d9"
    bar = fig.data[-1].marker
    assert bar.cmin == -40 and bar.cmax == 40  # symmetric: white is zero
    assert shapes["蛟河市"] == "rgb(103, 0, 31)"  # short: the red end of RdBu


def test_the_map_needs_no_network(geojson):
    html = pio.to_html(division_map({}, geojson, "Enrolment|Primary", "zh", "x"), include_plotlyjs=False)
    assert "topojson" not in html and "mapbox" not in html and "tile" not in html.lower()
