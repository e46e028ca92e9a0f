"""One self-contained HTML page: plotly.js inside, no network, Chinese by default.

``build_page(runs, lang)`` takes one ``ReportInput`` per scenario (its tidy result table,
its target table and what identifies it) and returns the page as text. Every scenario
name, title and description is HTML-escaped; chart data goes in as JSON with ``</``
escaped, so nothing a scenario says can become markup or script.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd

from ..core.levels import LABEL, TEACHER_LEVELS
from ..core.levels import LEVELS as LEVEL_TABLE
from ..core.paths import data_dir
from . import figures as F

UI = {
    "zh": {
        "title": "吉林市教育规划模拟报告",
        "scorecard": "目标达成情况",
        "enrolment": "各级教育在校生",
        "targets": "目标指标走势（✕ 为目标值）",
        "population": "出生人口与学龄人口",
        "teachers": "教师需求、供给与余缺",
        "gap": "教师余缺（按学段、城乡）",
        "tegang": "特岗教师",
        "subjects": "学科教师需求（按课时）",
        "money": "经费",
        "per_student": "生均经费",
        "pay": "教师工资与公务员工资",
        "rules": "经费规则（1=遵守, 0=违反）",
        "sankey": "学生流向",
        "div_gap_map": "区县：教师余缺地图（中位数）",
        "div_util_map": "区县：小学学位使用率地图（中位数）",
        "div_enrolment": "区县：小学在校生",
        "div_gap": "区县：教师余缺（+ 富余，− 短缺）",
        "scenarios": "情景",
        "hash": "情景文件哈希",
        "version": "edusim 版本",
        "generated": "生成时间",
        "draws": "抽样次数",
        "fans": "不确定性（中位数与50%/90%区间）",
        "extends": "继承自",
        "note": "悬停查看数值；拖动缩放；点击图例隐藏/显示。",
    },
    "en": {
        "title": "Jilin City education planning report",
        "scorecard": "Targets: met or missed",
        "enrolment": "Students by level",
        "targets": "Target indicators over time (✕ = target)",
        "population": "Births and school-age population",
        "teachers": "Teacher demand, supply and gap",
        "gap": "Teacher gap by level and area",
        "tegang": "特岗 (Special Post) teachers",
        "subjects": "Subject teachers needed (curriculum hours)",
        "money": "Money",
        "per_student": "Spending per student",
        "pay": "Teachers' pay and civil servants' pay",
        "rules": "Money rules (1 holds, 0 breached)",
        "sankey": "Student flows",
        "div_gap_map": "Divisions: teacher gap on the map (median)",
        "div_util_map": "Divisions: primary place utilisation on the map (median)",
        "div_enrolment": "Divisions: primary pupils",
        "div_gap": "Divisions: teacher gap (+ surplus, − shortage)",
        "scenarios": "Scenarios",
        "hash": "scenario file hash",
        "version": "edusim version",
        "generated": "generated",
        "draws": "draws",
        "fans": "Uncertainty (median, 50 % and 90 % bands)",
        "extends": "extends",
        "note": "Hover for values; drag to zoom; click the legend to hide or show.",
    },
}

LEVELS = [LABEL[lv] for lv in TEACHER_LEVELS]
ENROLMENT = [f"Enrolment|{LABEL[lv.name]}" for lv in LEVEL_TABLE]
POPULATION = [
    "Population|Births",
    "Population|Age 3-5",
    "Population|Age 6-11",
    "Population|Age 12-14",
    "Population|Age 15-17",
]
FAN = [
    "Population|Births",
    "Enrolment|Primary",
    "GER|Preschool",
    "GER|Upper secondary",
    "Mean years of schooling|Working age",
    "Teachers|Gap",
]


@dataclass
class ReportInput:
    name: str
    title: dict  # {"zh": ..., "en": ...}
    description: dict
    results: pd.DataFrame  # summary: scenario, variable, year, q05 … q95 (or tidy draws: see figures)
    targets: pd.DataFrame  # sim.targets.evaluate output
    files: list[tuple[str, str]]  # (scenario file, sha256) for the file and every file it extends
    draws: int
    # the divisions' summary: scenario, region, variable, year, q05 … q95, mean (empty: one city)
    regional: pd.DataFrame | None = None


def charts(runs: list[ReportInput], lang: str) -> list[tuple[str, object]]:
    """The report's figures, in page order: (section title, plotly Figure)."""
    u = UI[lang]
    df = pd.concat([r.results for r in runs], ignore_index=True)
    have = set(map(str, pd.unique(df["variable"])))
    targets = (
        pd.concat([r.targets.assign(scenario=r.name) for r in runs if len(r.targets)], ignore_index=True)
        if any(len(r.targets) for r in runs)
        else pd.DataFrame()
    )
    out: list[tuple[str, object]] = []
    if len(targets):
        out.append((u["scorecard"], F.scorecard(targets, lang, u["scorecard"])))
    out.append((u["enrolment"], F.lines(df, ENROLMENT, lang, u["enrolment"])))
    if len(targets):
        indicators = list(dict.fromkeys(targets["indicator"]))
        out.append((u["targets"], F.panels(df, indicators, lang, u["targets"], targets)))
    out.append((u["population"], F.panels(df, POPULATION, lang, u["population"])))
    if "Teachers|Demand" in have:
        dem_sup = [f"Teachers|{k}|{lv}" for lv in LEVELS for k in ("Demand", "Supply")]
        out.append((u["teachers"], F.panels(df, dem_sup, lang, u["teachers"])))
        gaps = [f"Teachers|Gap|{lv}|{a}" for lv in LEVELS for a in ("Urban", "Rural")]
        out.append((u["gap"], F.panels(df, gaps, lang, u["gap"])))
        out.append(
            (
                u["tegang"],
                F.lines(
                    df,
                    ["Teachers|Tegang|Hires", "Teachers|Tegang|In contract", "Teachers|Tegang|Retained"],
                    lang,
                    u["tegang"],
                ),
            )
        )
        out.append(
            (
                u["subjects"],
                F.lines(
                    df,
                    [f"Teachers|Subject demand|{s}" for s in ("PE", "Arts", "Labour", "Civics")],
                    lang,
                    u["subjects"],
                ),
            )
        )
    out += division_charts(runs, lang)  # after the teachers: the divisions' section (none without)
    if "Spending|Total" in have:
        out.append(
            (
                u["money"],
                F.panels(
                    df,
                    [
                        "Spending|Total",
                        "Budget|Envelope",
                        "Budget|Shortfall",
                        "Budget|Surplus",
                        "Spending|Total|Real",
                    ],
                    lang,
                    u["money"],
                ),
            )
        )
        out.append(
            (
                u["per_student"],
                F.panels(df, [f"Spending|Per student|{lv}" for lv in LEVELS], lang, u["per_student"]),
            )
        )
        out.append((u["pay"], F.lines(df, ["Pay|Teachers|Compulsory", "Pay|Civil servants"], lang, u["pay"])))
        rules = sorted(v for v in have if v.startswith("Rule|"))
        out.append((u["rules"], F.panels(df, rules, lang, u["rules"], cols=3)))
    if max(r.draws for r in runs) > 1:
        out.append((u["fans"], F.panels(df, FAN, lang, u["fans"])))
    first = runs[0]
    years = sorted(first.results["year"].unique())
    year = 2025 if 2025 in years else int(years[-1])
    out.append((u["sankey"], F.sankey(df, first.name, year, lang, u["sankey"])))
    return out


