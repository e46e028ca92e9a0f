"""One self-contained HTML page: plotly.js inside, no network, Chinese by default.

``build_page(runs, lang)`` takes one ``ReportInput`` per scenario (its tidy result table,
its target table and what identifies it) and returns the page as text. The page opens with the
answer (``headline_html``: each scenario's targets met or missed, by how much, how surely, from
when; a caveats box), then the charts, then the provenance (files, hashes, version; the trust and
cohort tables). Every scenario name, title and description is HTML-escaped; chart data goes in as
JSON with ``</`` escaped, so nothing a scenario says can become markup or script.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ..core.catalogue import unit
from ..core.levels import LABEL, LABEL_ZH, TEACHER_LEVELS
from ..core.levels import LEVELS as LEVEL_TABLE
from . import figures as F

UI = {
    "zh": {
        "title": "吉林市教育规划模拟报告",
        "answer": "结论：各情景能否达成规划目标",
        "enrolment": "各级教育在校生",
        "targets": "目标指标走势（✕ 为目标值，虚线为目标水平）",
        "population": "出生人口与学龄人口",
        "births_note": "出生人口：2020年为普查的0岁人口，2021年起按全省出生数的14.05%推算；两者口径不同，"
        "2020年到2021年的跳降有一部分来自口径的变化。",
        "teachers": "教师：需求（虚线）与在岗（实线），阴影为余缺",
        "gap": "教师余缺（按学段、城乡；+ 富余，− 短缺）",
        "tegang": "特岗教师",
        "subjects": "学科教师需求（按课时）",
        "money": "经费：支出与预算（阴影为差额）",
        "per_student": "生均经费",
        "pay": "教师工资与公务员工资",
        "sankey": "学生流向",
        "div_gap_map": "区县：教师余缺地图（中位数）",
        "div_util_map": "区县：小学学位使用率地图（中位数）",
        "div_enrolment": "区县：小学在校生",
        "div_gap": "区县：教师余缺（+ 富余，− 短缺）",
        "scenarios": "情景",
        "scenario_id": "情景编号",
        "scenario_title": "名称",
        "description": "说明",
        "hash": "情景文件及哈希",
        "version": "edusim 版本",
        "generated": "生成时间",
        "draws": "抽样次数",
        "extends": "继承自",
        "note": "悬停查看数值；拖动缩放；点击图例隐藏/显示。",
        "provenance": "附录：情景文件、版本与数据可信度",
        "indicator": "指标",
        "target": "目标",
        "group": {
            "indicative": "{y}年 · 预期性目标",
            "binding": "{y}年 · 约束性规则",
            "assumption": "{y}年 · 规划假设（规划者设定的值，不是规划目标）",
        },
        "kind_short": {
            "indicative": "{y}年预期性目标",
            "binding": "约束性规则",
            "assumption": "{y}年规划假设",
        },
        "met_of": "达成 {m}/{n}",
        "held_of": "遵守 {m}/{n}",
        "missed_list": "未达成：",
        "all_met": "全部达成。",
        "met": "达成",
        "missed": "未达成",
        "held": "遵守",
        "breached": "违反",
        "assumed": "由假设决定",
        "ahead": "超出",
        "above": "高于目标区间",
        "short": "差",
        "from": "{y}年起",
        "prob": "概率 {p}",
        "caveats": "注意",
        "estimates": "以下输入是估计值，不是观测值：",
        "backtest": "回测（{n}个观测，预测{leads}年）：模型平均绝对百分比误差 {mape}；"
        "相对“不变”法的技能分 {s1}，相对队列比法 {s2}（> 0 表示模型更好）。",
        "coverage": "回测中90%区间覆盖了 {c90} 的观测、50%区间覆盖了 {c50}（应约为90%和50%）。",
        "no_coverage": "区间的覆盖率未经回测检验：阴影区间只反映已设定的不确定输入，实际不确定性可能更大。",
        "one_draw": "本报告为单次运行（无抽样），未给出达成概率；加 --draws 可得概率与区间。",
        "same": "与{b}相同",
    },
    "en": {
        "title": "Jilin City education planning report",
        "answer": "The answer: does each scenario meet the plan's targets?",
        "enrolment": "Students by level",
        "targets": "Target indicators over time (✕ = target, dotted = its level)",
        "population": "Births and school-age population",
        "births_note": "Births: 2020 is the census count of age 0; from 2021 on, 14.05 % of the province's "
        "births. The two are counted differently: part of the fall from 2020 to 2021 is that change.",
        "teachers": "Teachers: needed (dashed) and in post (solid), the gap shaded",
        "gap": "Teacher gap by level and area (+ surplus, − shortage)",
        "tegang": "特岗 (Special Post) teachers",
        "subjects": "Subject teachers needed (curriculum hours)",
        "money": "Money: spending against the budget (the difference shaded)",
        "per_student": "Spending per student",
        "pay": "Teachers' pay and civil servants' pay",
        "sankey": "Student flows",
        "div_gap_map": "Divisions: teacher gap on the map (median)",
        "div_util_map": "Divisions: primary place utilisation on the map (median)",
        "div_enrolment": "Divisions: primary pupils",
        "div_gap": "Divisions: teacher gap (+ surplus, − shortage)",
        "scenarios": "Scenarios",
        "scenario_id": "scenario id",
        "scenario_title": "title",
        "description": "description",
        "hash": "scenario files and hashes",
        "version": "edusim version",
        "generated": "generated",
        "draws": "draws",
        "extends": "extends",
        "note": "Hover for values; drag to zoom; click the legend to hide or show.",
        "provenance": "Annex: scenario files, version and how far to trust the data",
        "indicator": "indicator",
        "target": "target",
        "group": {
            "indicative": "{y} · indicative targets",
            "binding": "{y} · binding rules",
            "assumption": "{y} · planner's assumptions (values set by the planner, not plan targets)",
        },
        "kind_short": {
            "indicative": "{y} targets",
            "binding": "binding rules",
            "assumption": "{y} assumptions",
        },
        "met_of": "{m} of {n} met",
        "held_of": "{m} of {n} held",
        "missed_list": "Missed: ",
        "all_met": "All met.",
        "met": "met",
        "missed": "missed",
        "held": "held",
        "breached": "breached",
        "assumed": "holds by assumption",
        "ahead": "ahead by",
        "above": "above the range by",
        "short": "short by",
        "from": "from {y}",
        "prob": "{p} likely",
        "caveats": "Caveats",
        "estimates": "These inputs are estimates, not observations: ",
        "backtest": "Back-test ({n} observations, {leads}-year leads): the model's mean absolute percentage "
        "error {mape}; skill {s1} against no change and {s2} against cohort ratios "
        "(> 0: the model did better).",
        "coverage": "In the back-test the 90 % band held {c90} of the observations and the 50 % band {c50} "
        "(they should hold about 90 % and 50 %).",
        "no_coverage": "The bands' coverage is not back-tested: they show only the uncertain inputs "
        "written in "
        "the scenario; the true uncertainty may be wider.",
        "one_draw": "One run without draws: no probabilities; run with --draws for probabilities and bands.",
        "same": "= {b}",
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
GROUP_ORDER = {"indicative": 0, "binding": 1, "assumption": 2}


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
    # the divisions' boundaries (a GeoJSON FeatureCollection, data/districts.geojson) for the maps
    shapes: dict | None = None


def titles(runs: list[ReportInput], lang: str) -> dict[str, str]:
    """Scenario name → the title the page shows for it (its name where two titles coincide)."""
    out: dict[str, str] = {}
    for r in runs:
        t = str(r.title.get(lang) or r.title.get("zh") or r.name)
        out[r.name] = t if t not in out.values() else f"{t} ({r.name})"
    return out


def colors(runs: list[ReportInput], lang: str) -> dict[str, str]:
    """Scenario title → its colour, the same in every figure and in the answer (baseline first, blue)."""
    return F.scenario_colors(titles(runs, lang).values())


def charts(runs: list[ReportInput], lang: str) -> list[tuple[str, object]]:
    """The report's figures, in page order: (section title, plotly Figure). Scenarios are shown by
    their titles, each in its colour (``colors``)."""
    u = UI[lang]
    L = F.TEXT[lang]
    names = titles(runs, lang)
    cmap = colors(runs, lang)
    df = pd.concat([r.results for r in runs], ignore_index=True)
    df["scenario"] = df["scenario"].astype(str).map(names).fillna(df["scenario"].astype(str))
    have = set(map(str, pd.unique(df["variable"])))
    targets = (
        pd.concat(
            [r.targets.assign(scenario=names[r.name]) for r in runs if len(r.targets)], ignore_index=True
        )
        if any(len(r.targets) for r in runs)
        else pd.DataFrame()
    )
    tg = targets if len(targets) else None
    out: list[tuple[str, object]] = []
    out.append((u["enrolment"], F.panels(df, ENROLMENT, lang, u["enrolment"], tg, cols=4, colors=cmap)))
    if len(targets):
        indicators = [
            v
            for v in dict.fromkeys(targets["indicator"])
            if not str(v).startswith("Rule|") and v not in ENROLMENT
        ]
        out.append((u["targets"], F.panels(df, indicators, lang, u["targets"], tg, cols=3, colors=cmap)))
    out.append((u["population"], F.panels(df, POPULATION, lang, u["population"], cols=3, colors=cmap)))
    if "Teachers|Demand" in have:
        pairs = [
            (_level_name(lv, lang), f"Teachers|Demand|{lv}", f"Teachers|Supply|{lv}") for lv in ["", *LEVELS]
        ]
        pairs = [(t, a.rstrip("|"), b.rstrip("|")) for t, a, b in pairs]
        out.append(
            (
                u["teachers"],
                F.versus(df, pairs, lang, u["teachers"], (L["demand"], L["supply"]), cmap, cols=3),
            )
        )
        gaps = [f"Teachers|Gap|{lv}|{a}" for a in ("Urban", "Rural") for lv in LEVELS]
        out.append(
            (u["gap"], F.panels(df, gaps, lang, u["gap"], cols=5, colors=cmap, zero=True, row_height=230))
        )
        tegang = ["Teachers|Tegang|Hires", "Teachers|Tegang|In contract", "Teachers|Tegang|Retained"]
        out.append((u["tegang"], F.panels(df, tegang, lang, u["tegang"], tg, cols=3, colors=cmap)))
        subjects = [f"Teachers|Subject demand|{s}" for s in ("PE", "Arts", "Labour", "Civics")]
        out.append((u["subjects"], F.panels(df, subjects, lang, u["subjects"], cols=4, colors=cmap)))
    out += division_charts(runs, lang)  # after the teachers: the divisions' section (none without)
    if "Spending|Total" in have and "Budget|Envelope" in have:
        money = [(F.var_label("Spending|Total", lang), "Budget|Envelope", "Spending|Total")]
        fig = F.versus(
            df,
            money,
            lang,
            u["money"],
            (L["envelope"], L["spending"]),
            cmap,
            cols=1,
            shade="money_gap",
            row_height=380,
        )
        out.append((u["money"], fig))
        out.append(
            (
                u["per_student"],
                F.panels(
                    df,
                    [f"Spending|Per student|{lv}" for lv in LEVELS],
                    lang,
                    u["per_student"],
                    cols=3,
                    colors=cmap,
                ),
            )
        )
        out.append(
            (u["pay"], F.lines(df, ["Pay|Teachers|Compulsory", "Pay|Civil servants"], lang, u["pay"], cmap))
        )
    first = runs[0]
    years = sorted(first.results["year"].unique())
    year = 2025 if 2025 in years else int(years[-1])
    fig = F.sankey(df, names[first.name], year, lang, u["sankey"])
    out.append(
        (
            f"{u['sankey']}（{names[first.name]}，{year}年）"
            if lang == "zh"
            else f"{u['sankey']} ({names[first.name]}, {year})",
            fig,
        )
    )
    return out


def _level_name(lv: str, lang: str) -> str:
    """A teacher level's name ("" = all levels)."""
    if not lv:
        return "全部学段" if lang == "zh" else "All levels"
    key = next((k for k, v in LABEL.items() if v == lv), None)
    return LABEL_ZH.get(key, lv) if lang == "zh" else lv


