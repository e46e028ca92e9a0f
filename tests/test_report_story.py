"""The report tells a story: the answer on the first screen (every scenario by its title, baseline
first), charts in the page's language with one colour per scenario, target lines, readable hovers;
the provenance at the end. One real-browser test measures where the answer lands."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import CHROMIUM_FLAGS, chromium

from sim.analysis.reporting import from_run, make_report
from sim.report import figures as F
from sim.report.page import UI, build_page, charts, colors, titles
from sim.run.simulate import prepare, simulate_scenario

NAMES = ["baseline", "tegang-300", "no-tegang"]
# English words of the UI that must not appear in the Chinese page (whole words, case-sensitive)
ENGLISH = [
    "Teachers",
    "Spending",
    "Enrolment",
    "Budget",
    "Population",
    "Rule",
    "target",
    "targets",
    "met",
    "missed",
    "median",
    "band",
    "baseline",
    "Scenarios",
    "year",
    "supply",
    "demand",
    "gap",
    "within",
    "lead",
    "skill",
    "model",
    "Why it changed",
    "Reconstructed",
    "level",
    "survival",
    "persons",
    "yuan",
    "surplus",
    "shortage",
]


@pytest.fixture(scope="module")
def inputs():
    return [from_run(simulate_scenario(n)) for n in NAMES]


@pytest.fixture(scope="module")
def page_zh():
    """The page the CLI writes for `edusim report baseline tegang-300 no-tegang`."""
    return make_report([prepare(n) for n in NAMES], "zh")


def figures_of(page: str) -> list[dict]:
    """The plotly figures drawn on a page, as JSON."""
    return [json.loads(m.group(1)) for m in re.finditer(r'draw\("chart-\d+", (\{.*?\})\);\n', page)]


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles or code (file names, hashes, input paths are code)."""
    body = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def figure_words(fig: dict) -> list[str]:
    """A figure's title, axis titles, panel titles and legend names."""
    lay = fig.get("layout", {})
    out = []
    title = lay.get("title")
    if isinstance(title, dict) and title.get("text"):
        out.append(title["text"])
    for k, v in lay.items():
        if re.match(r"[xy]axis\d*$", k) and isinstance(v, dict):
            t = v.get("title", {})
            if isinstance(t, dict) and t.get("text"):
                out.append(t["text"])
    out += [a.get("text", "") for a in lay.get("annotations", [])]
    for t in fig.get("data", []):
        if t.get("showlegend", True) and t.get("name"):
            out.append(t["name"])
        if t.get("type") == "waterfall":
            out += [str(x) for x in t.get("x", [])]
        if t.get("type") == "sankey":
            out += list(t.get("node", {}).get("label", []))
    return out


def test_first_screen_holds_the_answer_for_every_scenario_baseline_first(inputs):
    page = build_page(inputs, "zh", "test", whatif_html='<section id="whatif">WHATIF</section>')
    answer = page.index('<section id="answer">')
    whatif = page.index('<section id="whatif">')
    first_chart = page.index('<div id="chart-0"')
    provenance = page.index('<section id="provenance">')
    assert answer < whatif < first_chart < provenance  # the answer, the what-if, the charts, the annex
    assert page.rindex('<div id="chart-') < provenance and "d2a5ef" not in page[:first_chart]  # hashes last
    cards = re.findall(
        r'<div class="headline" data-scenario="([^"]+)"[^>]*>\s*<h3>.*?</span>(.*?)</h3>', page
    )
    assert [c[0] for c in cards] == NAMES  # baseline first, in the order given
    assert [c[1] for c in cards] == [r.title["zh"] for r in inputs]  # by title, not by id
    head = re.search(r'<table class="answer"><thead>(.*?)</thead>', page, re.S).group(1)
    assert re.findall(r'<th class="sc"[^>]*>(.*?)</th>', head) == [r.title["zh"] for r in inputs]
    answer_html = page[answer:whatif]
    # 2025 targets, the binding rules and the planner's 2035 assumptions each under their own heading
    groups = re.findall(r'<tr class="group (\w+)"><th[^>]*>(.*?)</th>', answer_html)
    assert [k for k, _ in groups] == ["indicative", "binding", "assumption"]
    assert "约束性规则" in groups[1][1] and "规划假设" in groups[2][1] and "不是规划目标" in groups[2][1]
    # the margin in the target's own unit, how the target holds, when it is first met
    row = re.search(r"中等职业教育在校生</td>(.*?)</tr>", answer_html).group(1)
    assert "≥ 2.30万人" in row and "超出 269人" in row and "2023年起" in row
    assert "差 2.3个百分点" in answer_html and "由假设决定" in answer_html
    assert "违反（2023–2025）" in answer_html  # a rule: breached in which years
    assert 'class="caveats"' in answer_html
    assert (
        "概率 " not in answer_html.split('<table class="answer">')[1].split("</table>")[0]
    )  # one draw: none


