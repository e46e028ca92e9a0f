"""Districts (issue 14): the city's nine county-level divisions as rows beside the draws.

Hand-computed apportioning (ages, the division table, a population override, 特岗 weights); the
city as the sum of its divisions and the population account per division and for the city; the
exchange between divisions conserving people (a property); the city-only run untouched; bad
``regions:`` input end to end through the CLI (exit 2, file:line: key, a hint, nothing written);
``--region`` on ``run``, ``export`` and ``targets``.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from sim.core.catalogue import unit
from sim.core.paths import data_dir, scenario_dir
from sim.core.regions import SEP, key
from sim.core.series import Series
from sim.run.simulate import prepare, simulate
from sim.run.tables import Table
from sim.stages.regions import (
    ADDITIVE_UNITS,
    CITY_RULES,
    Divisions,
    apportion_ages,
    divisions,
    group_counts,
    tegang_weights,
)

BASELINE = scenario_dir() / "baseline.yaml"
DISTRICTS = ["昌邑区", "龙潭区", "船营区", "丰满区"]
COUNTIES = ["永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"]
NINE = DISTRICTS + COUNTIES
runner = CliRunner()


@pytest.fixture(scope="module")
def prep():
    return prepare("baseline")


@pytest.fixture(scope="module")
def ctx(prep):
    return simulate(prep.scenario, prep.tables)


def with_regions(scenario, **update):
    """A copy of the scenario with its ``regions:`` section's fields replaced."""
    return scenario.model_copy(update={"regions": scenario.regions.model_copy(update=update)})


def scaled(series: Series, k: float) -> Series:
    return dataclasses.replace(series, points=tuple((y, v * k) for y, v in series.points))


# ====================================================================== 1. apportioning by hand
def test_apportion_ages_hand_case():
    """Five ages, two divisions, groups 0-1 and 2-4.

    group 0-1: division counts 2 and 6 → shares 2/8 = 0.25 and 0.75:
        age 0 (10): 2.5 | 7.5;    age 1 (20): 5 | 15
    group 2-4: division counts 1 and 4 → shares 0.2 and 0.8:
        age 2 (30): 6 | 24;  age 3 (40): 8 | 32;  age 4 (50): 10 | 40
    """
    city = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    groups = np.array([[2.0, 1.0], [6.0, 4.0]])
    out = apportion_ages(city, groups, ((0, 1), (2, 4)))
    np.testing.assert_allclose(out, [[2.5, 5.0, 6.0, 8.0, 10.0], [7.5, 15.0, 24.0, 32.0, 40.0]], rtol=1e-12)
    assert np.allclose(out.sum(axis=0), city)  # the divisions add up to the city at every age


def tiny_table() -> Table:
    """Two districts, one county, a zone hosted by the urban districts (经开区) and one hosted by a
    named division (食品区 → 丰满区). Age groups: 0-4, 5-9, 10-14, 15-19, 20-64 (= 15-64 − 15-19), 65+.
    """
    rows = [
        # name, kind, population, urban share, 0-4, 5-9, 10-14, 15-19, 15-64, 65+
        ("昌邑区", "district", 1000, 0.8, 0.1, 0.1, 0.1, 0.1, 0.6, 0.1),
        ("丰满区", "district", 3000, 0.5, 0.1, 0.1, 0.1, 0.1, 0.6, 0.1),
        ("蛟河市", "county", 2000, 0.25, 0.05, 0.05, 0.1, 0.1, 0.6, 0.2),
        ("吉林经济开发区", "zone", 400, 1.0, 0.25, 0.0, 0.0, 0.0, 0.75, 0.0),
        ("吉林中国新加坡食品区", "zone", 200, 0.5, 0.0, 0.5, 0.0, 0.0, 0.5, 0.0),
    ]
    cols = list(zip(*rows, strict=True))
    num = ["population", "urban_share", "share_0_4", "share_5_9", "share_10_14", "share_15_19"]
    num += ["share_15_64", "share_65_plus"]
    table = {
        "name": np.array(cols[0], dtype=object),
        "name_en": np.array([f"en-{n}" for n in cols[0]], dtype=object),
        "kind": np.array(cols[1], dtype=object),
    }
    for i, c in enumerate(num):
        table[c] = np.array(cols[2 + i], dtype=float)
    return Table(table)


