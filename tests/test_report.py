"""The report: chart builders without a browser, escaping, offline page; then a real browser."""

import re
import subprocess
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, write
from helpers import CHROMIUM_FLAGS, chromium
from typer.testing import CliRunner

from cli import app
from sim.analysis.reporting import from_run
from sim.report import figures as F
from sim.report.page import build_page, charts
from sim.run.simulate import simulate_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def runs():
    return [simulate_scenario("baseline"), simulate_scenario("no-tegang")]


def test_every_chart_builds_with_data_and_units(runs):
    from sim.report.page import UI

    figs = charts([from_run(r) for r in runs], "zh")
    titles = [t for t, _ in figs]
    u = UI["zh"]
    assert {u[k] for k in ("enrolment", "targets", "population", "teachers", "tegang", "money")} <= set(
        titles
    )
    assert any(t.startswith(u["sankey"]) for t in titles)
    units = {"人", "万人", "比例", "年", "人/年", "元", "元/年", "亿元", "生/师"}
    for title, fig in figs:
        assert len(fig.data) > 0, title
        if title.startswith(u["sankey"]):
            continue
        panels = [a.text for a in fig.layout.annotations]
        if panels:  # small multiples: every panel title ends with its unit
            assert all(re.search(r"\((.+)\)$", p).group(1) in units for p in panels), (title, panels)
        else:
            assert fig.layout.yaxis.title.text in units, (title, fig.layout.yaxis.title.text)


def test_scorecard_colours_met_and_missed(runs):
    r = from_run(runs[0])
    fig = F.scorecard(r.targets.assign(scenario="baseline"), "en", "t")
    z = np.asarray(fig.data[0].z, dtype=float)[0]
    expected = {"met": 1.0, "missed": 0.0, "by assumption": np.nan}
    np.testing.assert_array_equal(z, [expected[s] for s in r.targets["status"]])
    text = fig.data[0].text[0]
    assert any("✗" in t for t in text) and any("✓" in t for t in text) and any("≈" in t for t in text)


def test_sankey_flows_add_up(runs):
    fig = F.sankey(runs[0].frame(), "baseline", 2025, "zh", "s")
    link = fig.data[0].link
    junior = sum(v for s, v in zip(link.source, link.value, strict=True) if s == 1)
    assert np.isclose(junior, runs[0].value("Graduates|Junior", 2025))


def test_graduates_are_counted_once_and_missing_in_the_base_year(runs):
    """Graduates of summer t−1 are counted in year t, where they enter the next level (one convention):
    the junior graduates of 2025 are the grade-9 pupils of 2024 who were promoted."""
    from sim.core.context import StudentFlows
    from sim.core.levels import FLOW_INDEX, LAST
    from sim.run.simulate import prepare, simulate

    res = runs[0]
    assert np.isnan(res.value("Graduates|Junior", 2020)) and np.isnan(res.value("Flow|Primary|Junior", 2020))
    p = prepare("baseline")
    ctx = simulate(p.scenario, p.tables)
    flows = ctx.need(StudentFlows)
    d = p.scenario.students.flows.junior.dropout.evaluate(p.scenario.years)
    # the rows of draw 0: one per division (the city is their sum)
    grade9_2024 = flows.stock[: ctx.R, 4, LAST[FLOW_INDEX["junior"]]].sum()
    assert res.value("Graduates|Junior", 2025) == pytest.approx(grade9_2024 * (1 - d[4]), rel=1e-12)


def test_fan_chart_bands_with_draws():
    df = pd.DataFrame(
        {
            "scenario": "a",
            "draw": np.repeat(np.arange(20), 3),
            "year": np.tile([2020, 2021, 2022], 20),
            "variable": "Enrolment|Primary",
            "value": np.random.default_rng(0).normal(100, 10, 60),
        }
    )
    fig = F.lines(df, ["Enrolment|Primary"], "zh", "x")
    assert sum(1 for t in fig.data if t.fill == "tonexty") == 2  # 50 % and 90 % bands