# the divisions' section: the teacher gap mapped in two years, primary places mapped in the last,
# and a panel per division for the key series
MAP_YEARS = (2025, 2035)
DIVISION_SERIES = ("Enrolment|Primary", "Teachers|Gap")


def division_charts(runs: list[ReportInput], lang: str) -> list[tuple[str, object]]:
    """The divisions' figures, or none when no scenario has divisions. The maps show the first
    scenario with divisions (medians); the panels every scenario with divisions, each in its colour."""
    u = UI[lang]
    with_divisions = [r for r in runs if r.regional is not None and len(r.regional)]
    if not with_divisions:
        return []
    first = with_divisions[0]
    names = titles(runs, lang)
    reg = pd.concat([r.regional for r in with_divisions], ignore_index=True)
    reg["scenario"] = reg["scenario"].astype(str).map(names).fillna(reg["scenario"].astype(str))
    geo = first.shapes or {"features": []}  # no boundaries given: the panels, not the maps
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
    tag = f" — {names[first.name]}"
    if "Teachers|Gap" in variables and geo["features"]:
        panels = {named("Teachers|Gap", y): values("Teachers|Gap", y) for y in map_years}
        fig = F.division_maps(panels, geo, "Teachers|Gap", lang, u["div_gap_map"] + tag, diverging=True)
        out.append((u["div_gap_map"], fig))
    util = "Places|Utilisation|Primary"
    if util in variables and geo["features"]:
        y = map_years[-1]
        fig = F.division_maps({named(util, y): values(util, y)}, geo, util, lang, u["div_util_map"] + tag)
        out.append((u["div_util_map"], fig))
    scenarios = [names[r.name] for r in runs]  # every scenario's place: its colour on the rest of the page
    for variable, key in zip(DIVISION_SERIES, ("div_enrolment", "div_gap"), strict=True):
        if variable in set(map(str, pd.unique(reg["variable"]))):
            fig = F.division_panels(reg, variable, lang, u[key], divisions, scenarios)
            out.append((u[key], fig))
    return out