# the divisions' section: the teacher gap mapped in two years, primary places mapped in the last,
# and a panel per division for the key series
MAP_YEARS = (2025, 2035)
DIVISION_SERIES = ("Enrolment|Primary", "Teachers|Gap")


@lru_cache(maxsize=1)
def division_shapes() -> dict:
    """The divisions' boundaries (data/districts.geojson, drawn offline by ``figures.division_maps``)."""
    return json.loads((data_dir() / "districts.geojson").read_text(encoding="utf-8"))


def division_charts(runs: list[ReportInput], lang: str) -> list[tuple[str, object]]:
    """The divisions' figures, or none when no scenario has divisions. The maps show the first
    scenario with divisions (medians); the panels every scenario with divisions, each in its colour."""
    u = UI[lang]
    with_divisions = [r for r in runs if r.regional is not None and len(r.regional)]
    if not with_divisions:
        return []
    first = with_divisions[0]
    reg = pd.concat([r.regional for r in with_divisions], ignore_index=True)
    geo = division_shapes()
    props = [f["properties"] for f in geo["features"]]
    have = set(map(str, pd.unique(reg["region"])))
    # the map's order (urban districts, then counties); a division the map lacks goes last
    divisions = [(p["name"], p["name"] if lang == "zh" else p.get("en", p["name"])) for p in props]
    divisions = [d for d in divisions if d[0] in have]
    divisions += [(n, n) for n in sorted(have - {d[0] for d in divisions})]
    mine = first.regional
    years = sorted(int(y) for y in pd.unique(mine["year"]))
    map_years = [y for y in MAP_YEARS if y in years] or years[-1:]

    def values(variable: str, year: int) -> dict[str, float]:
        part = mine[(mine["variable"] == variable) & (mine["year"] == year)]
        return dict(zip(part["region"].astype(str), part["q50"].astype(float), strict=True))

    def named(variable: str, year: int) -> str:
        return f"{year} · {F.var_label(variable, lang)} ({F.unit_label(variable, lang)})"

    out: list[tuple[str, object]] = []
    variables = set(map(str, pd.unique(mine["variable"])))
    tag = f" — {first.name}"
    if "Teachers|Gap" in variables:
        panels = {named("Teachers|Gap", y): values("Teachers|Gap", y) for y in map_years}
        fig = F.division_maps(panels, geo, "Teachers|Gap", lang, u["div_gap_map"] + tag, diverging=True)
        out.append((u["div_gap_map"], fig))
    util = "Places|Utilisation|Primary"
    if util in variables:
        y = map_years[-1]
        fig = F.division_maps({named(util, y): values(util, y)}, geo, util, lang, u["div_util_map"] + tag)
        out.append((u["div_util_map"], fig))
    scenarios = [r.name for r in runs]  # every scenario's place: its colour on the rest of the page
    for variable, key in zip(DIVISION_SERIES, ("div_enrolment", "div_gap"), strict=True):
        if variable in set(map(str, pd.unique(reg["variable"]))):
            fig = F.division_panels(reg, variable, lang, u[key], divisions, scenarios)
            out.append((u[key], fig))
    return out


