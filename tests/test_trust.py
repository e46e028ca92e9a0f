"""The report's trust section: back-test table, estimates, drivers that add up sensibly."""

import numpy as np

from sim.analysis.trust import KEY_RESULTS, drivers, trust_html
from sim.run.simulate import prepare


def test_drivers_name_the_inputs_that_move_each_result():
    p = prepare("baseline")
    d = drivers(p, draws=200).set_index("result")
    assert list(d.index) == [f"{v} {y}" for v, y in KEY_RESULTS]
    assert set(d.columns) == set(p.scenario.uncertainty)
    assert d.loc["Enrolment|Secondary vocational 2025"].idxmax() == "students.transitions.vocational_share"
    assert d.loc["Teachers|Gap 2035"][["population.births", "population.net_migration"]].sum() > 0.8
    assert (d.to_numpy() >= 0).all() and np.all(d.sum(axis=1) > 0.7)  # inputs barely interact


def test_the_section_reads_in_both_languages():
    p = prepare("baseline")
    zh, en = trust_html(p, "zh"), trust_html(p, "en")
    assert "可信度" in zh and "MAPE" in zh and "How far to trust this" in en
    assert "skill vs cohort-ratio" in en and "population.net_migration" in en


def test_a_horizon_without_the_key_years_still_reports(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["report", "backtest-2015", "--out", "b.html", "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "Nothing to break down" in (tmp_path / "b.html").read_text(encoding="utf-8")
