"""The back-test's naive benchmarks (no change, cohort ratio), the skill score, interval coverage
and width, each on cases worked by hand; and the `edusim backtest` command end to end."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from sim.analysis.backtest import (
    age_without_migration,
    compare,
    naive_cohort_ratio,
    naive_forecasts,
    naive_no_change,
    skill,
    summary,
    summary_display,
)

runner = CliRunner()


def _obs(rows, calibrates=None):
    df = pd.DataFrame(rows, columns=["year", "variable", "value"])
    df["source"] = "hand"
    df["calibrates"] = calibrates if calibrates is not None else np.nan
    return df


# ------------------------------------------------------------------ no change
def test_no_change_holds_the_base_year_value_and_skips_what_the_base_year_lacks():
    obs = _obs(
        [
            (2015, "Enrolment|Preschool", 82_000),
            (2015, "GER|Preschool", 0.779),
            (2020, "Enrolment|Preschool", 66_000),
            (2020, "GER|Preschool", 0.925),
            (2021, "Population|Total|Year-end", 3_547_300),  # no 2015 value: skipped
        ],
        calibrates=[2015, 2015, 2020, 2020, 2020],
    )
    f = naive_no_change(2015, obs)
    assert f[(2020, "Enrolment|Preschool")] == 82_000
    assert f[(2020, "GER|Preschool")] == 0.779
    assert np.isnan(f[(2021, "Population|Total|Year-end")])
    assert 2015 not in f.index.get_level_values("year")  # the base year is not forecast


# ------------------------------------------------------------------ ageing and cohort ratio
def test_ageing_with_survival_only_by_hand():
    """Ages 0-3 (3 open-ended): 10, 20, 30, 40; qx 0.1, 0, 0.5, 0.5; age 0 held at 10.
    Year 1: survivors 9, 20, 15, 20 → 10, 9, 20, 15 + 20 = 35.
    Year 2: survivors 9, 9, 10, 17.5 → 10, 9, 9, 10 + 17.5 = 27.5."""
    pop = age_without_migration(np.array([10.0, 20, 30, 40]), np.array([0.1, 0.0, 0.5, 0.5]), 2)
    assert np.allclose(pop, [[10, 20, 30, 40], [10, 9, 20, 35], [10, 9, 9, 27.5]])
    # rates by year: row t the rates of year t (row 0 unused)
    qx = np.array([[1.0, 1, 1, 1], [0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]])
    pop = age_without_migration(np.array([10.0, 20, 30, 40]), qx, 2)
    assert np.allclose(pop, [[10, 20, 30, 40], [10, 10, 20, 70], [10, 5, 5, 45]])


def test_cohort_ratio_by_hand():
    """Ages 0-7, no deaths, age 0 held at 6. Base: 6, 7, 8, 10, 11, 12, 13, 14.
    Year 1: 6, 6, 7, 8, 10, 11, 12, 13 + 14 = 27.  Year 2: 6, 6, 6, 7, 8, 10, 11, 12 + 27 = 39.
    Kindergarten 66 children in the base year on 10 + 11 + 12 = 33 children aged 3-5: ratio 2;
    aged 3-5 in year 2: 7 + 8 + 10 = 25 → 50 children. The GER is held at 0.8. Totals: 81, 87,
    93 (6 born a year, nobody dies); year-end of year 1: 87 + 2/12 × (93 − 87) = 88."""
    pop = age_without_migration(np.array([6.0, 7, 8, 10, 11, 12, 13, 14]), np.zeros(8), 2)
    assert pop[2].tolist() == [6, 6, 6, 7, 8, 10, 11, 39]
    obs = _obs(
        [
            (2015, "Enrolment|Preschool", 66),
            (2015, "GER|Preschool", 0.8),
            (2017, "Enrolment|Preschool", 1),
            (2017, "GER|Preschool", 1),
            (2016, "Population|Total|Year-end", 1),
            (2017, "Population|Total|Year-end", 1),  # needs year 3: not given, skipped
            (2017, "Enrolment|Primary", 1),  # no base-year value: skipped
            (2017, "Population|Crude death rate", 1),  # nothing a ratio method offers: skipped
        ]
    )
    f = naive_cohort_ratio(2015, obs, pop)
    assert f[(2017, "Enrolment|Preschool")] == pytest.approx(50.0)
    assert f[(2017, "GER|Preschool")] == 0.8
    assert f[(2016, "Population|Total|Year-end")] == pytest.approx(88.0)
    for skipped in [
        (2017, "Population|Total|Year-end"),
        (2017, "Enrolment|Primary"),
        (2017, "Population|Crude death rate"),
    ]:
        assert np.isnan(f[skipped]), skipped


def test_cohort_ratio_of_the_2015_back_test_reads_its_own_tables():
    """Kindergarten 2020 from 2015: 82,000 / the 2015 table's 105,263 aged 3-5, × the 2020 children
    aged 3-5, who were born after 2015: three cohorts held at the 2015 age 0 (30,666), less the
    few deaths of ages 0-4 (well under 1 %)."""
    from sim.analysis.backtest import observed
    from sim.run.simulate import prepare

    prep = prepare("backtest-2015")
    obs = observed()
    f = naive_forecasts(2015, obs, prep.scenario, prep.tables)
    persons = prep.tables[prep.scenario.population.base]["persons"].to_numpy(dtype=float)
    ratio = 82_000 / persons[3:6].sum()
    no_deaths = ratio * 3 * persons[0]
    assert 0.99 * no_deaths < f["cohort-ratio"][(2020, "Enrolment|Preschool")] < no_deaths
    assert f["no-change"][(2020, "Enrolment|Preschool")] == 82_000
    assert f["cohort-ratio"][(2020, "NER|Primary")] == 0.99


# ------------------------------------------------------------------ scoring, skill, coverage
def _hand_table():
    """101 draws 0, 1, …, 100 every year: median 50, quantiles 5 / 25 / 75 / 95.
    Observed at lead 5: a 50, b 80, c 100; at lead 3: a 40. Model APEs 0, 0.375, 0.5; 0.25.
    No change: a 60, b 60, c none → APE 0.2, 0.25, –; 0.5. Cohort ratio: a 40, b 100, c 90;
    a 40 at lead 3 → APE 0.2, 0.25, 0.1; 0."""
    years = np.arange(2015, 2021)
    draws = np.repeat(np.arange(101.0)[:, None], len(years), axis=1)
    results = {"a": draws, "b": draws, "c": draws}
    obs = _obs([(2020, "a", 50), (2020, "b", 80), (2020, "c", 100), (2018, "a", 40), (2019, "b", 1)])
    obs.loc[4, "calibrates"] = 2015  # fitted to by the run that starts in 2015: never scored for it
    idx = pd.MultiIndex.from_tuples([(2020, "a"), (2020, "b"), (2020, "c"), (2018, "a")])
    naive = {
        "no-change": pd.Series([60.0, 60.0, np.nan, 60.0], index=idx),
        "cohort-ratio": pd.Series([40.0, 100.0, 90.0, 40.0], index=idx),
    }
    return compare(2015, results, years, obs, naive)


def test_compare_scores_model_and_naive_methods_per_observation():
    t = _hand_table().set_index(["lead", "variable"])
    assert len(t) == 4  # the calibrating row is left out
    assert t["ape"].tolist() == pytest.approx([0, 0.375, 0.5, 0.25])
    assert t["ape no-change"].tolist()[:2] == pytest.approx([0.2, 0.25])
    assert np.isnan(t.loc[(5, "c"), "ape no-change"])
    assert t["ape cohort-ratio"].tolist() == pytest.approx([0.2, 0.25, 0.1, 0.0])
    assert t["in50"].tolist() == [True, False, False, True]
    assert t["in90"].tolist() == [True, True, False, True]
    # widths: 50 / observed and 90 / observed
    assert t["width 50 %"].tolist() == pytest.approx([1.0, 50 / 80, 0.5, 50 / 40])
    assert t["width 90 %"].tolist() == pytest.approx([1.8, 90 / 80, 0.9, 90 / 40])


def test_skill_and_coverage_arithmetic_by_hand():
    s = summary(_hand_table())
    five = s[s["lead"] == 5].iloc[0]
    assert five["n"] == 3 and five["MAPE"] == pytest.approx(0.875 / 3)
    assert five["n no-change"] == 2 and five["MAPE no-change"] == pytest.approx(0.225)
    # skill over the observations both forecast (a, b): 1 − 0.1875 / 0.225
    assert five["skill vs no-change"] == pytest.approx(1 - 0.1875 / 0.225)
    assert five["MAPE cohort-ratio"] == pytest.approx(0.55 / 3)
    assert five["skill vs cohort-ratio"] == pytest.approx(1 - (0.875 / 3) / (0.55 / 3))  # −0.59
    assert five["inside 50 %"] == pytest.approx(1 / 3) and five["inside 90 %"] == pytest.approx(2 / 3)
    assert five["width 50 %"] == pytest.approx((1 + 0.625 + 0.5) / 3)
    assert five["width 90 %"] == pytest.approx((1.8 + 1.125 + 0.9) / 3)
    three = s[s["lead"] == 3].iloc[0]
    assert three["skill vs no-change"] == pytest.approx(1 - 0.25 / 0.5)
    assert np.isnan(three["skill vs cohort-ratio"])  # the naive method made no error
    overall = s[s["lead"].isna()].iloc[0]
    assert overall["n"] == 4 and overall["MAPE"] == pytest.approx(1.125 / 4)
    assert overall["skill vs no-change"] == pytest.approx(1 - (0.625 / 3) / (0.95 / 3))
    assert overall["skill vs cohort-ratio"] == pytest.approx(1 - (1.125 / 4) / (0.55 / 4))
    assert overall["inside 50 %"] == 0.5 and overall["inside 90 %"] == 0.75
    assert overall["width 90 %"] == pytest.approx((2.25 + 1.8 + 1.125 + 0.9) / 4)
    shown = summary_display(s)
    assert shown["lead"].tolist() == ["3", "5", "all"]
    assert shown.loc[1, "MAPE model"] == "29.2%" and shown.loc[1, "MAPE no-change"] == "22.5% (n 2)"
    assert shown.loc[1, "skill vs cohort-ratio"] == "-0.59" and shown.loc[1, "inside 90 %"] == "66.7%"


def test_skill_function():
    assert skill(pd.Series([0.1, 0.2, 0.3]), pd.Series([0.2, 0.2, np.nan])) == pytest.approx(0.25)
    assert np.isnan(skill(pd.Series([0.1]), pd.Series([np.nan])))


def test_no_intervals_without_draws_or_for_a_run_that_varies_nothing():
    years = np.arange(2015, 2021)
    obs = _obs([(2020, "a", 50)])
    one = compare(2015, {"a": np.full((1, 6), 40.0)}, years, obs)
    alike = compare(2015, {"a": np.full((30, 6), 40.0)}, years, obs, intervals=False)
    for t in (one, alike):
        assert t["in50"].isna().all() and t["width 90 %"].isna().all()
        assert "inside 90 %" not in summary(t).columns


# ------------------------------------------------------------------ the command
def test_backtest_command_prints_and_writes_the_benchmarks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["backtest", "--base", "2015", "--draws", "40", "--out", "bt", "--lang", "en"])
    assert r.exit_code == 0, r.output
    # headers wrap to the width of their numbers: every word of each is there
    for column in ("MAPE model", "MAPE no-change", "MAPE cohort-ratio", "skill vs no-change", "inside 90 %"):
        for word in column.replace("-", "- ").split():
            assert word in r.output, (column, word)
    (folder,) = (tmp_path / "bt").iterdir()
    table = pd.read_csv(folder / "backtest.csv")
    for column in ("model", "ape", "no-change", "ape no-change", "cohort-ratio", "ape cohort-ratio", "q95"):
        assert column in table.columns, column
    assert set(table["lead"]) == {5} and table["ape no-change"].notna().all()
    s = pd.read_csv(folder / "summary.csv")
    five = s[s["lead"] == 5].iloc[0]
    assert five["n"] == five["n no-change"] == five["n cohort-ratio"] == 9
    for m in ("no-change", "cohort-ratio"):
        assert five[f"skill vs {m}"] == pytest.approx(1 - five["MAPE"] / five[f"MAPE {m}"])
        assert five[f"MAPE {m}"] == pytest.approx(table[f"ape {m}"].mean())
    assert 0 <= five["inside 90 %"] <= 1 and five["width 90 %"] > 0
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "skill vs cohort-ratio" in page and "cohort ratio" in page
