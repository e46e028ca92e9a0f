"""Monte Carlo, executors, sensitivity, sweeps and goal-seeking."""

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, write
from typer.testing import CliRunner

from cli import app
from sim.analysis.sensitivity import analyse, model_output
from sim.analysis.sweep import LeverError, parse_lever, run_point, solve
from sim.run.executors import chunks, map_chunks, open_executor
from sim.run.simulate import prepare, simulate_draws

runner = CliRunner()
BASE = ROOT / "scenarios" / "baseline.yaml"
UNCERTAIN = f"""extends: {BASE}
name: unc
draws: 64
uncertainty:
  population.births: {{dist: truncnorm, params: {{a: -2, b: 2, loc: 1.0, scale: 0.1}}, apply: scale}}
  population.net_migration: {{dist: uniform, params: {{loc: 0.6, scale: 0.8}}, apply: scale}}
  teachers.tegang.retention: {{dist: beta, params: {{a: 17, b: 3}}}}
levers:
  teachers.tegang.hires: {{min: 0, max: 400}}
title: {{zh: 不确定, en: Uncertain}}
"""


@pytest.fixture(scope="module")
def unc(tmp_path_factory):
    path = tmp_path_factory.mktemp("u") / "unc.yaml"
    write(path, UNCERTAIN)
    p = prepare(path)
    return p.scenario, p.tables


def same(a, b):
    return set(a) == set(b) and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_draws_vary_and_are_reproducible(unc):
    s, tables = unc
    a, _ = simulate_draws(s, tables, 64, chunk_size=64)
    b, _ = simulate_draws(s, tables, 64, chunk_size=7)  # other chunking, same numbers
    assert same(a, b)
    births = a["Population|Births"][:, -1]
    assert births.std() > 0 and len(np.unique(births)) == 64


@pytest.mark.slow
def test_identical_serial_processes_and_dask(unc):
    s, tables = unc
    serial, _ = simulate_draws(s, tables, 40, chunk_size=40)
    with open_executor(workers=2) as ex:
        procs, _ = simulate_draws(s, tables, 40, executor=ex, chunk_size=9)
    assert same(serial, procs)
    with open_executor(workers=2, scheduler="local") as ex:
        dask, _ = simulate_draws(s, tables, 40, executor=ex, chunk_size=13)
    assert same(serial, dask)


def test_failed_chunk_is_retried_then_reported():
    calls = {}

    def flaky(idx):
        k = int(idx[0])
        calls[k] = calls.get(k, 0) + 1
        if k == 2 and calls[k] == 1:
            raise RuntimeError("transient")  # fails once, then works
        if k == 4:
            raise RuntimeError("always")  # fails twice: reported
        return idx * 10

    out, failed = map_chunks(flaky, chunks(6, 2), executor=None)
    assert calls[2] == 2 and calls[4] == 2
    assert [f.draws for f in failed] == [[4, 5]] and "always" in str(failed[0])
    assert out[1].tolist() == [20, 30] and out[2] is None and out[0].tolist() == [0, 10]


def test_failed_chunk_in_a_process_pool():
    with open_executor(workers=2) as ex:
        out, failed = map_chunks(_fail_on_three, chunks(6, 2), ex)
    assert [f.draws for f in failed] == [[2, 3]]
    assert out[0].tolist() == [0, 1] and out[2].tolist() == [4, 5]


def _fail_on_three(idx):
    if 3 in idx:
        raise ValueError("bad draw 3")
    return idx


def test_sobol_recovers_ishigami():
    from SALib.test_functions import Ishigami

    res = analyse(
        "sobol", ["x1", "x2", "x3"], lambda u: Ishigami.evaluate(-np.pi + 2 * np.pi * u), n=2048, seed=3
    )
    # analytic values: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert np.allclose(res["S1"], [0.314, 0.442, 0.0], atol=0.05)
    assert np.allclose(res["ST"], [0.558, 0.442, 0.244], atol=0.05)


def test_sobol_order_on_the_model(unc):
    s, tables = unc
    names, model = model_output(s, tables, "Enrolment|Primary", 2035)
    res = analyse("sobol", names, model, n=128, seed=1).set_index("input")
    # births drive pupils most; 特岗 retention cannot move pupil numbers at all
    assert res.loc["population.births", "ST"] > res.loc["population.net_migration", "ST"] > 0.05
    assert abs(res.loc["teachers.tegang.retention", "ST"]) < 1e-9
    res = analyse("morris", names, model, n=10, seed=1).set_index("input")
    assert res["mu_star"].idxmax() == "population.births"


def test_solve_finds_a_value_a_plain_run_confirms(unc):
    s, tables = unc
    det = s.model_copy(update={"draws": 1, "uncertainty": {}})
    found = solve(det, tables, "students.transitions.vocational_share", "vocational-students-2025", 0.28, 0.5)
    x = found["value"]
    _, tt = run_point(det, tables, {"students.transitions.vocational_share": x})
    assert tt.set_index("id").loc["vocational-students-2025", "met"]
    _, below = run_point(det, tables, {"students.transitions.vocational_share": x - 0.002})
    assert not below.set_index("id").loc["vocational-students-2025", "met"]


