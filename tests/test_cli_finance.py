"""Bad money input through the command line: exit 2, file, line and key named, nothing written; and
the money model on the real pipeline: the 2020 calibration, the rules on the committed path, what
特岗 teachers cost, what gives under a fixed budget."""

import numpy as np
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
    write(tmp_path / "x.yaml", f"extends: {BASE}\nname: x\n" + body + "title: {zh: 测试, en: Test}\n")
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


# ------------------------------------------------------------------ the real pipeline
def _runs(*names):
    from sim.run.simulate import simulate_scenario

    return [simulate_scenario(n) for n in names]


def test_baseline_2020_reproduces_the_per_student_estimate(baseline):
    from sim.core.levels import LABEL, MONEY_LEVELS

    f = baseline.scenario.finance
    recurrent = 0.0
    for lv in MONEY_LEVELS:
        L = LABEL[lv]
        estimate = f.per_student.get(lv).evaluate(baseline.years)[0] * baseline.value(f"Enrolment|{L}", 2020)
        assert baseline.value(f"Spending|{L}", 2020) == pytest.approx(estimate, rel=1e-12)
        # non-personnel per student stays positive at every level (the pay bill fits in the estimate)
        assert baseline.value(f"Spending|Non-personnel|Per student|{L}", 2020) > 0
        recurrent += estimate
    assert baseline.value("Spending|Recurrent", 2020) == pytest.approx(recurrent, rel=1e-12)
    assert baseline.value("Spending|Comparison|Per-student path", 2020) == pytest.approx(
        baseline.value("Spending|Total", 2020), rel=1e-12
    )
    assert baseline.results["Check|Non-personnel floored"].max() == 0


def test_baseline_rules_are_checked_on_the_committed_path(baseline):
    from sim.analysis.money_rules import breaches
    from sim.stages.finance import RULE_TOTAL

    total = baseline.results["Spending|Total"][0]
    for b in breaches(baseline.results, baseline.years, draw=0):
        if b.rule == RULE_TOTAL:
            t = b.year - int(baseline.years[0])
            assert b.amount == pytest.approx(total[t - 1] - total[t]) and b.amount > 0
    # required allocation: what is spent is what is required; the envelope's excess is a surplus
    res = baseline.results
    np.testing.assert_allclose(res["Spending|Total"], res["Budget|Required"], rtol=1e-12)
    np.testing.assert_allclose(
        res["Budget|Surplus"] - res["Budget|Shortfall"], res["Budget|Envelope"] - res["Budget|Required"]
    )


def test_tegang_300_adds_its_pay_bill_less_the_central_subsidy():
    base, more = _runs("baseline", "tegang-300")
    d = lambda k: more.results[k][0] - base.results[k][0]  # noqa: E731
    np.testing.assert_allclose(d("Spending|Non-personnel"), 0.0, atol=1e-3)  # same pupils
    np.testing.assert_allclose(
        d("Spending|Total"),
        d("Spending|Pay bill")
        - d("Spending|Tegang|Central")
        + d("Spending|Subsidy|Township")
        + d("Spending|Redeployment"),
        rtol=1e-9,
        atol=1e-3,
    )
    t = int(np.searchsorted(base.years, 2030))
    assert d("Spending|Pay bill")[t] > 1e8  # about 150 more teachers a year in post
    assert d("Spending|Total")[t] > 0.8 * d("Spending|Pay bill")[t]


def test_fixed_budgets_squeeze_non_personnel_not_pay():
    base, freeze, tg = _runs("baseline", "budget-freeze", "tegang-300-fixed-budget")
    (tg300,) = _runs("tegang-300")
    for run, teachers_like in ((freeze, base), (tg, tg300)):
        r = run.results
        # teachers in post are paid as in the run with the same teachers; the envelope is spent
        np.testing.assert_allclose(r["Spending|Pay bill"], teachers_like.results["Spending|Pay bill"])
        ok = r["Budget|Shortfall|Unfunded commitments"] == 0
        assert ok.all()
        np.testing.assert_allclose(r["Spending|Total"], r["Budget|Envelope"], rtol=1e-12)
        np.testing.assert_allclose(
            r["Spending|Non-personnel"],
            r["Budget|Envelope"] - r["Spending|Pay bill"] - r["Spending|Programmes"] - r["Spending|Projects"],
            rtol=1e-9,
        )
    # same envelope, more 特岗: non-personnel spending gives way, against what the baseline's envelope
    # affords, by exactly their pay less the central subsidy (and the subsidy and redeployment changes)
    b, g = base.results, tg.results
    np.testing.assert_allclose(g["Budget|Envelope"], b["Budget|Envelope"])
    afforded = b["Budget|Affordable scale"] * b["Spending|Non-personnel"]
    d = lambda k: g[k] - b[k]  # noqa: E731
    cost = d("Spending|Pay bill") - d("Spending|Tegang|Central") + d("Spending|Subsidy|Township")
    cost = cost + d("Spending|Redeployment")
    np.testing.assert_allclose(g["Spending|Non-personnel"] - afforded, -cost, rtol=1e-9, atol=1e-2)
    assert cost[0, int(np.searchsorted(base.years, 2030))] > 1e8
