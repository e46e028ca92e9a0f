"""YAML without traps (issue #15, part 5): the silent surprises a researcher met writing a scenario
are now an error or a warning naming file, line and key, or a documented form.

Each case is a small scenario extending the shipped baseline by absolute path: line 1 ``extends:``,
line 2 ``name:``, line 3 ``title:`` (unless the case leaves it out), its own lines from line 4.
"""

import os
import stat

import pytest
from typer.testing import CliRunner

from cli import app
from sim.core.errors import ScenarioError
from sim.core.paths import scenario_dir
from sim.run.folders import new_file, new_folder, write_text
from sim.schema.load import load

BASELINE = scenario_dir() / "baseline.yaml"
TITLE = 'title: {zh: 测试, en: "Test, with a comma"}\n'
runner = CliRunner()


def scenario(tmp_path, body: str, *, title: str = TITLE, name: str = "trap", file: str = "trap.yaml"):
    path = tmp_path / file
    path.write_text(f"extends: {BASELINE}\nname: {name}\n{title}{body}", encoding="utf-8")
    return path


PROJECT = (
    "    - name: voc-centre\n"
    "      title: {zh: 职教中心, en: Vocational training centre}\n"
    "      start: 2023\n"
    "      opens: 2026\n"
    "      cost: 180000000\n"
    "      running_cost: 6000000\n"
)


# ------------------------------------------------------------------ 1. lists
def test_a_list_that_replaces_the_parents_records_warns_with_file_and_line(tmp_path):
    path = scenario(tmp_path, "finance:\n  projects:\n" + PROJECT)
    loaded = load(path)
    assert [p.name for p in loaded.scenario.finance.projects] == ["voc-centre"]
    (warning,) = [w for w in loaded.warnings if "finance.projects" in w]
    assert "trap.yaml:5: finance.projects: replaces the 4 projects of baseline" in warning
    assert "list items are not merged" in warning and "`+projects:`" in warning


def test_plus_key_appends_to_the_inherited_list(tmp_path):
    path = scenario(tmp_path, "finance:\n  +projects:\n" + PROJECT)
    loaded = load(path)
    names = [p.name for p in loaded.scenario.finance.projects]
    base = [p.name for p in load("baseline").scenario.finance.projects]
    assert names == base + ["voc-centre"] and len(base) == 4
    assert not loaded.warnings
    # the appended item's lines are this file's, at its place in the merged list
    assert loaded.origins[("finance", "projects", 4)] == (path, 6)
    assert loaded.origins[("finance", "projects", 4, "cost")] == (path, 10)
    assert loaded.origins[("finance", "projects", 0)][0] == BASELINE
    # the resolved scenario (scenario.resolved.yaml) holds the merged list
    assert [p["name"] for p in loaded.resolved()["finance"]["projects"]] == names


def test_plus_key_errors_are_located(tmp_path):
    path = scenario(tmp_path, "finance:\n  +projects: 3\n")
    with pytest.raises(ScenarioError, match="takes a list of items to append") as info:
        load(path)
    assert "trap.yaml:5: finance.projects" in str(info.value)
    path = scenario(tmp_path, "finance:\n  projects: []\n  +projects:\n" + PROJECT)
    with pytest.raises(ScenarioError, match="both `projects:` and `\\+projects:`") as info:
        load(path)
    assert "trap.yaml:6:" in str(info.value) and info.value.hint


def test_an_error_in_an_appended_item_names_its_line(tmp_path):
    path = scenario(tmp_path, "finance:\n  +projects:\n" + PROJECT.replace("cost: 180000000", "costs: 1"))
    with pytest.raises(ScenarioError, match="unknown key") as info:
        load(path)
    assert "trap.yaml:10: finance.projects.4.costs" in str(info.value)


def test_an_empty_list_removes_the_parents_without_a_warning(tmp_path):
    loaded = load(scenario(tmp_path, "targets: []\n"))
    assert loaded.scenario.targets == [] and not loaded.warnings


# ------------------------------------------------------------------ 2. title
def test_a_child_without_its_own_title_is_refused(tmp_path):
    path = scenario(tmp_path, "seed: 3\n", title="")
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    assert err.key == "title" and err.line == 2 and "own title" in str(err)
    assert "{zh: …, en: …}" in err.hint
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "trap.yaml:2: title:" in r.output, r.output


