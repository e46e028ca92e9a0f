"""Hostile and broken scenario input: one ScenarioError naming the file, line and key (with a hint),
no traceback, bounded time and memory, nothing written.

Each case is a small scenario that extends the shipped baseline by absolute path; its own lines
start at line 3 (line 1 is ``extends:``, line 2 ``name:``). The bomb, deep and size cases are small
but pathological inputs: they are bounded by the loader's limits, not by a timeout here.
"""

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from sim.core.errors import ScenarioError
from sim.core.paths import scenario_dir
from sim.core.series import Series, SeriesError, parse_number, show_number
from sim.schema.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, load

BASELINE = scenario_dir() / "baseline.yaml"


TITLE = "title: {zh: 测试, en: Test}\n"  # a child scenario has its own title; written last, so lines stay


def scenario(tmp_path, body: str, *, name: str = "hostile", file: str = "hostile.yaml"):
    path = tmp_path / file
    path.write_text(f"extends: {BASELINE}\nname: {name}\n{body}{TITLE}", encoding="utf-8")
    return path


def laughs(levels: int) -> str:
    """A billion-laughs alias bomb: 9**levels values from a few hundred bytes."""
    names = "abcdefghijkl"[:levels]
    out = [f"{names[0]}: &{names[0]} [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, cur in zip(names, names[1:], strict=False):
        out.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(out) + "\n"


def nested_block_maps(levels: int) -> str:
    return (
        "population:\n"
        + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(levels))
        + " " * (levels + 1)
        + "v: 1\n"
    )