def test_group_counts_folds_the_zones_into_their_hosts():
    names, en, urban, groups, urban_people = group_counts(tiny_table())
    assert names == ["昌邑区", "丰满区", "蛟河市"] and en == ["en-昌邑区", "en-丰满区", "en-蛟河市"]
    assert urban.tolist() == [True, True, False]
    # own counts:   昌邑 1000 × shares → [100, 100, 100, 100, 500, 100]
    #               丰满 3000 × shares → [300, 300, 300, 300, 1500, 300]
    #               蛟河 2000 × shares → [100, 100, 200, 200, 1000, 400]
    # 经开区 (400: [100, 0, 0, 0, 300, 0]) goes to the urban districts by people, 1000 : 3000:
    #     昌邑 + [25, 0, 0, 0, 75, 0], 丰满 + [75, 0, 0, 0, 225, 0]; none to the county
    # 食品区 (200: [0, 100, 0, 0, 100, 0]) all to 丰满区
    assert groups.tolist() == [
        pytest.approx([125, 100, 100, 100, 575, 100]),
        pytest.approx([375, 400, 300, 300, 1825, 300]),
        pytest.approx([100, 100, 200, 200, 1000, 400]),
    ]
    # urban people: 800 + 400 × 1/4;  1500 + 400 × 3/4 + 100;  500
    assert urban_people.tolist() == pytest.approx([900, 1900, 500])
    assert groups.sum() == pytest.approx(1000 + 3000 + 2000 + 400 + 200)  # nobody lost


def test_group_counts_closes_rounded_census_shares():
    """Shares that add up to 0.998 (census rounding) are closed: the people are the population."""
    t = tiny_table()
    cols = {c: t[c].to_numpy().copy() for c in t.columns}
    cols["share_65_plus"][2] = 0.198  # 蛟河市 adds up to 0.998
    _, _, _, groups, _ = group_counts(Table(cols))
    assert groups[2].sum() == pytest.approx(2000)
    assert groups[2, 5] == pytest.approx(2000 * 0.198 / 0.998)


def test_divisions_population_override_changes_only_that_row(prep):
    s = prep.scenario
    table = prep.tables[s.regions.table]
    city = prep.tables[s.population.base]["persons"].to_numpy(dtype=float)
    plain = divisions(s.regions, table, city)
    over = divisions(s.regions.model_copy(update={"population": {"蛟河市": 400_000}}), table, city)
    assert plain.names == over.names == NINE
    r = NINE.index("蛟河市")
    assert np.allclose(plain.persons.sum(axis=0), city)  # without an override: the city at every age
    assert over.persons[r].sum() == pytest.approx(400_000, rel=1e-12)
    # its age profile is the table's
    assert np.allclose(over.persons[r] / 400_000, plain.persons[r] / plain.persons[r].sum(), rtol=1e-12)
    f = 400_000 / plain.persons[r].sum()
    assert over.urban_people[r] == pytest.approx(plain.urban_people[r] * f, rel=1e-12)
    others = [i for i in range(9) if i != r]
    assert np.array_equal(over.persons[others], plain.persons[others])
    assert np.array_equal(over.urban_people[others], plain.urban_people[others])


def small_divisions(rule: str, priority=(), shares=None) -> Divisions:
    tegang = SimpleNamespace(rule=rule, priority=list(priority), shares=dict(shares or {}))
    persons = np.array([[10.0, 10.0], [30.0, 10.0], [20.0, 20.0]])
    return Divisions(
        names=["U", "A", "B"],
        names_en=["U", "A", "B"],
        urban=np.array([True, False, False]),
        persons=persons,
        urban_people=np.array([20.0, 10.0, 10.0]),
        settings=SimpleNamespace(tegang=tegang),
    )


def test_tegang_weights_by_rule():
    # two draws × three divisions, two years; draw 1's need is draw 0's doubled
    need = np.array([[5.0, 0.0], [10.0, 30.0], [30.0, 10.0]])
    need = np.vstack([need, 2 * need])
    # priority [A, B]: U gets none; A and B by their need: 10:30 and 30:10
    w = tegang_weights(small_divisions("priority", ["A", "B"]), need)
    assert w[:3].tolist() == [[0, 0], [0.25, 0.75], [0.75, 0.25]] and np.allclose(w[3:], w[:3])
    # need: everyone by need: 5:10:30 = 1/9, 2/9, 6/9 and 0:30:10
    w = tegang_weights(small_divisions("need"), need)
    assert w[:3].tolist() == [
        pytest.approx([1 / 9, 0]),
        pytest.approx([2 / 9, 0.75]),
        pytest.approx([6 / 9, 0.25]),
    ]
    # shares: as written, whatever the need
    w = tegang_weights(small_divisions("shares", shares={"A": 0.4, "B": 0.6}), need)
    assert w.tolist() == [[0, 0], [0.4, 0.4], [0.6, 0.6]] * 2


