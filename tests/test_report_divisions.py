"""The report's divisions section: maps of the teacher gap and of primary places, a panel per
division; absent when no scenario has divisions; drawn by a real browser."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from conftest import ROOT, write
from helpers import CHROMIUM_FLAGS, chromium

from sim.analysis.reporting import make_report, summarised
from sim.report import figures as F
from sim.report.page import UI, charts
from sim.run.simulate import prepare, simulate_scenario

NINE = {"昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"}
SECTION = [UI["zh"][k] for k in ("div_gap_map", "div_util_map", "div_enrolment", "div_gap")]


@pytest.fixture(scope="module")
def baseline_input():
    return summarised(prepare("baseline"))  # what make_report (the CLI's report job) draws from


@pytest.fixture(scope="module")
def one_city_input(tmp_path_factory):
    path = write(
        tmp_path_factory.mktemp("one-city") / "one-city.yaml",
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: one-city\n"
        "title: {zh: 一城, en: One city}\nregions: null\n",
    )
    return summarised(prepare(path))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page the CLI writes for `edusim report baseline`."""
    html = make_report([prepare("baseline")], "zh")
    out = tmp_path_factory.mktemp("page") / "report.html"
    out.write_text(html, encoding="utf-8")
    return out


def division_figs(figs):
    return {t: f for t, f in figs if t in SECTION}


def map_panels(fig):
    """{panel title: {division: value}} of a map (one marker trace per panel carries the values)."""
    titles = [a.text for a in fig.layout.annotations]
    markers = [t for t in fig.data if t.mode == "markers+text"]
    assert len(titles) == len(markers)
    return {
        title: dict(
            zip(
                (s.name for s in fig.data if s.fill == "toself" and s.xaxis == m.xaxis),
                m.customdata,
                strict=True,
            )
        )
        for title, m in zip(titles, markers, strict=True)
    }


def test_the_section_follows_the_teachers_with_maps_and_small_multiples(baseline_input):
    figs = charts([baseline_input], "zh")
    titles = [t for t, _ in figs]
    assert [t for t in titles if t in SECTION] == SECTION
    # after the teacher charts, before the money
    assert titles.index(UI["zh"]["subjects"]) < titles.index(SECTION[0]) < titles.index(UI["zh"]["money"])
    got = division_figs(figs)
    gap = map_panels(got[SECTION[0]])
    assert [t.split(" ")[0] for t in gap] == ["2025", "2035"]
    assert all(set(v) == NINE for v in gap.values())
    bar = got[SECTION[0]].data[-1].marker
    assert bar.cmin == -bar.cmax  # diverging: white is zero
    assert bar.colorbar.ticktext[0].endswith("短缺") and bar.colorbar.ticktext[-1].endswith("富余")
    util = map_panels(got[SECTION[1]])
    assert list(util) == ["2035 · 小学学位使用率 (比例)"]
    assert all(0 < v < 2 for v in util["2035 · 小学学位使用率 (比例)"].values())
    for title, variable in ((SECTION[2], "Enrolment|Primary"), (SECTION[3], "Teachers|Gap")):
        fig = got[title]
        panels = [a.text for a in fig.layout.annotations]
        assert len(panels) == 9 and {p.split(" (")[0] for p in panels} == NINE
        lines = [t for t in fig.data if t.mode == "lines+markers"]
        # the scenario by its title, as everywhere on the page
        assert len(lines) == 9 and {t.name for t in lines} == {baseline_input.title["zh"]}
        assert {t.line.color for t in lines} == {F.PALETTE[0]}  # the scenario's colour on the page
        assert not any(t.fill == "tonexty" for t in fig.data)  # one draw: no fans
        matches = [fig.layout[f"yaxis{k if k > 1 else ''}"].matches for k in range(1, 10)]
        assert matches.count(None) == 1 and len(set(matches) - {None}) == 1  # one y scale for all
        jiaohe = next(t for t in lines if t.xaxis == "x5")  # the fifth panel: 蛟河市
        ref = baseline_input.regional
        ref = ref[(ref["variable"] == variable) & (ref["region"] == "蛟河市")].sort_values("year")
        np.testing.assert_allclose(jiaohe.y, ref["q50"])