# case: (body from line 3, line of the error, phrases the message must contain)
CASES = {
    # --- 1. NaN, infinity, overflow, absurd size -------------------------------------------------
    "V01-nan-births": ("population:\n  births: .nan\n", 4, ["population.births", "NaN"]),
    "V02-inf-births": ("population:\n  births: .inf\n", 4, ["population.births", "infinity"]),
    "V04-1e308-births": ("population:\n  births: 1e308\n", 4, ["population.births", "not a plausible value"]),
    "huge-births": ("population:\n  births: 2e15\n", 4, ["population.births", "not a plausible value"]),
    "string-1e400": ("population:\n  births: '1e400'\n", 4, ["population.births", "infinity"]),
    "string-nan-percent": (
        "students:\n  primary_entry_rate: 'nan%'\n",
        4,
        ["students.primary_entry_rate", "NaN"],
    ),
    "V20-nan-rate": ("students:\n  primary_entry_rate: .nan\n", 4, ["students.primary_entry_rate", "NaN"]),
    "V21-nan-migration": ("population:\n  net_migration: .nan\n", 4, ["population.net_migration", "NaN"]),
    "V22-neginf-migration": (
        "population:\n  net_migration: -.inf\n",
        4,
        ["population.net_migration", "-infinity"],
    ),
    "V23-inf-growth": (
        "population:\n  births: {2021: 15764, growth: .inf}\n",
        4,
        ["population.births", "infinity"],
    ),
    "V33-nan-mortality-scale": (
        "population:\n  mortality_scale: .nan\n",
        4,
        ["population.mortality_scale", "NaN"],
    ),
    "V38-huge-mortality-scale": (
        "population:\n  mortality_scale: 1e308\n",
        4,
        ["population.mortality_scale", "not a plausible value"],
    ),
    "V37-nan-point": ("population:\n  births: {2021: .nan, 2025: 12000}\n", 4, ["population.births", "NaN"]),
    "nan-start": ("population:\n  births: {start: .nan, growth: 0.01}\n", 4, ["population.births", "NaN"]),
    "nan-count": (
        "students:\n  base:\n    senior_general: .nan\n",
        5,
        ["students.base.senior_general", "NaN"],
    ),
    "nan-in-list": (
        "population:\n  births: 1\nlevers:\n  population.births: {min: .nan, max: 1}\n",
        6,
        ["levers.population.births.min", "NaN"],
    ),
    "nan-plain-float-quoted": (
        "levers:\n  population.births:\n    min: 0\n    max: 'nan'\n",
        6,
        ["levers.population.births.max", "not a finite number"],
    ),
    "huge-plain-float-quoted": (
        "levers:\n  population.births:\n    min: 0\n    max: '1e20'\n",
        6,
        ["levers.population.births.max", "not a plausible value"],
    ),
    "huge-int": ("draws: 100000000000000000000\n", 3, ["draws", "not a plausible value"]),
    "int-of-5000-digits": ("draws: " + "9" * 5000 + "\n", 3, ["draws", "not a plausible value"]),
    "bad-timestamp": (
        "population:\n  births: 2021-13-45\n",
        4,
        ["population.births", "cannot read this value"],
    ),
    # --- 2. growth -------------------------------------------------------------------------------
    "V25-growth-minus-5": (
        "population:\n  births: {2021: 15764, growth: -5}\n",
        4,
        ["population.births", "growth must be > -100 %", "-0.06 for -6 %"],
    ),
    "growth-minus-1": (
        "population:\n  births: {start: 15764, growth: -1}\n",
        4,
        ["population.births", "growth must be > -100 %", "hint:"],
    ),
    "growth-minus-150-percent": (
        "population:\n  net_migration: {2021: -5000, growth: '-150%'}\n",
        4,
        ["population.net_migration", "growth must be > -100 %"],
    ),
    "growth-overflows": (
        "population:\n  births: {start: 15764, growth: 1e6}\n",
        4,
        ["population.births", "its growth takes it to", "not a plausible value"],
    ),
    "growth-takes-rate-above-1": (
        "students:\n  primary_entry_rate: {start: 0.9, growth: 0.05}\n",
        4,
        ["students.primary_entry_rate", "a rate must be ≤ 1", "by 2023"],
    ),
    # --- 3. rate bound shows the offending value ---------------------------------------------------
    "V10-rate-1.0000001": (
        "students:\n  primary_entry_rate: 1.0000001\n",
        4,
        ["students.primary_entry_rate", "got 1.0000001", "hint: rates are fractions"],
    ),
    # --- 4. alias bombs, size --------------------------------------------------------------------
    # 9**5 values under `e` (line 7) pass the budget: the message names the alias there
    "Y04-billion-laughs": (laughs(9), 7, ["e.", f"more than {MAX_NODES:,} values", "aliases"]),
    "Y04c-six-level-laughs": (laughs(6), 7, ["e.", "more than", "aliases"]),
    "too-many-values": ("notes:\n" + "- x\n" * (MAX_NODES + 10), None, [f"more than {MAX_NODES:,} values"]),
    "too-many-flow-values": ("x: [" + ", ".join(["1"] * (MAX_NODES + 10)) + "]\n", 3, ["more than"]),
    # --- 5. deep nesting -------------------------------------------------------------------------
    "Y10-300-flow-lists": ("x: " + "[" * 300 + "]" * 300 + "\n", 3, [f"nested more than {MAX_DEPTH} levels"]),
    "Y10b-block-maps": (nested_block_maps(300), MAX_DEPTH + 2, [f"nested more than {MAX_DEPTH} levels"]),
    "recursive-alias": ("population: &p\n  births: 1\n  x: *p\n", None, ["hostile.yaml"]),
    # --- 6. keys that are not names ----------------------------------------------------------------
    "Y11b-null-key": ("~: 1\n", 3, ["a key must be a name", "empty key"]),
    "Y11c-null-key-nested": ("population:\n  null: 3\n", 4, ["population", "a key must be a name"]),
    "Y11d-list-key": ("? [a, b]\n: 1\n", 3, ["a key must be a name; got a list"]),
    "mapping-key": (
        "population:\n  ? {a: 1}\n  : 1\n",
        4,
        ["population", "a key must be a name; got a mapping"],
    ),
    "Y11-number-key": ("42: x\n", 3, ["a key must be a name; got a number 42"]),
    "number-key-nested": (
        "population:\n  42: x\n",
        4,
        ["population.42", "a key must be a name; got a number 42"],
    ),
    "number-key-dict": (
        "levers:\n  7: {min: 0, max: 1}\n",
        4,
        ["levers.7", "a key must be a name; got a number 7"],
    ),
    "bool-key": ("true: 1\n", 3, ["a key must be a name", "yes/no"]),
    "float-key-in-series": (
        "population:\n  births: {2021.5: 15000}\n",
        4,
        ["population.births", "a key must be a name; got a number 2021.5"],
    ),
    "same-year-twice": (
        "population:\n  births: {2021: 1, 0x7E5: 2}\n",
        4,
        ["duplicate key", "2021", "keep one"],
    ),
    # --- 7. names ----------------------------------------------------------------------------------
    "N04-300-character-name": (None, 2, ["name", "at most 100 characters"]),
    "N06-CON": (None, 2, ["name", "reserves", "'CON'"]),
    "lpt1-lowercase": (None, 2, ["name", "reserves"]),
    "nul-with-suffix": (None, 2, ["name", "reserves"]),
    "N02-slash": (None, 2, ["name", "letters, digits, '.', '_' or '-'"]),
    # --- 8. where: extends cycle, model-level checks -----------------------------------------------
    "E02-extends-itself": (None, 1, ["extends", "cycle"]),
    "horizon-start-not-base-year": ("horizon: {start: 2021, end: 2030}\n", 3, ["horizon", "base population"]),
}