def test_destination_sends_the_counties_to_the_districts_only():
    div = small_divisions("need")
    # the one urban division takes every mover; it sends nobody
    assert div.destination().tolist() == [[0, 0, 0], [1, 0, 0], [1, 0, 0]]
    assert div.births_share().tolist() == pytest.approx([10 / 60, 30 / 60, 20 / 60])
    assert div.people_share().tolist() == pytest.approx([20 / 100, 40 / 100, 40 / 100])


# ====================================================================== 2. the city = Σ divisions
def test_the_baseline_has_the_nine_divisions(ctx):
    assert ctx.regions.names == NINE and ctx.regions.urban.tolist() == [True] * 4 + [False] * 5
    for v in ("Population|Total", "GER|Preschool", "Places|Utilisation|Primary"):
        for r, name in enumerate(NINE):
            assert np.array_equal(ctx.results[key(v, name)], ctx.regional[v][:, r], equal_nan=True)


def test_additive_results_are_the_sum_of_the_divisions(ctx):
    additive = [v for v in ctx.regional if v not in CITY_RULES and unit(v) in ADDITIVE_UNITS]
    assert len(additive) > 100 and "Population|Total" in additive and "Spending|Total" in additive
    for v in additive:
        np.testing.assert_array_equal(ctx.results[v], ctx.regional[v].sum(axis=1), err_msg=v)
    # every variable of the divisions has a city value; none is additive by accident
    assert set(ctx.regional) <= {k for k in ctx.results if SEP not in k}
    assert "GER|Preschool" not in additive and "Teachers|Student-teacher ratio|Primary" not in additive


def test_population_account_holds_for_every_division_and_the_city(ctx):
    def check(get, where):
        P, B, D, M = (get(f"Population|{n}")[0] for n in ("Total", "Births", "Deaths", "Net migration"))
        gap = P[1:] - (P[:-1] + B[1:] - D[1:] + M[1:])
        assert np.abs(gap).max() <= 1e-9 * P.max(), where

    for r, name in enumerate(NINE):
        check(lambda v, r=r: ctx.regional[v][:, r], name)
    check(lambda v: ctx.results[v], "the city")


def test_moves_between_divisions_cancel_in_the_city(ctx, prep):
    s = prep.scenario
    assert not ctx.regional["Check|Population floored"].any()  # what follows needs no floors
    wanted = s.population.net_migration.evaluate(s.years)  # the scenario's city net migration
    city = ctx.results["Population|Net migration"][0]
    assert np.allclose(city[1:], wanted[1:], rtol=1e-6, atol=0)
    # each division: its share of the city's migrants (by its base-year people) + the exchange
    share = ctx.regions.people_share()
    between = ctx.regional["Population|Net migration"][0, :, 1:] - share[:, None] * wanted[None, 1:]
    scale = np.abs(wanted[1:]).max()
    assert np.abs(between.sum(axis=0)).max() <= 1e-6 * scale  # what a county loses a district gains
    # and it bites: the counties send, the districts receive, thousands a year
    assert (between[4:] < 0).all() and (between[:4] > 0).all()
    assert -between[4:].sum(axis=0).min() > 1000


def test_ratios_are_recomputed_from_the_city_sums(ctx):
    g = ctx.regional
    ger = g["Enrolment|Preschool"].sum(axis=1) / g["Population|Age 3-5"].sum(axis=1)
    np.testing.assert_allclose(ctx.results["GER|Preschool"], ger, rtol=1e-12)
    ptr = g["Enrolment|Primary"].sum(axis=1) / g["Teachers|Supply|Primary"].sum(axis=1)
    np.testing.assert_allclose(ctx.results["Teachers|Student-teacher ratio|Primary"], ptr, rtol=1e-12)
    # not the mean of the divisions' ratios (they differ)
    assert not np.allclose(ctx.results["GER|Preschool"], g["GER|Preschool"].mean(axis=1), rtol=1e-9)