def build_page(
    runs: list[ReportInput],
    lang: str = "zh",
    version: str = "",
    extra: list[tuple[str, object]] | None = None,
    tables_html: str = "",
) -> str:
    """The whole HTML page as text: the scenarios' table, then every chart."""
    u = UI[lang]
    esc = html.escape
    rows = []
    for r in runs:
        files = "<br>".join(f"<code>{esc(f)}</code> <code>{esc(h[:16])}</code>" for f, h in r.files)
        rows.append(
            f"<tr><td><b>{esc(r.name)}</b></td><td>{esc(r.title.get(lang, ''))}</td>"
            f"<td>{esc(r.description.get(lang, ''))}</td><td>{r.draws}</td><td>{files}</td></tr>"
        )
    meta = (
        f'<table class="meta"><tr><th>{u["scenarios"]}</th><th></th><th></th><th>{u["draws"]}</th>'
        f"<th>{u['hash']}</th></tr>{''.join(rows)}</table>"
    )
    return render(u["title"], meta, charts(runs, lang) + list(extra or []), lang, version, tables_html)


def explain_figures(
    decompositions, lang: str, part_labels: dict[str, str] | None = None
) -> list[tuple[str, object]]:
    """Waterfalls of ``sim.analysis.explain.for_report`` output (computed by the caller, not here)."""
    title = "变化分解" if lang == "zh" else "Why it changed"
    out = []
    for name, parts, start, _end in decompositions:
        variable, _, span = name.partition(": ")
        a, _, b = span.partition(" → ")
        out.append(
            (
                f"{title}: {name}",
                F.waterfall(
                    parts, lang, f"{title}: {name}", a, b, start, F.unit_label(variable, lang), part_labels
                ),
            )
        )
    return out


def cohort_html(df, lang: str) -> str:
    """The reconstructed-cohort table as HTML (numbers only; level names are fixed identifiers)."""
    head = "<h2>重构队列（UNESCO UIS）</h2>" if lang == "zh" else "<h2>Reconstructed cohort (UNESCO UIS)</h2>"
    return head + df.to_html(index=False, float_format=lambda v: f"{v:.4f}", classes="meta")


def render(
    title: str,
    meta_html: str,
    figs: list[tuple[str, object]],
    lang: str = "zh",
    version: str = "",
    tables_html: str = "",
) -> str:
    """A page of charts: ``meta_html`` and ``tables_html`` must already be escaped."""
    from plotly.offline import get_plotlyjs

    u = UI[lang]
    esc = html.escape
    blocks, scripts = [], []
    for i, (name, fig) in enumerate(figs):
        div = f"chart-{i}"
        blocks.append(f'<section><h2>{esc(name)}</h2><div id="{div}" class="chart"></div></section>')
        payload = fig.to_json().replace("</", "<\\/")
        scripts.append(f'draw("{div}", {payload});')
    meta = (
        f'{meta_html}<p class="small">{u["version"]}: {esc(version)} · {u["generated"]}: '
        f"{datetime.now().isoformat(timespec='seconds')} · {u['note']}</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 24px auto;
       max-width: 1200px; color: #222; }}
h1 {{ font-size: 26px; }} h2 {{ font-size: 20px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }}
table.meta {{ border-collapse: collapse; font-size: 14px; }}
table.meta td, table.meta th {{ border: 1px solid #ddd;
  padding: 4px 8px; vertical-align: top; text-align: left; }}
.small {{ color: #666; font-size: 13px; }} .chart {{ min-height: 300px; }}
#js-errors {{ display: none; }}
</style>
<script>
window.__errors = [];
window.addEventListener("error", function (e) {{ window.__errors.push(String(e.message)); }});
</script>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{esc(title)}</h1>
{meta}
{tables_html}
{"".join(blocks)}
<pre id="js-errors"></pre>
<script>
function draw(id, fig) {{
  try {{ Plotly.newPlot(id, fig.data, fig.layout, {{responsive: true, displaylogo: false}}); }}
  catch (e) {{ window.__errors.push(id + ": " + e.message); }}
}}
const __t0 = performance.now();
{chr(10).join(scripts)}
document.body.setAttribute("data-draw-ms", String(Math.round(performance.now() - __t0)));
document.getElementById("js-errors").textContent = JSON.stringify(window.__errors);
document.body.setAttribute("data-rendered",
  document.querySelectorAll(".chart .main-svg").length > 0 ? "yes" : "no");
</script>
</body></html>
"""