NAMES = {
    "N04-300-character-name": "a" * 300,
    "N06-CON": "CON",
    "lpt1-lowercase": "lpt1",
    "nul-with-suffix": "nul.backup",
    "N02-slash": "a/b",
}


def write_case(tmp_path, case: str):
    body, _, _ = CASES[case]
    if case in NAMES:
        return scenario(tmp_path, "", name=NAMES[case])
    if case == "E02-extends-itself":
        path = tmp_path / "hostile.yaml"
        path.write_text("extends: hostile.yaml\nname: x\n", encoding="utf-8")
        return path
    return scenario(tmp_path, body)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_one_located_message(tmp_path, case):
    path = write_case(tmp_path, case)
    _, line, phrases = CASES[case]
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    text = str(err)
    assert "hostile.yaml" in text, text
    if line is not None:
        assert f"hostile.yaml:{line}:" in text, text
    else:
        assert err.line is not None, text
    for phrase in phrases:
        assert phrase in text, text
    assert "Traceback" not in text and "pydantic" not in text and "Keys should be strings" not in text
    assert "^[A-Za-z0-9]" not in text  # plain words, not a regex
    assert len(text) < 600, text  # one message, not a dump


def test_every_new_error_has_a_hint(tmp_path):
    for case in (
        "V01-nan-births",
        "V25-growth-minus-5",
        "Y04-billion-laughs",
        "Y10-300-flow-lists",
        "Y11-number-key",
        "N06-CON",
        "V10-rate-1.0000001",
    ):
        with pytest.raises(ScenarioError) as info:
            load(write_case(tmp_path, case))
        assert info.value.hint, case


def test_a_long_extends_chain_is_refused(tmp_path):
    (tmp_path / "s0.yaml").write_text(f"extends: {BASELINE}\nname: s0\n{TITLE}", encoding="utf-8")
    for i in range(1, 60):
        (tmp_path / f"s{i}.yaml").write_text(f"extends: s{i - 1}.yaml\nname: s{i}\n{TITLE}", encoding="utf-8")
    with pytest.raises(ScenarioError, match="chains more than") as info:
        load(tmp_path / "s59.yaml")
    assert ".yaml:1: extends:" in str(info.value)
    load(tmp_path / "s5.yaml")  # a short chain is fine


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = scenario(tmp_path, "")
    with open(path, "r+b") as f:  # 50 MB, sparse: the check looks at the size, not the content
        f.truncate(50_000_000)
    with pytest.raises(ScenarioError, match="at most 1 MB") as info:
        load(path)
    assert "hostile.yaml" in str(info.value) and info.value.hint