# ====================================================================== 3. the exchange conserves people
@settings(max_examples=15, deadline=None)
@given(pull=st.floats(0.0, 0.05), births=st.floats(0.5, 1.5))
def test_the_pull_moves_people_between_divisions_only(prep, pull, births):
    """Without migration out of the city, the city's people do not depend on the pull at all.

    (With the scenario's net migration they do, slightly, and by design of the sharing: each
    division sends its base-year share of the city's migrants, spread over its own ages, so the
    pull changes the ages of those who leave the city and with them the city's deaths: see
    ``test_the_pull_changes_the_city_only_through_the_ages_of_leavers``.)
    """
    s = prep.scenario
    pop = s.population.model_copy(
        update={"births": scaled(s.population.births, births), "net_migration": Series.constant(0.0)}
    )
    s = s.model_copy(update={"population": pop})
    none = simulate(with_regions(s, pull=Series.constant(0.0)), prep.tables)
    some = simulate(with_regions(s, pull=Series.constant(pull)), prep.tables)
    for v in ("Population|Total", "Population|Deaths", "Population|Age 6-11", "Population|Births"):
        np.testing.assert_allclose(some.results[v], none.results[v], rtol=1e-9, err_msg=v)
    if pull > 1e-4:  # ... while the divisions' people do
        r = NINE.index("蛟河市")
        assert some.regional["Population|Total"][0, r, -1] < none.regional["Population|Total"][0, r, -1]


def test_the_pull_changes_the_city_only_through_the_ages_of_leavers(prep):
    s = prep.scenario
    a = simulate(with_regions(s, pull=Series.constant(0.0)), prep.tables)
    b = simulate(with_regions(s, pull=Series.constant(0.05)), prep.tables)
    # births and migrants out of the city are the scenario's, whatever the pull ...
    for v in ("Population|Births", "Population|Net migration"):
        np.testing.assert_allclose(b.results[v], a.results[v], rtol=1e-12, err_msg=v)
    # ... deaths are not (older counties send older leavers), and so neither is the total, a little:
    # 4.7e-4 by 2035 today (deaths 0.7 %); bounded here, not pinned, so that sharing the leavers
    # over the city's ages instead (which would make it 0) does not break this test
    rel = np.abs(b.results["Population|Total"] / a.results["Population|Total"] - 1).max()
    assert rel < 1e-3


# ====================================================================== 4. without regions: the city only
def test_without_regions_no_division_results(prep, ctx):
    city = simulate(prep.scenario.model_copy(update={"regions": None}), prep.tables)
    assert city.regions is None and not city.regional
    assert not [k for k in city.results if SEP in k]
    assert not [k for k in city.results if k.startswith("Places|")]
    # while the run with divisions has both
    assert any(SEP in k for k in ctx.results) and "Places|Utilisation|Primary" in ctx.results


# ====================================================================== 5. bad input through the CLI
def header(name: str) -> str:
    """Lines 1-3 of a case; its own lines start at line 4."""
    return f"extends: {BASELINE}\nname: {name}\ntitle: {{zh: 测试{name}, en: test {name}}}\n"


