"""Bad money input through the command line: exit 2, file, line and key named, nothing written."""

import pytest
from conftest import ROOT, write
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
BASE = ROOT / "scenarios" / "baseline.yaml"

BAD = {
    "negative-amount": (
        "finance:\n  per_student:\n    primary: -5\n",
        "finance.per_student.primary",
        5,
        "≥ 0",
    ),
    "price-index-zero": ("finance:\n  price_index: {2020: 1.0, 2030: 0}\n", "finance.price_index", 4, "≥"),
    "project-outside-horizon": (
        "finance:\n  projects:\n    - {name: late, start: 2040, cost: 1000000}\n",
        "finance.projects.0",
        5,
        "outside the horizon",
    ),
    "project-without-cost": (
        "finance:\n  projects:\n    - {name: free, start: 2022}\n",
        "finance.projects.0",
        5,
        "has no cost",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_money_settings(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    body, key, line, needle = BAD[case]
    write(tmp_path / "x.yaml", f"extends: {BASE}\nname: x\n" + body)
    r = runner.invoke(app, ["run", "x.yaml"])
    assert r.exit_code == 2, r.output
    assert f"x.yaml:{line}: {key}" in r.output and needle in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "outputs").exists()


def test_pay_series_missing_a_level(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = BASE.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index("  pay:")
    junior = next(i for i in range(start, start + 8) if lines[i].strip().startswith("junior:"))
    del lines[junior]
    write(tmp_path / "nopay.yaml", "\n".join(lines).replace("name: baseline", "name: nopay", 1) + "\n")
    r = runner.invoke(app, ["run", "nopay.yaml"])
    assert r.exit_code == 2 and "finance.pay.junior" in r.output and "missing" in r.output, r.output
    assert f"nopay.yaml:{start + 1}:" in r.output


def test_money_scenarios_run_and_differ(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from sim.run.simulate import simulate_scenario

    base, freeze = simulate_scenario("baseline"), simulate_scenario("budget-freeze")
    assert freeze.value("Budget|Envelope", 2030) == freeze.value("Budget|Envelope", 2023)
    assert freeze.value("Budget|Envelope", 2030) < base.value("Budget|Envelope", 2030)
    # under a flat envelope and falling enrolment, spending per pupil rises
    assert freeze.value("Spending|Per student|Primary", 2030) > freeze.value(
        "Spending|Per student|Primary", 2023
    )