def test_the_maps_show_the_runs_values(baseline_input):
    res = simulate_scenario("baseline")
    i2025, i2035 = list(res.years).index(2025), list(res.years).index(2035)
    got = division_figs(charts([baseline_input], "zh"))
    gap = list(map_panels(got[SECTION[0]]).values())
    util = map_panels(got[SECTION[1]])["2035 · 小学学位使用率 (比例)"]
    for d in NINE:
        assert gap[0][d] == pytest.approx(res.results[f"Teachers|Gap@{d}"][0, i2025], rel=1e-12)
        assert gap[1][d] == pytest.approx(res.results[f"Teachers|Gap@{d}"][0, i2035], rel=1e-12)
        assert util[d] == pytest.approx(res.results[f"Places|Utilisation|Primary@{d}"][0, i2035], rel=1e-12)
    assert sum(gap[0].values()) == pytest.approx(res.results["Teachers|Gap"][0, i2025], rel=1e-9)


def test_no_divisions_no_section_and_some_divisions_keep_their_colours(one_city_input, baseline_input):
    assert len(one_city_input.regional) == 0
    figs = charts([one_city_input], "zh")
    assert not any(t.startswith("区县") for t, _ in figs) and all(len(f.data) for _, f in figs)
    # the second scenario has divisions: the maps show it, its lines keep the page's second colour
    got = division_figs(charts([one_city_input, baseline_input], "zh"))
    assert list(got) == SECTION
    title = baseline_input.title["zh"]  # the scenario by its title, as everywhere on the page
    assert got[SECTION[0]].layout.title.text.endswith(title)
    lines = [t for t in got[SECTION[2]].data if t.mode == "lines+markers"]
    assert {t.name for t in lines} == {title} and {t.line.color for t in lines} == {F.PALETTE[1]}


def test_the_english_page_names_the_divisions_in_english(baseline_input):
    got = {t: f for t, f in charts([baseline_input], "en") if t.startswith("Divisions")}
    assert len(got) == 4
    panels = [a.text for a in got["Divisions: primary pupils"].layout.annotations]
    assert "Jiaohe City (persons)" in panels
    bar = got["Divisions: teacher gap on the map (median)"].data[-1].marker.colorbar
    assert bar.ticktext[0].endswith("shortage") and bar.ticktext[-1].endswith("surplus")


def test_the_page_holds_the_section(page):
    html = page.read_text(encoding="utf-8")
    assert all(f"<h2>{t}</h2>" in html for t in SECTION)
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)  # nothing fetched


@pytest.mark.slow
def test_the_maps_are_drawn_in_a_real_browser(page, tmp_path):
    exe = chromium()
    flags = [
        exe,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'u'}",
    ]
    dom = subprocess.run(
        flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    errors = re.search(r'<pre id="js-errors">(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1) == "[]", errors.group(1) if errors else dom[-2000:]
    sections = {
        m.group(1): m.group(2) for m in re.finditer(r"<section><h2>(.*?)</h2>(.*?)</section>", dom, re.S)
    }
    assert set(SECTION) <= set(sections)
    for title, panels in ((SECTION[0], 2), (SECTION[1], 1)):
        svg = sections[title]
        # each division a filled path with a real outline, in every panel
        fills = re.findall(r'<path class="js-fill" d="(M[^"]+)"', svg)
        assert len(fills) == 9 * panels and all(d.count("L") > 20 for d in fills), title
        assert "舒兰市" in svg and "colorbar" in svg
    for title in SECTION[2:]:
        assert len(re.findall(r'class="trace scatter', sections[title])) >= 9
