"""Start-up (issue #13): what the quick commands import, and that the lighter readers and writers
give what the pandas and ruamel ones gave. No timings here: benchmarks/bench_startup.py measures."""

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.core.errors import ScenarioError
from sim.core.paths import data_dir
from sim.run.tables import Table, read_csv
from sim.schema.load import load

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "ruamel", "plotly", "simpy", "dask")


def imported_after(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; which of HEAVY it imported, and OPENBLAS_NUM_THREADS."""
    probe = (
        f"{code}\nimport json, os, sys\n"
        f"print(json.dumps({{'heavy': sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}),"
        "'blas': os.environ.get('OPENBLAS_NUM_THREADS')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_imports_no_table_library():
    assert imported_after("import cli")["heavy"] == []


def test_list_imports_nothing_heavy():
    assert imported_after("from sim.analysis.jobs import list_job\nlist_job()")["heavy"] == []


def test_validate_imports_no_table_library():
    # the stages are imported to check a scenario's uncertain inputs (simpy by the DES engine)
    code = "from sim.analysis.jobs import validate_job\nvalidate_job('baseline')"
    assert imported_after(code)["heavy"] in ([], ["simpy"])


def test_a_deterministic_run_and_its_files_import_no_table_library(tmp_path):
    code = (
        "from pathlib import Path\n"
        "from sim.run.simulate import prepare, run\n"
        "from sim.run.results import write_results\n"
        "from sim.run.folders import write_yaml\n"
        "res = run(prepare('baseline'))\n"
        f"write_results(res.scenario.name, res.results, res.years, res.draw_index, Path({str(tmp_path)!r}))\n"
        f"write_yaml(res.loaded.resolved(), Path({str(tmp_path)!r}) / 'scenario.resolved.yaml')"
    )
    assert imported_after(code)["heavy"] in ([], ["simpy"])


def test_edusim_run_imports_no_table_library(tmp_path):
    code = (
        "import sys\nfrom cli import app\n"
        f"sys.argv = ['edusim', 'run', 'baseline', '--out', {str(tmp_path / 'o')!r}]\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code"
    )
    assert imported_after(code)["heavy"] in ([], ["simpy"])


def test_one_blas_thread_unless_the_user_says_otherwise():
    assert imported_after("import cli", {"OPENBLAS_NUM_THREADS": ""})["blas"] in ("", "1")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", "import cli, os; print(os.environ['OPENBLAS_NUM_THREADS'])"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env=env,
    )
    assert out.stdout.strip() == "1"
    assert imported_after("import cli", {"OPENBLAS_NUM_THREADS": "4"})["blas"] == "4"


# ------------------------------------------------------------------ the pandas-free writer
def test_write_results_writes_what_the_pandas_writer_wrote(tmp_path):
    from sim.run.results import FLOAT_FORMAT, tidy, write_results
    from sim.run.simulate import simulate_scenario

    def write_tables(df, folder):  # what the run folder's writer did through pandas
        df = df.copy()
        df["scenario"] = df["scenario"].astype(str)
        df["region"] = df["region"].astype(str)
        df["variable"] = df["variable"].astype(str)
        df.to_csv(folder / "results.csv", index=False, float_format=FLOAT_FORMAT)
        df.to_parquet(folder / "results.parquet", index=False)

    for ref, draws in (("baseline", None), ("tegang-300", 3)):
        res = simulate_scenario(ref, draws=draws)
        a, b = tmp_path / f"{ref}-a", tmp_path / f"{ref}-b"
        a.mkdir(), b.mkdir()
        write_tables(tidy(res.scenario.name, res.results, res.years, res.draw_index), a)
        n = write_results(res.scenario.name, res.results, res.years, res.draw_index, b)
        assert n == len(res.results) * len(res.draw_index) * len(res.years)
        for f in ("results.csv", "results.parquet"):
            assert filecmp.cmp(a / f, b / f, shallow=False), f


def test_write_results_writes_nan_as_an_empty_cell_and_a_null(tmp_path):
    import pyarrow.parquet as pq

    from sim.run.results import write_results

    values = {"GER|Preschool": np.array([[0.9, np.nan]])}
    write_results("s", values, np.array([2020, 2021]), np.array([0]), tmp_path)
    assert (tmp_path / "results.csv").read_text().splitlines()[-1] == "s,吉林市,0,2021,GER|Preschool,"
    df = pq.read_table(tmp_path / "results.parquet").to_pandas()
    assert df["value"].isna().tolist() == [False, True]


def test_resolved_yaml_reads_back_the_same(tmp_path):
    from ruamel.yaml import YAML

    from sim.run.folders import write_yaml

    data = {
        "text": ["1e3", "0o17", "True", "yes", "null", "~", "1_000", ".5", "0x1F", "2021-01-01", "", "<<"],
        "numbers": [1e-09, 1.0, 0.1, 1e20, -0.0, 2.5e-5, float("inf"), 123456789.123, 2021, -5],
        "nothing": None,
        "yes": True,
        "中文": "教育",
    }
    write_yaml(data, tmp_path / "x.yaml")
    text = (tmp_path / "x.yaml").read_text(encoding="utf-8")
    assert YAML(typ="safe", pure=True).load(text) == data
    assert "中文: 教育" in text and "1e-09" in text


# ------------------------------------------------------------------ the data tables without pandas
@pytest.mark.parametrize("name", sorted(p.name for p in data_dir().glob("*.csv")))
def test_read_csv_gives_what_pandas_gives(name):
    path = data_dir() / name
    want, got = pd.read_csv(path, comment="#"), read_csv(path)
    assert got.columns == list(want.columns) and len(got) == len(want)
    for c in want.columns:
        a, b = want[c].to_numpy(), got[c].to_numpy()
        if a.dtype.kind in "fi":
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), c
            assert np.array_equal(np.asarray(a, dtype=float).view(np.int64), b.astype(float).view(np.int64))
        else:
            assert [x if isinstance(x, str) else None for x in a] == [
                x if isinstance(x, str) else None for x in b
            ], c


def test_a_table_does_what_the_stages_ask_of_it():
    t = Table(
        {
            "level": np.array(["primary", "junior", "x"], dtype=object),
            "age": np.array([30, 40, 50]),
            "hired": np.array([np.nan, 2019.0, np.nan]),
        }
    )
    assert t["level"].map({"primary": 0, "junior": 1}).to_numpy()[:2].tolist() == [0.0, 1.0]
    assert np.isnan(t["level"].map({"primary": 0}).to_numpy()[1])
    assert t["level"].map({"primary": 0, "junior": 1, "x": 2}).to_numpy().dtype == np.int64
    assert (t["level"] == "junior").to_numpy().tolist() == [False, True, False]
    assert (t["level"].isin(["x"]) & (t["age"].to_numpy() > 40)).to_numpy().tolist() == [False, False, True]
    assert t["level"].iloc[2] == "x" and len(t) == 3 and "age" in t.columns
    assert t[["age", "hired"]].to_numpy(dtype=float).shape == (3, 2)
    assert list(t.to_pandas().columns) == ["level", "age", "hired"]
    with pytest.raises(ValueError):  # a table is read-only: every run shares it
        t["age"].to_numpy()[0] = 1


def test_a_malformed_data_file_names_its_line(tmp_path):
    (tmp_path / "bad-pop.csv").write_text("age,persons\n0,1\n1,2,3\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: s\npopulation:\n  base: bad-pop.csv\n"
        "title: {zh: 测试, en: Test}\n",
        encoding="utf-8",
    )
    from sim.run.simulate import prepare

    with pytest.raises(ScenarioError) as info:
        prepare(tmp_path / "s.yaml")
    assert "bad-pop.csv:3:" in str(info.value) and "cannot read CSV" in str(info.value)


# ------------------------------------------------------------------ YAML 1.2 as ruamel read it
def scenario(tmp_path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: s\n{body}title: {{zh: 测试, en: Test}}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "text, value",
    [("1_000", 1000), ("0o17", 15), ("017", 17), ("0x10", 16), ("1e3", 1000.0), ("+5", 5), (".5e1", 5.0)],
)
def test_numbers_are_read_as_yaml_1_2_reads_them(tmp_path, text, value):
    s = load(scenario(tmp_path, f"population:\n  births: {text}\n")).scenario
    assert s.population.births.evaluate(s.years)[0] == value


def test_yes_is_text_in_yaml_1_2(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load(scenario(tmp_path, "population:\n  births: yes\n"))
    assert "s.yaml:4:" in str(info.value) and "'yes'" in str(info.value)


def test_a_merge_key_merges(tmp_path):
    path = scenario(tmp_path, "x-births: &b {births: 12345}\npopulation:\n  <<: *b\n")
    with pytest.raises(ScenarioError) as info:  # x-births itself is not a key of a scenario
        load(path)
    assert "x-births" in str(info.value)
    path = scenario(tmp_path, "levers: &l {}\npopulation:\n  <<: {births: 12345}\n")
    s = load(path).scenario
    assert s.population.births.evaluate(s.years)[0] == 12345


@pytest.mark.parametrize(
    "body, line, phrase",
    [
        ("x: 1\n---\ny: 2\n", 4, "more than one YAML document"),
        ("x: *nope\n", 3, "undefined alias"),
        ("population:\n  births: !foo 5\n", 4, "the tag !foo is not supported"),
        ("population: !!python/object:os.system {a: 1}\n", 3, "the tag !!python/object:os.system"),
        ("population:\n  births: [1, 2\n", 5, "YAML syntax error"),
        ("population:\n  births: 1\n  births: 2\n", 5, "duplicate key 'births'"),
    ],
)
def test_broken_yaml_is_one_located_message(tmp_path, body, line, phrase):
    with pytest.raises(ScenarioError) as info:
        load(scenario(tmp_path, body))
    text = str(info.value)
    assert f"s.yaml:{line}:" in text and phrase in text, text
    assert info.value.hint