def test_the_answer_in_english_and_with_draws(inputs):
    runs = [inputs[0]]
    t = runs[0].targets.copy()
    t["probability"] = 0.8
    runs = [runs[0].__class__(**{**runs[0].__dict__, "targets": t, "draws": 50})]
    bt = pd.DataFrame(
        {
            "lead": [3, None],
            "n": [2, 13],
            "MAPE": [0.05, 0.07],
            "skill vs no-change": [0.6, 0.26],
            "skill vs cohort-ratio": [0.3, 0.09],
            "inside 90 %": [0.5, 1 / 9],
            "inside 50 %": [0.0, 0.0],
        }
    )
    page = build_page(runs, "en", "test", estimates=["births"], backtest=bt)
    answer = page[page.index('<section id="answer">') : page.index('<div id="chart-0"')]
    assert "Baseline (2020 conditions continued)" in answer and "80% likely" in answer
    assert "short by 2.3 pt" in answer and "11%" in answer and "births" in answer  # coverage: 1 of 9


def test_zh_page_has_no_untranslated_text(page_zh):
    figs = figures_of(page_zh)
    assert len(figs) >= 12
    caveats = re.search(r'<div class="caveats">(.*?)</div>', page_zh, re.S).group(1)
    assert "估计值" in caveats and "回测" in caveats and "技能分" in caveats  # estimates; back-test skill
    # the annex, after the charts: files and hashes, the back-test table (in Chinese), the cohort table
    last_chart = page_zh.rindex('<div id="chart-')
    assert last_chart < page_zh.index('<section id="provenance">') < page_zh.index("MAPE 模型")
    assert page_zh.index("MAPE 模型") < page_zh.index("重构队列") and "效率系数" in page_zh
    words = [w for f in figs for w in figure_words(f)]
    text = visible_text(page_zh) + "\n" + "\n".join(words)
    ids = re.findall(r"[A-Za-z][\w ]*\|[A-Za-z][\w |]*", text)
    assert not ids, ids[:10]  # no variable id such as Teachers|Gap
    found = [w for w in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]
    assert not found, [(w, text[max(0, text.find(w) - 60) : text.find(w) + 60]) for w in found]
    assert not re.search(r">=|<=", visible_text(page_zh))  # ≥ and ≤, not ASCII
    # no section heading repeated as its chart's title
    heads = re.findall(r"<section><h2>(.*?)</h2>", page_zh)
    for h, f in zip(heads, figs, strict=False):
        title = f["layout"].get("title")
        assert not (isinstance(title, dict) and title.get("text") == h), h


def test_scenario_colours_are_the_same_in_every_figure(page_zh, inputs):
    cmap = colors(inputs, "zh")
    names = list(titles(inputs, "zh").values())
    assert list(cmap) == names and len(set(cmap.values())) == 3
    seen: dict[str, set] = {n: set() for n in names}
    for f in figures_of(page_zh):
        for t in f["data"]:
            group = t.get("legendgroup") or t.get("name") or ""
            owner = next(
                (n for n in names if group == n or str(t.get("name", "")).startswith(n + " · ")), None
            )
            color = (t.get("line") or {}).get("color")
            if owner and color:
                seen[owner].add(color)
    assert {n: s for n, s in seen.items()} == {n: {cmap[n]} for n in names}
    # the answer's swatches too
    swatches = re.findall(r'data-scenario="[^"]+" style="border-top-color:(#[0-9a-f]{6})"', page_zh)
    assert swatches == [cmap[n] for n in names]


