"""The divisions' 2020 census table: the parts add up to the city, and the map knows the nine."""

from __future__ import annotations

import csv
import json

from sim.core.paths import data_dir

CITY_2020 = 3_623_713  # the 2020 census total of population-2020.csv


def _rows():
    with open(data_dir() / "divisions-2020.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_divisions_and_zones_sum_to_the_city_census():
    rows = _rows()
    assert sum(int(r["population"]) for r in rows) == CITY_2020
    nine = [r for r in rows if r["kind"] in ("district", "county")]
    assert len(nine) == 9 and sum(int(r["population"]) for r in nine) == 3_368_410


def test_the_population_table_holds_the_same_city_total():
    with open(data_dir() / "population-2020.csv", encoding="utf-8", newline="") as f:
        total = sum(float(r["persons"]) for r in csv.DictReader(f))
    assert round(total) == CITY_2020


def test_shares_are_fractions_that_add_up():
    for r in _rows():
        big = float(r["share_0_14"]) + float(r["share_15_64"]) + float(r["share_65_plus"])
        assert abs(big - 1) < 0.002, r["name"]
        young = sum(float(r[k]) for k in ("share_0_4", "share_5_9", "share_10_14"))
        assert abs(young - float(r["share_0_14"])) < 0.002, r["name"]
        assert 0 < float(r["urban_share"]) < 1


def test_the_map_has_a_shape_for_each_of_the_nine():
    shapes = json.loads((data_dir() / "districts.geojson").read_text(encoding="utf-8"))
    names = {f["properties"]["name"] for f in shapes["features"]}
    assert names == {r["name"] for r in _rows() if r["kind"] != "zone"}