def test_every_shipped_scenario_has_its_own_title():
    titles = {}
    for p in sorted(scenario_dir().glob("*.yaml")):
        loaded = load(p)
        assert loaded.origins[("title",)][0] == p, p.name
        titles[p.stem] = loaded.scenario.title.en
    assert len(set(titles.values())) == len(titles), titles


# ------------------------------------------------------------------ 3. growth
def test_a_growth_that_more_than_halves_a_series_warns(tmp_path):
    path = scenario(tmp_path, "population:\n  births: {2021: 15764, 2024: 12000, growth: -0.6}\n")
    loaded = load(path)
    (warning,) = loaded.warnings
    assert "trap.yaml:5: population.births: growth -0.6 (-60 % a year)" in warning
    assert "from 12000 in 2024 to 0.503316 by 2035" in warning
    assert "growth is a fraction a year: −6 % is -0.06" in warning


def test_a_plausible_growth_does_not_warn(tmp_path):
    loaded = load(scenario(tmp_path, "population:\n  births: {2021: 15764, 2024: 12000, growth: -6%}\n"))
    assert not loaded.warnings
    for p in sorted(scenario_dir().glob("*.yaml")):
        assert not load(p).warnings, p.name


# ------------------------------------------------------------------ 4. uncertainty apply
def test_an_uncertainty_on_a_series_must_say_how_it_applies(tmp_path):
    # envelope_growth is written as one number in the baseline, but it is a series
    path = scenario(
        tmp_path,
        "uncertainty:\n  finance.envelope_growth: {dist: uniform, params: {loc: 0.0, scale: 0.05}}\n",
    )
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    assert err.line == 5 and err.key == "uncertainty.finance.envelope_growth.apply"
    assert "value over time" in str(err) and "0.0277" in str(err)
    for mode in ("scale", "shift", "set", "drift"):
        assert mode in err.hint


def test_the_apply_used_is_written_into_the_resolved_scenario(tmp_path):
    path = scenario(
        tmp_path,
        "uncertainty:\n"
        "  finance.envelope_growth: {dist: uniform, params: {loc: 0.0, scale: 0.05}, apply: set}\n"
        "  teachers.tegang.retention: {dist: beta, params: {a: 17, b: 3}}\n",
    )
    resolved = load(path).resolved()["uncertainty"]
    assert resolved["finance.envelope_growth"]["apply"] == "set"
    assert resolved["teachers.tegang.retention"]["apply"] == "set"  # a number: set, spelled out
    for p in sorted(scenario_dir().glob("*.yaml")):
        assert all(u["apply"] is not None for u in load(p).resolved()["uncertainty"].values()), p.name


# ------------------------------------------------------------------ 5. commas in flow mappings
def test_a_comma_in_a_flow_text_gets_a_quoting_hint(tmp_path):
    path = scenario(tmp_path, "", title="title: {zh: 低出生, en: Low births, high migration}\n")
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    assert err.line == 3 and err.key == "title.high migration"
    assert "comma" in str(err) and "quote texts that contain a comma" in err.hint


def test_quoted_texts_with_commas_load(tmp_path):
    path = scenario(tmp_path, "", title='title: {zh: "低出生，高迁移", en: "Low births, high migration"}\n')
    assert load(path).scenario.title.en == "Low births, high migration"


# ------------------------------------------------------------------ 6. umask
@pytest.mark.parametrize("mask, file_mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_users_umask(tmp_path, mask, file_mode):
    old = os.umask(mask)
    try:
        one = write_text("x", tmp_path / "report.html")
        two = new_file(lambda p: p.write_text("y"), tmp_path, "export", ".csv")
        with new_folder(tmp_path / "outputs", "run") as f:
            (f.tmp / "results.csv").write_text("z")
    finally:
        os.umask(old)
    for p in (one, two, f.final / "results.csv"):
        assert stat.S_IMODE(p.stat().st_mode) == file_mode, p
    assert stat.S_IMODE(f.final.stat().st_mode) == 0o777 & ~mask