def division_csv(tmp_path: Path, file: str, change) -> Path:
    """The shipped division table with one row changed by ``change(row)``."""
    with open(data_dir() / "divisions-2020.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        change(row)
    path = tmp_path / file
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def zero_yongji(row):  # line 6 of the CSV (header, then 4 districts)
    if row["name"] == "永吉县":
        row["population"] = "0"


def short_chuanying(row):  # line 4: the 15-64 share cut by 0.1
    if row["name"] == "船营区":
        row["share_15_64"] = f"{float(row['share_15_64']) - 0.1:.4f}"


# case: (body from line 4, a CSV to write or None, where "file:line:", key, phrases, hint phrase)
BAD = {
    "a-priority-name": (
        "regions:\n  tegang:\n    rule: priority\n    priority: [永吉县, 蛟河]\n",
        None,
        "case.yaml:7:",
        "regions.tegang.priority.1",
        ["no division '蛟河'"],
        "did you mean '蛟河市'?",
    ),
    "b-population-name": (
        "regions:\n  population:\n    蛟河: 300000\n",
        None,
        "case.yaml:6:",
        "regions.population.蛟河",
        ["no division '蛟河'"],
        "did you mean '蛟河市'?",
    ),
    "b-zone-is-not-a-division": (
        "regions:\n  population:\n    吉林经济开发区: 1000\n",
        None,
        "case.yaml:6:",
        "regions.population.吉林经济开发区",
        ["no division"],
        "divisions: 昌邑区",
    ),
    "c-shares-not-one": (
        "regions:\n  tegang: {rule: shares, priority: [], shares: {蛟河市: 0.5, 舒兰市: 0.4}}\n",
        None,
        "case.yaml:5:",
        "regions.tegang",
        ["sum to 0.9", "not 1"],
        "add up to 1",
    ),
    "d-no-population": (
        "regions:\n  population: {蛟河市: 0}\n",
        None,
        "case.yaml:5:",
        "regions.population",
        ["蛟河市 has no population"],
        "a division needs people",
    ),
    "e-negative-cap": (
        "regions:\n  redeployment:\n    cap: -5\n",
        None,
        "case.yaml:6:",
        "regions.redeployment.cap",
        ["must be ≥ 0", "-5"],
        "0 or more",
    ),
    "f-csv-no-population": (
        "regions:\n  table: {csv}\n",
        ("f.csv", zero_yongji),
        "f.csv:6:",
        "population",
        ["永吉县 has no population"],
        "census population",
    ),
    "g-csv-age-shares": (
        "regions:\n  table: {csv}\n",
        ("g.csv", short_chuanying),
        "g.csv:4:",
        "share_0_4",
        ["age shares of 船营区 add up to 0.9000"],
        "must be 1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_regions_input_is_one_located_message(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    body, table, where, at_key, phrases, hint = BAD[case]
    if table is not None:
        body = body.format(csv=division_csv(tmp_path, *table))  # an absolute path: accepted
    path = tmp_path / "case.yaml"
    path.write_text(header(case) + body, encoding="utf-8")
    out = tmp_path / "runs"
    r = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and r.output.count("error:") == 1, r.output
    assert f"{where} {at_key}:" in r.output, r.output
    for p in phrases:
        assert p in r.output, r.output
    assert "hint:" in r.output and hint in r.output, r.output
    assert not out.exists() and not (tmp_path / "outputs").exists()


def test_a_division_table_beside_the_scenario_by_its_name(tmp_path, monkeypatch):
    """A relative table name is found beside the scenario when data/ has no such file."""
    monkeypatch.chdir(tmp_path)
    division_csv(tmp_path, "my-divisions.csv", short_chuanying)
    path = tmp_path / "case.yaml"
    path.write_text(header("beside") + "regions:\n  table: my-divisions.csv\n", encoding="utf-8")
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "my-divisions.csv:4: share_0_4:" in r.output, r.output


def test_the_csv_line_counts_blank_and_comment_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = division_csv(tmp_path, "plain.csv", zero_yongji).read_text(encoding="utf-8").splitlines()
    lines = [src[0], "", "# the urban districts", *src[1:5], "# the counties", *src[5:]]
    (tmp_path / "h.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines[8].split(",")[1] == "永吉县"  # line 9 of the file
    path = tmp_path / "case.yaml"
    path.write_text(header("blank") + f"regions:\n  table: {tmp_path / 'h.csv'}\n", encoding="utf-8")
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "h.csv:9: population:" in r.output, r.output


# ====================================================================== 6. --region on the CLI
@pytest.fixture(scope="module")
def all_run(tmp_path_factory):
    """``edusim run baseline --region all`` once: its output and its run folder."""
    tmp = tmp_path_factory.mktemp("regions-run")
    r = runner.invoke(app, ["run", "baseline", "--region", "all", "--out", str(tmp / "runs")])
    folders = list((tmp / "runs").iterdir()) if (tmp / "runs").exists() else []
    return r, folders, tmp


def test_run_region_all_prints_every_division(all_run):
    r, folders, _ = all_run
    assert r.exit_code == 0, r.output
    assert len(folders) == 1
    assert "区县 divisions" in r.output
    for name in ["吉林市", *NINE]:
        assert name in r.output, name


def test_run_region_misspelt_exits_2_naming_the_division(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "baseline", "--region", "蛟河", "--out", str(tmp_path / "runs")])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "--region" in r.output, r.output
    assert "hint:" in r.output and "did you mean '蛟河市'?" in r.output, r.output


def test_run_region_misspelt_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner.invoke(app, ["run", "baseline", "--region", "蛟河", "--out", str(tmp_path / "runs")])
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_export_tidy_one_division(all_run, ctx, tmp_path):
    import pandas as pd

    _, folders, _ = all_run
    out = tmp_path / "x.csv"
    r = runner.invoke(
        app, ["export", str(folders[0]), "--out", str(out), "--format", "tidy", "--region", "蛟河市"]
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) > 1000 and set(df["region"]) == {"蛟河市"}
    row = df[(df["variable"] == "Population|Total") & (df["year"] == 2035)]
    assert row["value"].item() == pytest.approx(ctx.results["Population|Total@蛟河市"][0, -1], rel=1e-9)
    r = runner.invoke(app, ["export", str(folders[0]), "--out", str(tmp_path / "z.csv"), "--region", "蛟河"])
    assert r.exit_code == 2 and "蛟河市" in r.output and not (tmp_path / "z.csv").exists(), r.output


def test_targets_of_a_division():
    r = runner.invoke(app, ["targets", "baseline", "--region", "蛟河市"])
    assert r.exit_code == 0, r.output
    assert "蛟河市" in r.output and "学前三" in r.output  # the preschool GER target (label, wrapped)
    # a count (23,000 vocational students) is the city's, not a division's target
    assert "中等职" not in r.output and "23,000" not in r.output


# ---------------------------------------------------------------- teachers moved between divisions
def test_move_between_fills_shortages_first_then_room_hand_case():
    """Band 15-20 pupils a teacher. A: 400 pupils, 30 teachers (at most 26.67: surplus 3.33);
    B: 400, 22 (inside, room 26.67 − 22 = 4.67); C: 200, 9 (at least 10: short 1; room beyond
    that 13.33 − 9 − 1 = 3.33). C takes 1 first; the other 2.33 go to room in proportion 4.67 : 3.33:
    B + 2.33 × 4.67/8 = 1.3611, C + 1 + 2.33 × 3.33/8 = 1.9722. Nobody is lost."""
    from sim.stages.teachers.divisions import Between, move_between

    reg = np.array([30.0, 22.0, 9.0]).reshape(3, 1, 1, 1, 1)
    b = Between(
        R=3,
        cap=np.full((1, 3), 100.0),
        low=np.array([15.0]),
        high=np.array([20.0]),
        pupils=np.array([400.0, 400.0, 200.0]).reshape(3, 1, 1),
    )
    arrived, sent = move_between(b, reg, reg.sum(axis=(3, 4)), 0)
    np.testing.assert_allclose(sent.ravel(), [10 / 3, 0, 0])
    np.testing.assert_allclose(arrived.ravel(), [0, (7 / 3) * (14 / 3) / 8, 1 + (7 / 3) * (10 / 3) / 8])
    np.testing.assert_allclose(
        reg.ravel(), [80 / 3, 22 + (7 / 3) * (14 / 3) / 8, 10 + (7 / 3) * (10 / 3) / 8]
    )
    assert reg.sum() == pytest.approx(61.0)


def test_move_between_respects_the_cap_and_the_draws():
    """Two draws of two divisions: the cap (1 a division) binds in draw 0; draw 1 has nothing to
    move; teachers never cross from one draw to another."""
    from sim.stages.teachers.divisions import Between, move_between

    reg = np.array([30.0, 14.0, 20.0, 20.0]).reshape(4, 1, 1, 1, 1)
    b = Between(
        R=2,
        cap=np.full((1, 4), 1.0),
        low=np.array([15.0]),
        high=np.array([20.0]),
        pupils=np.array([400.0, 400.0, 400.0, 400.0]).reshape(4, 1, 1),
    )
    arrived, sent = move_between(b, reg, reg.sum(axis=(3, 4)), 0)
    np.testing.assert_allclose(sent.ravel(), [1, 0, 0, 0])
    np.testing.assert_allclose(arrived.ravel(), [0, 1, 0, 0])
    np.testing.assert_allclose(reg.ravel(), [29, 15, 20, 20])


def test_the_model_moves_conserve_teachers_between_divisions():
    """With regions.redeployment.apply, every teacher sent arrives somewhere in the same year."""
    from sim.run.simulate import simulate_scenario

    res = simulate_scenario("teachers-between-divisions")
    sent = res.results["Teachers|Moved between divisions|Out"][0]
    arrived = res.results["Teachers|Moved between divisions|In"][0]
    assert sent.sum() > 100
    np.testing.assert_allclose(sent, arrived, rtol=1e-12, atol=1e-9)
    cost = res.results["Teachers|Moved between divisions|Cost"][0]
    np.testing.assert_allclose(cost, sent * res.scenario.regions.redeployment.cost_per_teacher)


def test_birth_shares_follow_the_people_of_childbearing_age_hand_case():
    """Two divisions with base shares 0.25 / 0.75 of age 0; the first keeps its 20-39s (100 → 100),
    the second loses half (300 → 150): weights 0.25 × 1 and 0.75 × 0.5, shares 0.4 and 0.6."""
    from sim.stages.population import BirthShares

    base = np.zeros((2, 101))
    base[:, 25] = [100.0, 300.0]
    now = base.copy()
    now[1, 25] = 150.0
    b = BirthShares(R=2, base=np.array([0.25, 0.75]))
    np.testing.assert_allclose(b.at(now, base), [0.4, 0.6])
    np.testing.assert_allclose(b.at(base, base), [0.25, 0.75])  # unchanged people: the base shares


def test_division_births_add_up_to_the_citys():
    from sim.run.simulate import simulate_scenario

    res = simulate_scenario("baseline")
    city = res.results["Population|Births"][0, 1:]
    names = [r for r in res.regions if r != "吉林市"]
    total = sum(res.results[f"Population|Births@{n}"][0, 1:] for n in names)
    np.testing.assert_allclose(total, city, rtol=1e-12)
    # the pull takes young adults to the districts: their share of births grows
    share = res.results["Population|Births@昌邑区"][0] / res.results["Population|Births"][0]
    assert share[-1] > share[1]


def test_a_project_adds_school_places_and_costs_money_in_its_division(tmp_path):
    """A new primary school in 昌邑区 (1,800 places from 2025, 60 million yuan over 2024-2025): its
    places count in 昌邑区 only, its cost is spent there only, the other divisions keep theirs."""
    from sim.run.simulate import simulate_scenario

    f = tmp_path / "build.yaml"
    f.write_text(
        f"extends: {BASELINE}\nname: build\ntitle: {{zh: 建校, en: Build}}\n"
        "finance:\n  projects:\n    - name: new-primary-changyi\n      start: 2024\n      opens: 2025\n"
        "      cost: 60000000\n      adds: {school_places: {primary: 1800}}\n      region: 昌邑区\n"
        "      source: test\n",
        encoding="utf-8",
    )
    res = simulate_scenario(str(f))
    t = list(res.years).index(2025)
    places = res.results["Places|Primary@昌邑区"][0]
    assert places[t] - places[t - 1] == pytest.approx(1800)
    assert res.results["Places|Primary@蛟河市"][0, t] == res.results["Places|Primary@蛟河市"][0, t - 1]
    spent = res.results["Spending|Projects@昌邑区"][0]
    assert spent[t - 1] == pytest.approx(30e6) and spent[t] == pytest.approx(30e6)
    assert (res.results["Spending|Projects@蛟河市"][0] == 0).all()
    assert res.results["Spending|Projects"][0, t] == pytest.approx(30e6)


@pytest.mark.parametrize(
    "body, says",
    [
        # a child without teachers inherits levers that name them: the error says how to drop them
        ("teachers: null\n", ["'teachers' is not a section", "write `levers: {}` there"]),
        # a misspelt level in places.added is refused, not ignored
        ("regions:\n  places:\n    added: {蛟河市: {primari: {2030: 100}}}\n", ["unknown level 'primari'"]),
        # closing more places than a division has: the division, the year, what it had
        (
            "regions:\n  places:\n    added: {蛟河市: {primary: {2030: -99999999}}}\n",
            ["closes more primary places in 蛟河市 than it has by 2030"],
        ),
    ],
)
def test_more_bad_regions_input_is_a_clear_error(tmp_path, body, says):
    f = tmp_path / "case.yaml"
    f.write_text(f"extends: {BASELINE}\nname: case\ntitle: {{zh: 例, en: Case}}\n{body}", encoding="utf-8")
    r = runner.invoke(app, ["run", str(f), "--out", str(tmp_path / "runs")])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "internal error" not in r.output
    for text in says:
        assert text in r.output, r.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
