"""Bad teacher input through the command line: exit 2, file, line and key named, nothing written."""

import pandas as pd
import pytest
from conftest import ROOT, write
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
HEAD = "extends: {base}\nname: x\nteachers:\n"
TITLE = "title: {zh: 测试, en: Test}\n"  # a child's own title, written last so that lines stay

BAD = {
    "ratio-zero": (
        "  demand:\n    staff_ratio:\n      primary: 0\n",
        "teachers.demand.staff_ratio.primary",
        6,
    ),
    "class-size-negative": (
        "  demand:\n    class_size:\n      junior: {urban: -5, rural: 50}\n",
        "teachers.demand.class_size.junior.urban",
        6,
    ),
    "retention-above-1": ("  tegang:\n    retention: 1.3\n", "teachers.tegang.retention", 5),
    "negative-hiring": ("  tegang:\n    hires: {2021: -10}\n", "teachers.tegang.hires", 5),
    "elasticity-above-2": (
        "  demand:\n    elasticity:\n      primary: 2.5\n",
        "teachers.demand.elasticity.primary",
        6,
    ),
    "policy-unknown": ("  hiring:\n    policy: lottery\n", "teachers.hiring.policy", 5),
    "floor-above-1": ("  hiring:\n    surplus_floor: 1.5\n", "teachers.hiring.surplus_floor", 5),
    "cap-negative": ("  redeployment:\n    cap: -5\n", "teachers.redeployment.cap", 5),
    "move-misspelt": (
        "  redeployment:\n    moves: ['primry -> preschool']\n",
        "teachers.redeployment.moves",
        5,
    ),
    "band-upside-down": (
        "  staffing_band:\n    primary: {low: 21, high: 20}\n",
        "teachers.staffing_band.primary",
        5,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_teacher_settings(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    body, key, line = BAD[case]
    write(tmp_path / "x.yaml", HEAD.format(base=ROOT / "scenarios" / "baseline.yaml") + body + TITLE)
    r = runner.invoke(app, ["run", "x.yaml"])
    assert r.exit_code == 2, r.output
    assert f"x.yaml:{line}: {key}" in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "outputs").exists()


def _stock(tmp_path, edit) -> str:
    df = pd.read_csv(ROOT / "data" / "teachers-stock-2020.csv")
    edit(df)
    df.to_csv(tmp_path / "stock.csv", index=False)
    return HEAD.format(base=ROOT / "scenarios" / "baseline.yaml") + "  stock: stock.csv\n" + TITLE


def test_stock_age_outside_18_70(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "x.yaml",
        _stock(tmp_path, lambda df: df.__setitem__("age", df["age"].where(df.index != 4, 75))),
    )
    r = runner.invoke(app, ["run", "x.yaml"])
    assert r.exit_code == 2 and "stock.csv:6:" in r.output and "75" in r.output, r.output
    assert not (tmp_path / "outputs").exists()


def test_stock_not_summing_to_totals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def drop(df):
        df.loc[0, "teachers"] += 100

    write(tmp_path / "x.yaml", _stock(tmp_path, drop))
    r = runner.invoke(app, ["run", "x.yaml"])
    assert r.exit_code == 2 and "stock.csv" in r.output and "stock_totals.preschool" in r.output, r.output


def test_engines_choice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "baseline", "--engine", "fast"])
    assert r.exit_code == 2 and "--engine" in r.output
    r = runner.invoke(app, ["run", "no-tegang", "--engine", "des"])
    assert r.exit_code == 0, r.output
    assert "特岗" in r.output