def test_a_megabyte_of_comments_is_refused_by_size(tmp_path):
    path = scenario(tmp_path, "# " + "c" * 78 + "\n" * 1 + ("# " + "c" * 78 + "\n") * (MAX_FILE_BYTES // 80))
    with pytest.raises(ScenarioError, match="at most 1 MB"):
        load(path)


def test_integer_keys_still_work_where_the_schema_takes_them(tmp_path):
    path = scenario(
        tmp_path,
        "population:\n  births: {2021: 15764, '2025': 12000, growth: -0.03}\n"
        "students:\n  preschool:\n    enrolment_rate: {3: 0.8, 4: 0.9, 5: 0.95}\n"
        "teachers:\n  attrition: {18: 0.03, 30: 0.01, 50: 0.005}\n"
        "seed: 100000000000000000000000000000\n",
    )
    s = load(path).scenario
    assert s.students.preschool.enrolment_rate[3].values.tolist() == [0.8]
    assert s.teachers.attrition[18] == 0.03
    assert s.population.births.points == ((2021, 15764.0), (2025, 12000.0))
    assert s.seed == 10**29  # any non-negative integer is a seed


def test_shipped_scenarios_still_load():
    for path in sorted(scenario_dir().glob("*.yaml")):
        load(path)


# ---------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    "bad",
    [
        "nan",
        "inf",
        "-Infinity",
        "1e400",
        "1e400%",
        float("nan"),
        float("inf"),
        10**400,
        2e15,
        np.float64("nan"),
        "1e16",
    ],
)
def test_parse_number_refuses_non_finite_and_absurd(bad):
    with pytest.raises(SeriesError) as info:
        parse_number(bad)
    assert info.value.hint


def test_parse_number_keeps_plausible_numbers():
    assert parse_number("95%") == 0.95 and parse_number(-1e15) == -1e15 and parse_number("1,200") == 1200.0


@pytest.mark.parametrize("growth", [-1, -1.5, -5, "-100%"])
def test_series_growth_of_minus_100_percent_or_less_is_refused(growth):
    for value in ({"start": 100, "growth": growth}, {2021: 100, "growth": growth}):
        with pytest.raises(SeriesError, match="growth must be > -100 %") as info:
            Series.parse(value)
        assert "-0.06 for -6 %" in info.value.hint


def test_show_number_tells_the_value_from_the_bound():
    assert show_number(1.0000001) == "1.0000001" and show_number(1.2) == "1.2" and show_number(2.0) == "2"
    assert show_number(math.nan) == "NaN" and show_number(-math.inf) == "-infinity"


# ---------------------------------------------------------------------------------- end to end
runner = CliRunner()
CLI_CASES = [
    "V01-nan-births",
    "V25-growth-minus-5",
    "Y04-billion-laughs",
    "Y10-300-flow-lists",
    "Y11b-null-key",
    "N06-CON",
    "N04-300-character-name",
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_exits_2_with_one_message_and_writes_nothing(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    path = write_case(tmp_path, case)
    _, line, phrases = CASES[case]
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and r.output.count("error:") == 1, r.output
    assert f"hostile.yaml:{line}:" in r.output and phrases[0] in r.output, r.output
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert not (tmp_path / "o").exists() and not (tmp_path / "outputs").exists()


def test_cli_size_limit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = scenario(tmp_path, "")
    with open(path, "r+b") as f:
        f.truncate(50_000_000)
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "at most 1 MB" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "o").exists() and not (tmp_path / "outputs").exists()
