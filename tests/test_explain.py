"""Drivers decomposition, the reconstructed cohort and the back-test command."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from sim.analysis.cohort import reconstructed_cohort
from sim.analysis.explain import between_scenarios, between_years, shapley
from sim.run.simulate import prepare, simulate

runner = CliRunner()


def test_reconstructed_cohort_by_hand():
    """Two grades, promotion 0.8, repetition 0.1, dropout 0.1, a cohort of 1,000.

    Grade 1: 1,000 enter; each year 80 % of those present move up, 10 % repeat, so entrants
    spend 1 + 0.1 + 0.01 + ... = 1/0.9 = 1.111 years there (1,111.1 pupil-years) and
    1,000 × 0.8/0.9 = 888.9 ever reach grade 2 (survival 0.889).
    Grade 2: 888.9 × 1/0.9 = 987.7 pupil-years; graduates 888.9 × 0.8/0.9 = 790.1.
    Years per graduate (1,111.1 + 987.7) / 790.1 = 2.656; efficiency 790.1 × 2 / 2,098.8 = 0.753.
    """
    rc = reconstructed_cohort(np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]))
    assert np.allclose(rc["survival"], [1.0, 0.8889], atol=1e-4)
    assert np.allclose(rc["pupil_years"], [1111.11, 987.65], atol=0.01)
    assert np.isclose(rc["graduates"], 790.12, atol=0.01)
    assert np.isclose(rc["years_per_graduate"], 2.6563, atol=1e-4)
    assert np.isclose(rc["coefficient_of_efficiency"], 0.7529, atol=1e-4)
    # one repetition allowed: a grade-1 entrant stays 1 + 0.1 years, moves up with 0.8 × 1.1
    capped = reconstructed_cohort(
        np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]), max_repeats=1
    )
    assert np.isclose(capped["survival"][1], 0.88)
    # no repetition or dropout: everyone graduates in n years, efficiency 1
    perfect = reconstructed_cohort(np.ones(6), np.zeros(6), np.zeros(6))
    assert perfect["coefficient_of_efficiency"] == 1.0 and perfect["years_per_graduate"] == 6.0


def test_shapley_sums_to_the_total():
    v = lambda s: 3 * ("a" in s) + 4 * ("b" in s) * ("c" in s) - 2 * ("c" in s)  # noqa: E731
    parts = shapley(["a", "b", "c"], v)
    assert np.isclose(sum(parts.values()), v(frozenset("abc")) - v(frozenset()))


@pytest.fixture(scope="module")
def base():
    p = prepare("baseline")
    return p.scenario, p.tables, (lambda s: simulate(s, p.tables).results)


@pytest.mark.parametrize(
    "variable, y1, y2",
    [
        ("Teachers|Gap", 2020, 2025),
        ("Teachers|Gap|Primary", 2020, 2035),
        ("Teachers|Gap|Preschool", 2022, 2030),
        ("Enrolment|Primary", 2020, 2035),
        ("GER|Upper secondary", 2021, 2030),
        ("Mean years of schooling|Working age", 2020, 2035),
        ("Spending|Total", 2020, 2030),
        ("Budget|Surplus", 2020, 2025),
    ],
)
def test_parts_sum_exactly_between_years(base, variable, y1, y2):
    s, tables, run = base
    df = between_years(s, tables, variable, y1, y2, run)
    res = run(s)[variable][0]
    total = res[y2 - 2020] - res[y1 - 2020]
    assert np.isclose(df["value"].sum(), total, rtol=1e-9, atol=1e-6 * max(1, abs(total)))


def test_money_parts_follow_the_recurrent_model(base):
    s, tables, run = base
    df = between_years(s, tables, "Spending|Total", 2020, 2035, run).set_index("part")["value"]
    assert set(df.index) == {
        "teachers in post",
        "pay per teacher",
        "enrolment",
        "non-personnel per student",
        "programmes",
        "projects",
    }
    assert df["enrolment"] < 0 and df["pay per teacher"] > 0 and df["non-personnel per student"] > 0
    # 特岗 +150 a year: the money moves through teachers in post (and the central subsidy), not pupils
    other = prepare("tegang-300").scenario
    df = between_scenarios(s, other, tables, "Spending|Total", 2030, run).set_index("part")["value"]
    total = run(other)["Spending|Total"][0, 10] - run(s)["Spending|Total"][0, 10]
    assert np.isclose(df.sum(), total)
    assert df["teachers in post"] > 0 and df["enrolment"] == 0 and df["non-personnel per student"] == 0


def test_gap_parts_have_the_right_signs(base):
    s, tables, run = base
    df = between_years(s, tables, "Teachers|Gap", 2020, 2030, run).set_index("part")["value"]
    assert df["retirements"] < 0 and df["attrition"] < 0 and df["regular hires"] >= 0
    placed = run(s)["Teachers|Tegang|Hires"][0, 1:11].sum()  # placed in 2021-2030 (to-need: few)
    assert df["tegang hires"] == pytest.approx(placed)


def test_parts_sum_exactly_between_scenarios(base):
    s, tables, run = base
    other = prepare("tegang-300").scenario
    df = between_scenarios(s, other, tables, "Teachers|Gap", 2025, run).set_index("part")["value"]
    extra = (run(other)["Teachers|Tegang|Hires"] - run(s)["Teachers|Tegang|Hires"])[0, 1:6].sum()
    assert df["tegang hires"] == pytest.approx(extra) and extra >= 150 * 5 and df["demand"] == 0
    low = prepare("low-births").scenario
    df = between_scenarios(s, low, tables, "Enrolment|Primary", 2035, run)
    total = run(low)["Enrolment|Primary"][0, -1] - run(s)["Enrolment|Primary"][0, -1]
    assert np.isclose(df["value"].sum(), total) and df.set_index("part").loc[
        "births", "value"
    ] == pytest.approx(total)


def test_explain_and_cohort_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(
        app, ["explain", "baseline", "--variable", "Teachers|Gap", "--from", "2020", "--to", "2025"]
    )
    assert r.exit_code == 0 and "退休" in r.output and "sum" in r.output, r.output
    r = runner.invoke(
        app,
        ["explain", "tegang-300", "--variable", "Teachers|Gap", "--against", "baseline", "--year", "2025"],
    )
    assert r.exit_code == 0 and "特岗" in r.output, r.output
    r = runner.invoke(app, ["explain", "baseline", "--cohort"])
    assert r.exit_code == 0 and "Primary" in r.output and "efficiency" in r.output, r.output


@pytest.mark.parametrize(
    "args, needle",
    [
        (
            ["explain", "baseline", "--variable", "Teachers|Gap", "--from", "2010", "--to", "2025"],
            "outside the horizon",
        ),
        (["explain", "baseline", "--variable", "Teachers|Gapp"], "does not produce"),
        (
            [
                "explain",
                "baseline",
                "--variable",
                "Teachers|Gap|Primary|Rural",
                "--from",
                "2020",
                "--to",
                "2025",
            ],
            "by level",
        ),
        (["backtest", "--base", "2017"], "no back-test data for base year 2017"),
    ],
)
def test_explain_and_backtest_bad_input(tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and needle in r.output, r.output
    assert not (tmp_path / "outputs").exists()


def test_backtest_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["backtest", "--out", "bt"])
    assert r.exit_code == 0, r.output
    (folder,) = (tmp_path / "bt").iterdir()  # --out is the parent of a new folder
    table = pd.read_csv(folder / "backtest.csv")
    assert set(table["base"]) == {2015, 2020}
    assert set(table[table.base == 2015]["lead"]) == {5} and 2021 not in set(table["year"])  # calibration
    summary = pd.read_csv(folder / "summary.csv").set_index("lead")
    assert summary.loc[5, "MAPE"] == pytest.approx(table[table.lead == 5]["ape"].mean())
    r = runner.invoke(app, ["backtest", "--base", "2015", "--draws", "40", "--out", "bt"])
    assert r.exit_code == 0
    (second,) = set((tmp_path / "bt").iterdir()) - {folder}  # never over the first
    assert "inside 90 %" in pd.read_csv(second / "summary.csv").columns


def test_per_pupil_convention_by_hand():
    """Two grades at 0.8 / 0.1 / 0.1, at most one repetition per pupil over the level: 1,000 entrants;
    year 1: 800 up, 100 repeat, 100 leave; year 2: 640 graduate, 80 repeat grade 2 (their one repeat),
    80 leave, and of the 100 grade-1 repeaters 80 go up, 10 would repeat again and leave, 10 leave;
    year 3: 160 in grade 2, 128 graduate. 768 graduates, 232 dropouts, 1,100 + 960 pupil-years."""
    from sim.analysis.cohort import reconstructed_cohort_per_pupil

    r = reconstructed_cohort_per_pupil(
        np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]), max_repeats=1
    )
    assert float(r["graduates"]) == pytest.approx(768.0) and float(r["dropouts"]) == pytest.approx(232.0)
    assert r["pupil_years"].tolist() == pytest.approx([1100.0, 960.0])
    assert r["survival"].tolist() == pytest.approx([1.0, 0.88])
    many = reconstructed_cohort_per_pupil(
        np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]), max_repeats=60
    )
    assert float(many["graduates"]) == pytest.approx(
        float(
            reconstructed_cohort(np.array([0.8, 0.8]), np.array([0.1, 0.1]), np.array([0.1, 0.1]))[
                "graduates"
            ]
        )
    )