def test_titles_are_escaped_and_page_is_offline(tmp_path, monkeypatch, runs):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "evil.yaml",
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: evil\n"
        "title: {zh: '<script>alert(1)</script>', en: '<b>x</b>'}\n",
    )
    r = runner.invoke(app, ["report", "evil.yaml", "--out", "r.html"])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", page)  # nothing fetched from the network
    assert version("edusim") in page and "baseline.yaml" in page  # version and the files' hashes
    assert len(page.encode()) < 8e6


def test_report_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["compare", "baseline", "nosuch"])
    assert r.exit_code == 2 and "no scenario 'nosuch'" in r.output
    (tmp_path / "f").write_text("x")
    r = runner.invoke(app, ["report", "baseline", "--out", "f/r.html"])
    assert r.exit_code == 2 and "cannot write" in r.output and not (tmp_path / "outputs").exists()
    r = runner.invoke(app, ["report", "baseline", "--lang", "fr"])
    assert r.exit_code == 2 and "--lang" in r.output


def test_compare_writes_csv_and_excel(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["compare", "baseline", "tegang-300", "--years", "2025,2035", "--out", "cmp"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "cmp.csv")
    assert {"baseline 2025", "tegang-300 2035", "Δ tegang-300 2035"} <= set(df.columns)
    assert pd.read_excel(tmp_path / "cmp.xlsx").shape == df.shape
    row = df[df["indicator"].str.contains("Special Post")].iloc[0]
    # tegang-300 places its 300 whatever the vacancies (quota); the baseline only into vacancies
    assert row["tegang-300 2025"] == pytest.approx(300) and row["Δ tegang-300 2025"] > 0


@pytest.mark.slow
def test_report_in_a_real_browser(tmp_path, runs):
    exe = chromium()
    page = tmp_path / "report.html"
    page.write_text(build_page([from_run(r) for r in runs], "zh", "test"), encoding="utf-8")
    flags = [
        exe,
        *CHROMIUM_FLAGS,
    ]
    dom = subprocess.run(
        flags + [f"--user-data-dir={tmp_path / 'u1'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    errors = re.search(r'<pre id="js-errors">(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1) == "[]", errors.group(1) if errors else dom[-2000:]
    n_charts = len(re.findall(r'<div id="chart-\d+"', dom))
    # every chart container holds a drawn plot with data (a plotly svg with at least one trace group)
    blocks = re.split(r'<div id="chart-\d+"', dom)[1:]
    assert n_charts >= 8 and len(blocks) == n_charts
    for b in blocks:
        assert 'class="main-svg"' in b and (
            'class="trace' in b or 'class="sankey"' in b or "heatmaplayer" in b or 'class="hm"' in b
        )
    shot = tmp_path / "report-screenshot.png"
    subprocess.run(
        flags
        + [
            f"--user-data-dir={tmp_path / 'u2'}",
            "--window-size=1280,3000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_waterfalls_and_cohort_table_build(runs):
    from sim.analysis.cohort import cohort_table
    from sim.analysis.explain import for_report
    from sim.report.page import cohort_html, explain_figures
    from sim.run.simulate import prepare, simulate

    p = prepare("baseline")
    loaded, tables = p.loaded, p.tables
    dec = for_report(loaded.scenario, tables, lambda s: simulate(s, tables).results)
    figs = explain_figures(dec, "zh")
    assert len(figs) == 3
    for (_name, parts, start, end), (_, fig) in zip(dec, figs, strict=True):
        wf = fig.data[0]
        assert list(wf.measure) == ["absolute"] + ["relative"] * len(parts) + ["total"]
        scale = start / wf.y[0]  # money is drawn in 亿元
        assert np.isclose(wf.y[0] + sum(wf.y[1:-1]), end / scale)  # the bars land on the end value
    html = cohort_html(cohort_table(loaded.scenario), "en")
    assert "Reconstructed cohort" in html and "coefficient of efficiency" in html