def test_solve_refuses_impossible_and_non_monotone(unc):
    s, tables = unc
    det = s.model_copy(update={"draws": 1, "uncertainty": {}})
    with pytest.raises(LeverError, match="no value"):
        solve(det, tables, "students.transitions.vocational_share", "vocational-students-2025", 0.0, 0.1)
    with pytest.raises(LeverError, match="lower bound"):
        solve(det, tables, "teachers.tegang.hires", "tegang-hires", 300, 100)


def test_solve_with_probability(unc):
    s, tables = unc
    path, tid = "students.transitions.vocational_share", "vocational-students-2025"
    found = solve(s, tables, path, tid, 0.28, 0.5, probability=0.9, scan=5)
    _, tt = run_point(s, tables, {path: found["value"]})
    assert tt.set_index("id").loc[tid, "probability"] >= 0.9
    _, lower = run_point(s, tables, {path: found["value"] - 0.003})
    assert lower.set_index("id").loc[tid, "probability"] < 0.9


def test_solve_refuses_a_band_target(unc):
    """'About 150 特岗 a year' is met inside a band: the response rises then falls."""
    s, tables = unc
    quota = s.teachers.model_copy(update={"hiring": s.teachers.hiring.model_copy(update={"policy": "quota"})})
    det = s.model_copy(update={"draws": 1, "uncertainty": {}, "teachers": quota})  # hires placed as set
    with pytest.raises(LeverError, match="not monotone"):
        solve(det, tables, "teachers.tegang.hires", "tegang-hires", 0, 400)


def test_lever_parsing():
    assert parse_lever("a.b=0:1:0.25")[1] == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(LeverError, match="lower bound 5 > upper bound 1"):
        parse_lever("a.b=5:1:1")
    with pytest.raises(LeverError):
        parse_lever("a.b")


BAD = {
    "unknown-dist": (
        "  population.births: {dist: gauss, params: {loc: 1, scale: 0.1}}\n",
        "no distribution 'gauss'",
    ),
    "bad-params": ("  population.births: {dist: beta, params: {a: -1, b: 2}}\n", "outside its support"),
    "no-leaf": (
        "  population.birth: {dist: norm, params: {loc: 1, scale: 0.1}}\n",
        "did you mean 'population.births'",
    ),
    "not-numeric": (
        "  population.base: {dist: norm, params: {loc: 1, scale: 0.1}}\n",
        "not a number or a series",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_uncertainty(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    body, needle = BAD[case]
    write(
        tmp_path / "x.yaml", f"extends: {BASE}\nname: x\nuncertainty:\n" + body + "title: {zh: 测, en: T}\n"
    )
    r = runner.invoke(app, ["run", "x.yaml", "--draws", "10"])
    assert r.exit_code == 2 and needle in r.output and "x.yaml:4:" in r.output, r.output
    assert not (tmp_path / "outputs").exists()


def test_bad_lever_and_draws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["sweep", "baseline", "--lever", "teachers.tegang.hires=400:0:50"])
    assert r.exit_code == 2 and "lower bound" in r.output
    r = runner.invoke(app, ["sweep", "baseline", "--lever", "teachers.tegang.hire=0:10:5"])
    assert r.exit_code == 2 and "did you mean 'teachers.tegang.hires'" in r.output
    r = runner.invoke(app, ["run", "baseline", "--draws", "-3"])
    assert r.exit_code == 2 and "--draws" in r.output
    assert not (tmp_path / "outputs").exists()


def test_unreachable_scheduler_fails_fast(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "baseline", "--draws", "4", "--scheduler", "tcp://127.0.0.1:9"])
    assert r.exit_code == 2 and "cannot reach the Dask scheduler" in r.output
    assert not any((tmp_path / "outputs").rglob("*.parquet"))


def test_monte_carlo_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "unc.yaml", UNCERTAIN)
    r = runner.invoke(app, ["run", "unc.yaml", "--draws", "30", "--chunk", "8"])
    assert r.exit_code == 0, r.output
    folder = next((tmp_path / "outputs" / "unc").iterdir())
    names = {p.name for p in folder.iterdir()}
    assert {"results.parquet", "inputs.parquet", "summary.csv", "targets.csv", "manifest.json"} <= names
    dense = pd.read_parquet(folder / "results.parquet")
    assert dense["draw"].nunique() == 30 and list(dense["draw"][:16]) == [0] * 16
    summary = pd.read_csv(folder / "summary.csv")
    row = summary[(summary.variable == "Enrolment|Primary") & (summary.year == 2035)].iloc[0]
    assert row.q05 < row.q50 < row.q95
    targets = pd.read_csv(folder / "targets.csv")
    assert targets["probability"].between(0, 1).all()
    inputs = pd.read_parquet(folder / "inputs.parquet")
    assert list(inputs.columns) == [
        "draw",
        "population.births",
        "population.net_migration",
        "teachers.tegang.retention",
    ]