def _periods(years) -> str:
    """[2023, 2024, 2025, 2028] → "2023–2025, 2028"."""
    ys = sorted(int(y) for y in years)
    out, i = [], 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        out.append(str(ys[i]) if i == j else f"{ys[i]}–{ys[j]}")
        i = j + 1
    return ", ".join(out)


def _status(t) -> str:
    return str(t.get("status", "met" if t.get("met") else "missed"))


def _margin_words(t, lang: str) -> str:
    """By how much a target is met or missed, in its unit: "差 2.3个百分点", "超出 269人"."""
    u = UI[lang]
    m = t.get("margin")
    if m is None or pd.isna(m) or m == 0:
        return ""
    unit_ = unit(t["indicator"])
    over = t["comparison"] == "within" and float(t["value"]) > float(t["target"])
    word = u["above"] if over else u["ahead"] if m > 0 else u["short"]
    size = F.quantity(abs(float(m)), unit_, lang, signed=unit_ == "fraction").lstrip("+")
    return f"{word} {size}"


def _cell(t, lang: str, draws: int) -> tuple[str, str]:
    """One target in one scenario: (css class, escaped HTML): mark, value, by how much, from when,
    how surely."""
    u = UI[lang]
    esc = html.escape
    status = _status(t)
    unit_ = unit(t["indicator"])
    rule = str(t["indicator"]).startswith("Rule|")
    mark = {"met": "✓", "missed": "✗", "by assumption": "≈"}.get(status, "?")
    bits = []
    if rule:
        if status == "missed":
            breach = list(t.get("breach_years") or [])
            bits.append(
                u["breached"] + (f"（{_periods(breach)}）" if lang == "zh" else f" ({_periods(breach)})")
                if breach
                else u["breached"]
            )
        else:
            bits.append(u["held"])
    else:
        bits.append(f"<b>{esc(F.quantity(t['value'], unit_, lang))}</b>")
        words = _margin_words(t, lang)
        if status != "by assumption" and words:
            bits.append(f'<span class="margin">{esc(words)}</span>')
    if status == "by assumption":
        bits.append(f'<span class="assumed">{u["assumed"]}</span>')
    fy = t.get("first_year_met")
    if status == "met" and fy is not None and not pd.isna(fy) and not rule:
        bits.append(f'<span class="from">{u["from"].format(y=int(fy))}</span>')
    p = t.get("probability")
    if draws > 1 and p is not None and not pd.isna(p) and status != "by assumption":
        bits.append(f'<span class="prob">{u["prob"].format(p=f"{float(p):.0%}")}</span>')
    why = t.get("holds_by") if status == "by assumption" else None
    title = esc(str(why)) if why is not None and not pd.isna(why) else ""
    body = f'<span class="mark">{mark}</span> ' + " · ".join(bits)
    return status.replace(" ", "-"), (f'<td class="{status.replace(" ", "-")}" title="{title}">{body}</td>')