def test_charts_read_in_three_seconds(inputs):
    figs = dict(charts(inputs, "zh"))
    u = UI["zh"]
    # teachers: needed and in post on one axis per level, the gap shaded between them
    teach = figs[u["teachers"]]
    assert any(t.fill == "tonexty" and t.hoverinfo == "skip" for t in teach.data)
    assert {t.line.dash for t in teach.data if t.mode == "lines+markers"} == {"dash", "solid"}
    # money: spending and the envelope on one chart in 亿元
    money = figs[u["money"]]
    assert money.layout.annotations[0].text.endswith("(亿元)")
    ys = [max(t.y) for t in money.data if t.mode == "lines+markers"]
    assert 10 < max(ys) < 1000  # 亿元, not yuan
    # targets: a marker and a dotted line at the level, for 2025 and 2035; hovers with the right precision
    tg = figs[u["targets"]]
    marks = [t for t in tg.data if t.mode == "markers" and t.legendgroup in ("target", "assumption")]
    assert {int(t.x[0]) for t in marks} >= {2025, 2035}
    assert any(t.line.dash == "dot" and t.mode == "lines" for t in tg.data)
    assert any(t.fill == "toself" and t.legendgroup == "target" for t in tg.data)  # 特岗 150 ±10 %: a band
    hovers = {a.text.split(" (")[0]: None for a in tg.layout.annotations}
    years = [
        t
        for t in tg.data
        if t.mode == "lines+markers" and t.xaxis == _axis_of(tg, "劳动年龄人口平均受教育年限")
    ]
    assert years and all("%{y:.2f}" in t.hovertemplate for t in years)  # 11.21, not 11
    rates = [t for t in tg.data if t.mode == "lines+markers" and t.xaxis == _axis_of(tg, "学前三年毛入园率")]
    assert rates and all("%{y:.1%}" in t.hovertemplate for t in rates) and hovers
    # the enrolment chart carries the 中职 target
    enr = figs[u["enrolment"]]
    assert any(t.legendgroup == "target" and t.mode == "markers" for t in enr.data)


def _axis_of(fig, label: str) -> str:
    k = next(i for i, a in enumerate(fig.layout.annotations) if a.text.startswith(label))
    return "x" if k == 0 else f"x{k + 1}"


def test_fan_bands_have_a_legend_entry_and_say_both_edges():
    df = pd.DataFrame(
        {
            "scenario": "甲",
            "draw": np.repeat(np.arange(20), 3),
            "year": np.tile([2020, 2021, 2022], 20),
            "variable": "GER|Preschool",
            "value": np.random.default_rng(0).normal(0.9, 0.02, 60),
        }
    )
    fig = F.panels(df, ["GER|Preschool"], "zh", "x")
    legend = [t.name for t in fig.data if t.showlegend]
    assert "50%区间" in legend and "90%区间" in legend
    band = next(t for t in fig.data if t.fill == "tonexty" and t.customdata is not None)
    assert "%{y:.1%} – %{customdata:.1%}" in band.hovertemplate


@pytest.mark.slow
def test_the_answer_is_on_the_first_screen_in_a_real_browser(tmp_path, inputs):
    exe = chromium()
    page = build_page(inputs, "zh", "test")
    probe = (
        "<script>document.querySelectorAll('.headline').forEach(function (e) {"
        "var r = e.getBoundingClientRect(); e.setAttribute('data-top', Math.round(r.top));"
        "e.setAttribute('data-bottom', Math.round(r.bottom)); });</script></body>"
    )
    path = tmp_path / "r.html"
    path.write_text(page.replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'u'}",
            "--window-size=1400,900",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    errors = re.search(r'<pre id="js-errors">(.*?)</pre>', dom, re.S)
    assert errors is not None and errors.group(1) == "[]", errors.group(1) if errors else dom[-2000:]
    boxes = re.findall(r'data-scenario="([^"]+)"[^>]*data-top="(-?\d+)" data-bottom="(-?\d+)"', dom)
    assert [b[0] for b in boxes] == NAMES
    assert all(0 <= int(top) and int(bottom) <= 900 for _, top, bottom in boxes), boxes
