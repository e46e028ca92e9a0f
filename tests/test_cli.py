"""The command line end to end, including every bad-input case: exit 2, one message, nothing written."""

import json

import pandas as pd
import pytest
from conftest import ROOT, write
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


@pytest.fixture()
def here(tmp_path, monkeypatch):
    """Work in an empty folder holding a copy of the baseline, so outputs/ starts empty."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline.yaml").write_text(
        (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return tmp_path


def test_run_writes_a_complete_folder(here):
    r = runner.invoke(app, ["run", "baseline"])
    assert r.exit_code == 0, r.output
    runs = list((here / "outputs" / "baseline").iterdir())
    assert len(runs) == 1
    folder = runs[0]
    assert {p.name for p in folder.iterdir()} == {
        "results.csv",
        "results.parquet",
        "scenario.resolved.yaml",
        "manifest.json",
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (
        manifest["name"] == "baseline"
        and manifest["draws"] == 1
        and manifest["scenario_hash"][:8] in folder.name
    )
    assert set(manifest["timings_s"]) >= {"load", "population", "students", "attainment", "write"}
    df = pd.read_parquet(folder / "results.parquet")
    assert list(df.columns) == ["scenario", "region", "draw", "year", "variable", "value"]
    assert "学前三年毛入园率" in r.output and "2035" in r.output
    # a second run never overwrites the first
    assert runner.invoke(app, ["run", "baseline"]).exit_code == 0
    assert len(list((here / "outputs" / "baseline").iterdir())) == 2


def test_resolved_scenario_runs_to_the_same_numbers(here):
    assert runner.invoke(app, ["run", "baseline", "--out", "a"]).exit_code == 0
    folder = next((here / "a").iterdir())
    resolved = folder / "scenario.resolved.yaml"
    r = runner.invoke(app, ["run", str(resolved), "--out", "b"])
    assert r.exit_code == 0, r.output
    a = pd.read_csv(folder / "results.csv")
    b = pd.read_csv(next((here / "b").iterdir()) / "results.csv")
    pd.testing.assert_frame_equal(a, b)


def test_extends_two_lines_changes_the_result(here):
    write(
        here / "fewer-births.yaml",
        "extends: baseline\nname: fewer-births\n"
        "title: {zh: 少生, en: Fewer births}\ndescription: {zh: 测试, en: test}\n"
        "population:\n  births: {2021: 12000, 2024: 9000, growth: -0.05}\n",
    )
    from sim.run.simulate import simulate_scenario

    base, alt = simulate_scenario("baseline"), simulate_scenario("fewer-births.yaml")
    assert alt.value("Enrolment|Primary", 2035) < base.value("Enrolment|Primary", 2035)
    # pupils of 2025 were born by 2019; they move only because migrants are shared out by age
    assert abs(alt.value("Enrolment|Primary", 2025) / base.value("Enrolment|Primary", 2025) - 1) < 0.002


def test_validate_and_list():
    r = runner.invoke(app, ["validate", "baseline", "backtest-2015"])
    assert r.exit_code == 0 and r.output.count("ok") == 2
    r = runner.invoke(app, ["list"])
    assert r.exit_code == 0 and "baseline" in r.output and "backtest-2015" in r.output


BAD = {
    "yaml-syntax": ("name: x\ntitle: a: b\n", "YAML syntax error", 2),
    "empty": ("", "the file is empty", None),
    "unknown-key": ("extends: baseline\nname: x\npopulaton:\n  births: 1\n", "did you mean 'population'", 3),
    "wrong-type": ("extends: baseline\nname: x\nseed: many\n", "seed", 3),
    "rate-above-1": ("extends: baseline\nname: x\nstudents:\n  primary_entry_rate: 1.2\n", "must be ≤ 1", 4),
    "rate-below-0": (
        "extends: baseline\nname: x\nstudents:\n  transitions:\n    vocational_share: -5%\n",
        "must be ≥ 0",
        5,
    ),
    "end-before-start": (
        "extends: baseline\nname: x\nhorizon: {start: 2020, end: 2019}\n",
        "must be after its start",
        3,
    ),
    "beyond-data": ("extends: baseline\nname: x\nhorizon: {start: 2020, end: 2070}\n", "beyond 2050", 3),
    "start-without-data": (
        "extends: baseline\nname: x\nhorizon: {start: 2018, end: 2030}\n",
        "base population",
        None,
    ),
    "negative-births": (
        "extends: baseline\nname: x\npopulation:\n  births: {2021: -100}\n",
        "must be ≥ 0",
        4,
    ),
    "missing-parent": ("extends: basline\nname: x\n", "did you mean 'baseline'", 1),
    "series-no-points": (
        "extends: baseline\nname: x\npopulation:\n  births: {growth: -0.02}\n",
        "at least one point",
        4,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_clear_message(here, case):
    text, needle, line = BAD[case]
    if text.startswith("extends: baseline"):  # a child has its own title (last: the lines stay)
        text += "title: {zh: 测试, en: Test}\n"
    write(here / f"{case}.yaml", text)
    for cmd in (["run", f"{case}.yaml"], ["validate", f"{case}.yaml"]):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 2, r.output
        assert needle in r.output, r.output
        assert f"{case}.yaml" in r.output
        if line is not None:
            assert f"{case}.yaml:{line}:" in r.output, r.output
        assert "Traceback" not in r.output
    assert not (here / "outputs").exists()


def test_extends_cycle(here):
    write(here / "a.yaml", "extends: b.yaml\nname: a\n")
    write(here / "b.yaml", "extends: a.yaml\nname: b\n")
    r = runner.invoke(app, ["run", "a.yaml"])
    assert r.exit_code == 2 and "cycle" in r.output and "a.yaml → b.yaml → a.yaml" in r.output


def test_negative_population_in_data_file(here):
    df = pd.read_csv(ROOT / "data" / "population-2020.csv")
    df.loc[10, "persons"] = -5
    df.to_csv(here / "bad-pop.csv", index=False)
    write(
        here / "neg.yaml",
        "extends: baseline\nname: neg\ntitle: {zh: 负, en: Negative}\npopulation:\n  base: bad-pop.csv\n",
    )
    r = runner.invoke(app, ["run", "neg.yaml"])
    assert r.exit_code == 2 and "bad-pop.csv:12:" in r.output and "persons must be a number ≥ 0" in r.output
    assert not (here / "outputs").exists()


def test_debug_shows_the_traceback(here):
    write(here / "x.yaml", "extends: baseline\nname: x\nseed: many\n")
    r = runner.invoke(app, ["--debug", "run", "x.yaml"])
    assert r.exit_code != 0 and r.exception is not None


def test_draws_must_be_positive(here):
    r = runner.invoke(app, ["run", "baseline", "--draws", "0"])
    assert r.exit_code == 2 and "--draws" in r.output


def test_unwritable_out(here):
    (here / "file").write_text("x")
    r = runner.invoke(app, ["run", "baseline", "--out", "file/sub"])
    assert r.exit_code == 2 and "cannot create" in r.output


def test_export_iamc_and_tidy(here):
    assert runner.invoke(app, ["run", "baseline", "--out", "runs"]).exit_code == 0
    folder = next((here / "runs").iterdir())
    r = runner.invoke(app, ["export", str(folder), "--out", "iamc.csv"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(here / "iamc.csv")
    assert list(df.columns[:7]) == ["scenario", "region", "draw", "variable", "unit", "label_zh", "label_en"]
    row = df[df["variable"] == "Enrolment|Preschool"].iloc[0]
    assert (
        row["2020"] == pytest.approx(66000) and row["unit"] == "persons" and row["label_zh"] == "在园幼儿数"
    )
    assert runner.invoke(app, ["export", str(folder), "--out", "t.xlsx", "--format", "tidy"]).exit_code == 0
    assert pd.read_excel(here / "t.xlsx").shape[1] == 6
    r = runner.invoke(app, ["export", str(here), "--out", "x.csv"])
    assert r.exit_code == 2 and "not a run folder" in r.output
