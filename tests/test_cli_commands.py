"""Every command end to end, and every numeric or named option out of range: exit 2, one line, no
traceback, nothing written. One error policy: a bug is one line too, with --debug for the traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from sim.core.paths import scenario_dir

runner = CliRunner()
BASE = scenario_dir() / "baseline.yaml"
UNCERTAIN = f"""extends: {BASE}
name: unc
draws: 8
uncertainty:
  population.births: {{dist: truncnorm, params: {{a: -2, b: 2, loc: 1.0, scale: 0.1}}, apply: scale}}
  teachers.tegang.retention: {{dist: beta, params: {{a: 17, b: 3}}}}
levers:
  teachers.tegang.hires: {{min: 0, max: 400}}
title: {{zh: 不确定, en: Uncertain}}
"""


@pytest.fixture()
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "unc.yaml").write_text(UNCERTAIN, encoding="utf-8")
    return tmp_path


def ok(args):
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.output


def refused(args, needle, here: Path):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (args, r.output)
    assert "Traceback" not in r.output and needle in r.output, (args, r.output)
    assert not (here / "outputs").exists() or not any((here / "outputs").rglob("*.*")), (
        "something was written"
    )


# ------------------------------------------------------------------ the commands not run elsewhere
def test_targets_prints_the_scorecard(here):
    out = ok(["targets", "baseline"])
    assert "学前三" in out and "达成" in out and "23,000" in out
    out = ok(["targets", "unc.yaml", "--draws", "8"])
    assert "%" in out


def test_sensitivity_writes_indices_and_a_page(here):
    out = ok(
        [
            "sensitivity",
            "unc.yaml",
            "--method",
            "morris",
            "--n",
            "4",
            "--output",
            "Enrolment|Primary@2030",
            "--lang",
            "en",
        ]
    )
    (folder,) = (here / "outputs" / "sensitivity").iterdir()
    indices = pd.read_csv(folder / "indices.csv")
    assert set(indices["input"]) == {"population.births", "teachers.tegang.retention"}
    assert (folder / "report.html").stat().st_size > 100_000 and "population.births" in out


def test_sweep_writes_a_table_and_a_page_in_new_folders(here):
    ok(["sweep", "baseline", "--lever", "teachers.tegang.hires=0:300:150"])
    ok(["sweep", "baseline", "--lever", "teachers.tegang.hires=0:300:300"])  # same second: a second folder
    folders = sorted((here / "outputs" / "sweeps").iterdir())
    assert len(folders) == 2
    sizes = {len(pd.read_csv(f / "sweep.csv")) for f in folders}
    n_targets = len(pd.read_csv(folders[0] / "sweep.csv")["target"].unique())
    assert sizes == {3 * n_targets, 2 * n_targets}


def test_solve_finds_and_confirms(here):
    out = ok(
        [
            "solve",
            "baseline",
            "--lever",
            "students.transitions.vocational_share=0.28:0.5",
            "--target",
            "vocational-students-2025",
        ]
    )
    assert "confirmed by a run" in out and "→ met" in out


def test_every_option_has_help():
    import typer.main

    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        for p in cmd.params:
            if p.param_type_name == "option":
                assert p.help, f"{name} {p.opts} has no help text"


# ------------------------------------------------------------------ options out of range
BAD_OPTIONS = [
    (["run", "baseline", "--draws", "0"], "--draws"),
    (["run", "baseline", "--draws", "-1"], "--draws"),
    (["run", "baseline", "--draws", "100000000000"], "--draws"),
    (["run", "baseline", "--seed", "-1"], "--seed"),
    (["run", "baseline", "--workers", "0"], "--workers"),
    (["run", "baseline", "--workers", "-3"], "--workers"),
    (["run", "baseline", "--workers", "1000"], "--workers"),
    (["run", "baseline", "--chunk", "0"], "--chunk"),
    (["run", "baseline", "--engine", "magic"], "--engine"),
    (["run", "unc.yaml", "--scheduler", "garbage"], "--scheduler"),
    (["run", "unc.yaml", "--scheduler", "tcp://127.0.0.1:99999"], "--scheduler"),
    (["run", "unc.yaml", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler"),
    (["targets", "unc.yaml", "--draws", "3000000"], "GiB"),  # more memory than the machine has
    (["targets", "baseline", "--draws", "0"], "--draws"),
    (["compare", "baseline", "no-tegang", "--draws", "0"], "--draws"),
    (["compare", "baseline", "no-tegang", "--years", ","], "--years"),
    (["compare", "baseline", "no-tegang", "--years", "1999"], "--years"),
    (["report", "baseline", "--draws", "0"], "--draws"),
    (["report", "baseline", "--lang", "xx"], "--lang"),
    (["report", "unc.yaml", "--draws", "10000000"], "GiB"),  # its temporary parts: ~300 GiB of disk
    (["sweep", "baseline", "--lever", "teachers.tegang.hires=0:1e9:1"], "--lever"),
    (["sweep", "baseline", "--lever", "teachers.tegang.hires=0:10:nan"], "--lever"),
    (["sweep", "baseline", "--lever", "=0:1:0.5"], "--lever"),
    (["sweep", "baseline", "--lever", "teachers.tegang.hires=0:300:150", "--lang", "xx"], "--lang"),
    (["sweep", "baseline", "--lever", "teachers.tegang.hires=0:300:150", "--samples", "0"], "--samples"),
    (["sweep", "baseline", "--lever", "teachers.hiring.max_hires=0:300:150", "--draws", "0"], "--draws"),
    (["sensitivity", "unc.yaml", "--output", "Enrolment|Primary@2035", "--n", "0"], "--n"),
    (["sensitivity", "unc.yaml", "--output", "Enrolment|Primary@2035", "--n", "1000000"], "--n"),
    (["sensitivity", "unc.yaml", "--output", "Enrolment|Primry@2035"], "did you mean"),
    (["sensitivity", "unc.yaml", "--output", "Enrolment|Primary@2035", "--lang", "xx"], "--lang"),
    (["sensitivity", "unc.yaml", "--output", "Enrolment|Primary@2035", "--method", "fast"], "--method"),
    (
        [
            "solve",
            "baseline",
            "--lever",
            "students.transitions.vocational_share=0.28:0.5",
            "--target",
            "nope",
        ],
        "no target",
    ),
    (
        [
            "solve",
            "baseline",
            "--lever",
            "students.transitions.vocational_share=0.28:0.5",
            "--target",
            "vocational-students-2025",
            "--probability",
            "1.5",
        ],
        "--probability",
    ),
    (["backtest", "--draws", "0"], "--draws"),
    (["backtest", "--lang", "xx"], "--lang"),
    (["explain", "baseline", "--variable", "Teachers|Gap", "--from", "1990"], "--from"),
]


@pytest.mark.parametrize("args, needle", BAD_OPTIONS, ids=[" ".join(a[:1] + a[2:4]) for a, _ in BAD_OPTIONS])
def test_bad_options_exit_2(here, args, needle):
    refused(args, needle, here)


def test_uncertainty_on_a_value_the_model_reads_once_is_found_by_validate(here):
    (here / "x.yaml").write_text(
        f"extends: {BASE}\nname: x\nuncertainty:\n"
        "  teachers.hiring.max_hires: {dist: uniform, params: {loc: 0.5, scale: 1}, apply: scale}\n"
        "title: {zh: 测试, en: Test}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["validate", "x.yaml"])
    assert r.exit_code == 2 and "x.yaml:4: uncertainty.teachers.hiring.max_hires" in r.output, r.output
    assert "cannot vary" in r.output


def test_a_sigterm_that_surfaces_as_another_error_still_ends_as_interrupted(here, monkeypatch):
    import cli
    import sim.analysis.jobs as jobs

    def import_interrupted(*a, **k):
        try:
            cli._terminate(None, None)
        except KeyboardInterrupt:  # what a compiled extension's import does with it
            raise ImportError("initialization failed") from None

    monkeypatch.setattr(jobs, "validate_job", import_interrupted)
    monkeypatch.setitem(cli._state, "terminated", False)
    r = runner.invoke(app, ["validate", "baseline"])
    assert r.exit_code == 130 and "interrupted" in r.output and "internal error" not in r.output


def test_a_bug_is_one_line_and_debug_shows_the_traceback(here, monkeypatch):
    import sim.analysis.jobs as jobs

    def boom(*a, **k):
        raise ZeroDivisionError("deliberate")

    monkeypatch.setattr(jobs, "validate_job", boom)
    r = runner.invoke(app, ["validate", "baseline"])
    assert r.exit_code == 1 and "internal error: ZeroDivisionError: deliberate" in r.output
    assert "--debug" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["--debug", "validate", "baseline"])
    assert isinstance(r.exception, ZeroDivisionError)


# ------------------------------------------------------------------ damaged run folders
@pytest.fixture()
def mc_run(here):
    ok(["run", "unc.yaml", "--out", "runs"])
    (folder,) = (here / "runs").iterdir()
    return folder


@pytest.mark.parametrize(
    "damage", ["truncate-summary", "garbage-parquet", "empty-parquet", "bad-manifest", "no-manifest"]
)
def test_export_refuses_a_damaged_run_folder(here, mc_run, damage):
    if damage == "truncate-summary":
        text = (mc_run / "summary.csv").read_text()
        (mc_run / "summary.csv").write_text(text[:5000])
    elif damage == "garbage-parquet":
        (mc_run / "summary.csv").unlink()
        next((mc_run / "results.parquet").glob("part-*")).write_bytes(os.urandom(3000))
    elif damage == "empty-parquet":
        (mc_run / "summary.csv").unlink()
        next((mc_run / "results.parquet").glob("part-*")).write_bytes(b"")
    elif damage == "bad-manifest":
        (mc_run / "manifest.json").write_text("{not json")
    else:
        (mc_run / "manifest.json").unlink()
    r = runner.invoke(app, ["export", str(mc_run), "--out", "e.csv"])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert not (here / "e.csv").exists()


def test_export_of_a_monte_carlo_run_writes_every_statistic(here, mc_run):
    r = ok(["export", str(mc_run), "--out", "e.csv", "--format", "tidy"])  # the printed text
    # it says what it wrote: the summary's statistics, not silently a median
    assert "q05, q25, q50 (median), q75, q95 and mean" in r and "`statistic`" in r
    df = pd.read_csv(here / "e.csv")
    assert set(df["statistic"]) == {"q05", "q25", "q50", "q75", "q95", "mean"}
    manifest = json.loads((mc_run / "manifest.json").read_text())
    city = df["region"] == "吉林市"  # the default: the city's rows; the divisions' with --region all
    assert set(df["region"]) == {"吉林市"} and city.all()
    ok(["export", str(mc_run), "--out", "a.csv", "--format", "tidy", "--region", "all"])
    assert manifest["rows"]["summary"] * 6 == len(pd.read_csv(here / "a.csv"))
    assert {"python", "numpy", "pandas", "scipy", "simpy", "edusim"} <= set(manifest["versions"])


def test_a_missing_optional_part_names_its_extra(here, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "SALib" else real(name, *a)
    )
    refused(["sensitivity", "unc.yaml", "--output", "Enrolment|Primary@2035"], "edusim[sensitivity]", here)


def test_a_lever_may_be_any_numeric_leaf(here):
    (here / "lev.yaml").write_text(
        f"extends: {BASE}\nname: lev\nlevers:\n  teachers.hiring.max_hires: {{min: 0, max: 2000}}\n"
        "title: {zh: 杠杆, en: Lever}\n",
        encoding="utf-8",
    )
    ok(["validate", "lev.yaml"])
    ok(["sweep", "lev.yaml", "--lever", "teachers.hiring.max_hires"])
    (folder,) = (here / "outputs" / "sweeps").iterdir()
    table = pd.read_csv(folder / "sweep.csv")
    assert sorted(set(table["teachers.hiring.max_hires"])) == [0, 2000]


def test_reconstructed_cohort_per_pupil_from_the_cli(here):
    out = ok(["explain", "baseline", "--cohort", "--per-pupil", "1"])
    # the headers are wrapped to the width of their numbers
    assert "dropouts" in out and "pupil-" in out and "per" in out and "1,000" in out
    refused(["explain", "baseline", "--cohort", "--per-pupil", "-1"], "--per-pupil", here)


def test_compare_changed_keeps_only_the_rows_that_differ(here):
    """tegang-300 changes teachers and money, not people: --changed leaves out births and keeps the
    teachers in post; the written table holds the same rows."""
    out = ok(["compare", "baseline", "tegang-300", "--changed", "--out", "cmp"])
    assert "出生人口" not in out and "专任教师合计" in out
    full = ok(["compare", "baseline", "tegang-300"])
    assert "出生人口" in full
    df = pd.read_csv(here / "cmp.csv")
    assert len(df) > 3 and not df["indicator"].str.startswith("出生人口").any()