def headline_html(runs: list[ReportInput], lang: str) -> str:
    """The first screen: a card per scenario (baseline first, by title, in its colour) saying how many
    targets it meets and which it misses by how much; then one table of every target × scenario,
    grouped by year and kind (indicative targets, binding rules, the planner's 2035 assumptions)."""
    u = UI[lang]
    esc = html.escape
    names = titles(runs, lang)
    cmap = colors(runs, lang)
    have = [r for r in runs if len(r.targets)]
    if not have:
        return ""
    rows = pd.concat([r.targets for r in have], ignore_index=True).drop_duplicates("id")

    def group_key(t) -> tuple[int, int]:
        kind = str(t.get("kind", "indicative"))
        return (
            F._year_end(t["year"]) if kind != "binding" else F._year_end(t["year"]),
            GROUP_ORDER.get(kind, 0),
        )

    rows = rows.assign(_g=[group_key(t) for _, t in rows.iterrows()])
    rows = rows.sort_values("_g", kind="stable")
    groups = list(dict.fromkeys(rows["_g"]))

    def group_title(g) -> str:
        part = rows[rows["_g"] == g].iloc[0]
        kind = str(part.get("kind", "indicative"))
        return u["group"].get(kind, "{y}").format(y=g[0], p=str(part["year"]).replace("-", "–"))

    # the cards
    cards = []
    for r in runs:
        t = r.targets
        title = names[r.name]
        c = cmap[title]
        if not len(t):
            cards.append(
                f'<div class="headline" data-scenario="{esc(r.name)}" style="border-top-color:{c}">'
                f'<h3><span class="swatch" style="background:{c}"></span>{esc(title)}</h3></div>'
            )
            continue
        t = t.assign(_g=[group_key(x) for _, x in t.iterrows()])
        counts = []
        for g in groups:
            part = t[t["_g"] == g]
            if not len(part):
                continue
            kind = str(part.iloc[0].get("kind", "indicative"))
            ok = int((part["status"] != "missed").sum()) if "status" in part else int(part["met"].sum())
            word = u["held_of"] if kind == "binding" else u["met_of"]
            cls = "ok" if ok == len(part) else "bad"
            label = u["kind_short"].get(kind, "{y}").format(y=g[0])
            counts.append(f'<span class="count {cls}">{esc(label)} {word.format(m=ok, n=len(part))}</span>')
        missed = t[t["status"] == "missed"] if "status" in t else t[~t["met"].astype(bool)]
        items = []
        for _, x in missed.iterrows():
            name = F.var_label(x["indicator"], lang)
            yr = str(x["year"]).replace("-", "–")
            if str(x["indicator"]).startswith("Rule|"):
                detail = _periods(x.get("breach_years") or []) or yr
            else:
                detail = f"{yr}{'年' if lang == 'zh' else ''} {_margin_words(x, lang)}"
            items.append(f"{esc(name)}（{esc(detail)}）" if lang == "zh" else f"{esc(name)} ({esc(detail)})")
        sep = "；" if lang == "zh" else "; "
        miss = (
            f'<p class="missed-list"><b>{u["missed_list"]}</b>{sep.join(items)}</p>'
            if items
            else f'<p class="missed-list">{u["all_met"]}</p>'
        )
        cards.append(
            f'<div class="headline" data-scenario="{esc(r.name)}" style="border-top-color:{c}">'
            f'<h3><span class="swatch" style="background:{c}"></span>{esc(title)}</h3>'
            f'<p class="counts">{"".join(counts)}</p>{miss}</div>'
        )
    # the table
    head = "".join(
        f'<th class="sc" style="border-bottom:4px solid {cmap[names[r.name]]}">{esc(names[r.name])}</th>'
        for r in runs
    )
    body = []
    by_run = {r.name: r.targets.set_index("id") if len(r.targets) else None for r in runs}
    for g in groups:
        kind = str(rows[rows["_g"] == g].iloc[0].get("kind", "indicative"))
        body.append(f'<tr class="group {kind}"><th colspan="{2 + len(runs)}">{esc(group_title(g))}</th></tr>')
        for _, t in rows[rows["_g"] == g].iterrows():
            label = F.var_label(t["indicator"], lang)
            rule = str(t["indicator"]).startswith("Rule|")
            target = "" if rule else F.target_phrase(t, lang)
            if kind != "binding" and "-" in str(t["year"]):
                target += f" ({str(t['year']).replace('-', '–')})"
            src = t.get("source")
            tip = esc(str(src)) if src is not None and not pd.isna(src) else ""
            cells = []
            for r in runs:
                tt = by_run[r.name]
                if tt is None or t["id"] not in tt.index:
                    cells.append("<td>—</td>")
                    continue
                cells.append(_cell(tt.loc[t["id"]], lang, r.draws)[1])
            body.append(
                f'<tr class="{kind}"><td class="ind" title="{tip}">{esc(label)}</td>'
                f'<td class="tg">{esc(target)}</td>{"".join(cells)}</tr>'
            )
    table = (
        f'<table class="answer"><thead><tr><th>{u["indicator"]}</th><th>{u["target"]}</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return f'<div class="headlines">{"".join(cards)}</div>{table}'


def caveats_html(lang: str, estimates: list[str] | None, backtest: pd.DataFrame | None, draws: int) -> str:
    """A short box: which inputs are estimates, and how far the back-test says to trust the forecast."""
    u = UI[lang]
    esc = html.escape
    parts = []
    if estimates:
        sep = "；" if lang == "zh" else "; "
        parts.append(f"<li>{u['estimates']}{esc(sep.join(estimates))}{'。' if lang == 'zh' else '.'}</li>")
    if backtest is not None and len(backtest):
        row = backtest.iloc[-1]

        def get(col):
            v = row.get(col)
            return None if v is None or pd.isna(v) else float(v)

        leads = [int(x) for x in backtest["lead"] if x is not None and not pd.isna(x)]
        span = f"{min(leads)}–{max(leads)}" if leads else "?"
        s1, s2 = get("skill vs no-change"), get("skill vs cohort-ratio")
        mape = get("MAPE")
        parts.append(
            "<li>"
            + esc(
                u["backtest"].format(
                    n=int(row["n"]),
                    leads=span,
                    mape="—" if mape is None else f"{mape:.1%}",
                    s1="—" if s1 is None else f"{s1:+.2f}",
                    s2="—" if s2 is None else f"{s2:+.2f}",
                )
            )
            + "</li>"
        )
        c90, c50 = get("inside 90 %"), get("inside 50 %")
        if c90 is not None:
            parts.append(
                "<li>"
                + esc(u["coverage"].format(c90=f"{c90:.0%}", c50="—" if c50 is None else f"{c50:.0%}"))
                + "</li>"
            )
        elif draws > 1:
            parts.append(f"<li>{esc(u['no_coverage'])}</li>")
    if draws <= 1:
        parts.append(f"<li>{esc(u['one_draw'])}</li>")
    if not parts:
        return ""
    return f'<div class="caveats"><b>{u["caveats"]}</b><ul>{"".join(parts)}</ul></div>'


def provenance_html(runs: list[ReportInput], lang: str) -> str:
    """The scenarios' table: id, title, description, draws, files with their hashes (for the annex)."""
    u = UI[lang]
    esc = html.escape
    rows = []
    for r in runs:
        files = "<br>".join(f"<code>{esc(f)}</code> <code>{esc(h[:16])}</code>" for f, h in r.files)
        rows.append(
            f"<tr><td><code>{esc(r.name)}</code></td><td>{esc(r.title.get(lang, ''))}</td>"
            f"<td>{esc(r.description.get(lang, ''))}</td><td>{r.draws}</td><td>{files}</td></tr>"
        )
    return (
        f'<table class="meta"><tr><th>{u["scenario_id"]}</th><th>{u["scenario_title"]}</th>'
        f"<th>{u['description']}</th><th>{u['draws']}</th>"
        f"<th>{u['hash']}</th></tr>{''.join(rows)}</table>"
    )


def build_page(
    runs: list[ReportInput],
    lang: str = "zh",
    version: str = "",
    extra: list[tuple[str, object]] | None = None,
    tables_html: str = "",
    whatif_html: str = "",
    estimates: list[str] | None = None,
    backtest: pd.DataFrame | None = None,
) -> str:
    """The whole HTML page as text: the answer (a card per scenario, the targets' table, caveats),
    ``whatif_html`` (escaped HTML), every chart, then the annex: the scenarios' files and hashes and
    ``tables_html`` (escaped HTML: trust, cohort). ``estimates``: the inputs that are estimates, in
    ``lang``; ``backtest``: the back-test's summary (``sim.analysis.backtest.summary``)."""
    u = UI[lang]
    draws = max((r.draws for r in runs), default=1)
    answer = (
        f'<section id="answer"><h2>{u["answer"]}</h2>{headline_html(runs, lang)}'
        f"{caveats_html(lang, estimates, backtest, draws)}</section>"
    )
    annex = f'<section id="provenance"><h2>{u["provenance"]}</h2>{provenance_html(runs, lang)}{tables_html}'
    return render(
        u["title"],
        answer + whatif_html,
        charts(runs, lang) + list(extra or []),
        lang,
        version,
        annex,
        tables_at_end=True,
        strip_titles=True,
        notes={u["population"]: u["births_note"]},
    )


def explain_figures(
    decompositions, lang: str, part_labels: dict[str, str] | None = None, scenario: str = ""
) -> list[tuple[str, object]]:
    """Waterfalls of ``sim.analysis.explain.for_report`` output (computed by the caller, not here),
    titled by the variable's label in ``lang``."""
    title = "变化分解" if lang == "zh" else "Why it changed"
    out = []
    for name, parts, start, _end in decompositions:
        variable, _, span = name.partition(": ")
        a, _, b = span.partition(" → ")
        shown = (
            f"{title}：{F.var_label(variable, lang)}，{a} → {b}"
            if lang == "zh"
            else (f"{title}: {F.var_label(variable, lang)}, {a} → {b}")
        )
        if scenario:  # the decompositions are of one scenario: say which
            shown += f"（{scenario}）" if lang == "zh" else f" ({scenario})"
        sc = F.scale_of(variable, lang, abs(start))  # money in 亿元 (bn yuan), not in yuan
        if sc.factor != 1.0 and F.unit(variable) == "yuan":
            parts = parts.assign(value=parts["value"] / sc.factor)
            start = start / sc.factor
        shown_unit = sc.unit if F.unit(variable) == "yuan" else F.unit_label(variable, lang)
        out.append((shown, F.waterfall(parts, lang, shown, a, b, start, shown_unit, part_labels)))
    return out


COHORT_COLUMNS = {
    "level": "学段",
    "grades": "年级数",
    "survival to last grade": "升至最高年级的保留率",
    "graduates per 1,000": "每千名入学者毕业人数",
    "dropouts per 1,000": "每千名入学者辍学人数",
    "pupil-years per 1,000": "每千名入学者学生年数",
    "years per graduate": "每名毕业生所用学年",
    "coefficient of efficiency": "效率系数",
}


def cohort_html(df, lang: str) -> str:
    """The reconstructed-cohort table as HTML, levels by name, numbers to a sensible precision."""
    head = "<h2>重构队列（UNESCO UIS）</h2>" if lang == "zh" else "<h2>Reconstructed cohort (UNESCO UIS)</h2>"
    df = df.copy()
    if "level" in df:
        df["level"] = [LABEL_ZH.get(x, x) if lang == "zh" else LABEL.get(x, x) for x in df["level"]]
    for c in df.columns:
        if c == "level" or not pd.api.types.is_float_dtype(df[c]):
            continue
        digits = (
            1
            if "per 1,000" in c
            else 3
            if c in ("survival to last grade", "coefficient of efficiency")
            else 2
        )
        df[c] = [f"{v:,.{digits}f}" for v in df[c]]
    if lang == "zh":
        df = df.rename(columns=COHORT_COLUMNS)
    return head + df.to_html(index=False, classes="meta")


def render(
    title: str,
    meta_html: str,
    figs: list[tuple[str, object]],
    lang: str = "zh",
    version: str = "",
    tables_html: str = "",
    tables_at_end: bool = False,
    strip_titles: bool = False,
    notes: dict[str, str] | None = None,
) -> str:
    """A page of charts: ``meta_html`` and ``tables_html`` must already be escaped. With
    ``tables_at_end`` the tables and the version line follow the charts (an annex); with
    ``strip_titles`` a figure's own title is left out (the section's heading says it); ``notes``:
    a line of text under a section's heading, by the heading (plain text: escaped here)."""
    from plotly.offline import get_plotlyjs

    u = UI[lang]
    esc = html.escape
    blocks, scripts = [], []
    for i, (name, fig) in enumerate(figs):
        div = f"chart-{i}"
        note = (notes or {}).get(name)
        note = f'<p class="note">{esc(note)}</p>' if note else ""
        blocks.append(f'<section><h2>{esc(name)}</h2>{note}<div id="{div}" class="chart"></div></section>')
        if strip_titles:
            # the heading says what the figure's title says; what it adds (the scenario) stays, small
            fig = go_copy(fig)
            text = fig.layout.title.text or ""
            rest = text[len(name) :].strip(" —:：") if text.startswith(name) else ""
            fig.layout.title = dict(text=rest, font=dict(size=13), x=0.01) if rest else None
            top = fig.layout.margin.t
            if not rest:
                fig.update_layout(margin=dict(t=max(40, (top or 60) - 30)))
        payload = fig.to_json().replace("</", "<\\/")
        scripts.append(f'draw("{div}", {payload});')
    stamp = (
        f'<p class="small">{u["version"]}: {esc(version)} · {u["generated"]}: '
        f"{datetime.now().isoformat(timespec='seconds')} · {u['note']}</p>"
    )
    if tables_at_end:
        top_html, end_html = meta_html, f"{tables_html}{stamp}</section>"
    else:
        top_html, end_html = f"{meta_html}{stamp}{tables_html}", ""
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 16px auto;
       max-width: 1280px; padding: 0 16px; color: #222; }}
h1 {{ font-size: 24px; margin: 4px 0 8px; }} h2 {{ font-size: 19px; border-bottom: 1px solid #ddd;
  padding-bottom: 4px; margin: 22px 0 8px; }}
#answer h2 {{ margin-top: 4px; }}
table.meta {{ border-collapse: collapse; font-size: 14px; }}
table.meta td, table.meta th {{ border: 1px solid #ddd;
  padding: 4px 8px; vertical-align: top; text-align: left; }}
.small {{ color: #666; font-size: 13px; }} .chart {{ min-height: 300px; }}
.headlines {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 10px; }}
.headline {{ border: 1px solid #ddd; border-top: 5px solid #999; border-radius: 4px; padding: 6px 10px;
  font-size: 13px; }}
.headline h3 {{ font-size: 15px; margin: 0 0 4px; }}
.headline p {{ margin: 3px 0; }}
.swatch {{ display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; }}
.count {{ display: inline-block; margin: 0 6px 2px 0; padding: 0 6px; border-radius: 3px; }}
.count.ok {{ background: #e3f1e6; }} .count.bad {{ background: #fbe3e1; }}
table.answer {{ border-collapse: collapse; font-size: 13px; margin-top: 10px; width: 100%; }}
table.answer th, table.answer td {{ border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left;
  vertical-align: top; }}
table.answer th.sc {{ min-width: 180px; }}
table.answer td.ind {{ min-width: 190px; }} table.answer td.tg {{ white-space: nowrap; }}
.margin, .from, .prob {{ white-space: nowrap; }}
table.answer tr.group th {{ background: #f4f4f4; font-weight: 600; padding-top: 4px; }}
table.answer tr.group.assumption th {{ color: #666; font-style: italic; }}
table.answer tr.assumption td {{ color: #555; }}
td.met .mark {{ color: #1a7f37; font-weight: bold; }} td.missed .mark {{ color: #c62828; font-weight: bold; }}
td.by-assumption .mark {{ color: #777; font-weight: bold; }}
td.missed .margin {{ color: #c62828; }} .assumed {{ color: #777; font-style: italic; }}
.from, .prob {{ color: #555; }}
.caveats {{ background: #fff8e1; border: 1px solid #f0d58c; border-radius: 4px; padding: 4px 12px;
  margin-top: 10px; font-size: 13px; }}
.caveats ul {{ margin: 2px 0; padding-left: 18px; }}
#js-errors {{ display: none; }}
</style>
<script>
window.__errors = [];
window.addEventListener("error", function (e) {{ window.__errors.push(String(e.message)); }});
</script>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{esc(title)}</h1>
{top_html}
{"".join(blocks)}
{end_html}
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


def go_copy(fig):
    """A copy of a figure (the caller's stays as it was)."""
    import plotly.graph_objects as go

    return go.Figure(fig)
