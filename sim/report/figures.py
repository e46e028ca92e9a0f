"""Plotly figure builders: pure functions of the tidy result table (and the target table).

Each takes ``df`` with columns ``scenario, draw, year, variable, value`` (one or more
scenarios, one or more draws), or a summary of draws with ``scenario, variable, year, q05, q25,
q50, q75, q95`` (what a streamed run gives: the page never holds every draw), and ``lang``
("zh" or "en"), and returns a ``plotly.graph_objects.Figure``; none reads files or runs the
model. With more than one draw, lines are medians and bands show the 50 % and 90 % intervals (fan charts).

>>> import pandas as pd
>>> df = pd.DataFrame({"scenario": "a", "draw": 0, "year": [2020, 2021],
...                    "variable": "Enrolment|Primary", "value": [10.0, 9.0]})
>>> fig = lines(df, ["Enrolment|Primary"], "zh", title="小学")
>>> [t.name for t in fig.data], fig.layout.yaxis.title.text
(['a'], '人')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.catalogue import label as var_label
from ..core.catalogue import unit
from ..core.formatting import fmt, fmt_margin
from ..core.levels import FLOW_LEVELS, LABEL

UNIT = {
    "zh": {
        "persons": "人",
        "fraction": "比例",
        "years": "年",
        "persons per year": "人/年",
        "yuan": "元",
        "yuan per year": "元/年",
        "yuan per month": "元/月",
        "ratio": "比",
        "1 holds, 0 breached": "1=达成, 0=未达成",
        "index": "指数",
        "share": "比例",
        "hours": "小时",
        "students per teacher": "生/师",
    },
    "en": {},
}
TEXT = {
    "zh": {
        "met": "达成",
        "missed": "未达成",
        "value": "数值",
        "target": "目标",
        "margin": "差距",
        "first": "首次达成",
        "prob": "达成概率",
        "median": "中位数",
        "band50": "50%区间",
        "band90": "90%区间",
        "year": "年份",
        "demand": "需求",
        "supply": "供给",
        "gap": "余缺",
        "leave": "离校（就业等）",
        "never": "未达成",
        "assumed": "由假设决定",
        "surplus": "富余",
        "shortage": "短缺",
        "target_band": "目标区间",
        "assumption": "规划假设（非规划目标）",
        "indicative": "预期性",
        "binding": "约束性",
        "by assumption": "由假设决定",
        "gap_shade": "余缺（阴影）",
        "envelope": "预算",
        "spending": "支出",
        "money_gap": "预算与支出之差（阴影）",
    },
    "en": {
        "met": "met",
        "missed": "missed",
        "value": "value",
        "target": "target",
        "margin": "margin",
        "first": "first met",
        "prob": "probability",
        "median": "median",
        "band50": "50 % band",
        "band90": "90 % band",
        "year": "year",
        "demand": "demand",
        "supply": "supply",
        "gap": "gap",
        "leave": "leave school (work etc.)",
        "never": "never",
        "assumed": "holds by assumption",
        "surplus": "surplus",
        "shortage": "shortage",
        "target_band": "target range",
        "assumption": "planner's assumption (not a plan target)",
        "indicative": "indicative",
        "binding": "binding",
        "by assumption": "holds by assumption",
        "gap_shade": "gap (shaded)",
        "envelope": "budget envelope",
        "spending": "spending",
        "money_gap": "budget − spending (shaded)",
    },
}
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]

# Chinese first: the page is read in Chinese in the bureau, on machines with any of these
FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif")


def unit_label(variable: str, lang: str) -> str:
    u = unit(variable)
    return UNIT.get(lang, {}).get(u, u)


def _is_rate(variable: str) -> bool:
    return unit(variable) == "fraction"


def scenario_colors(scenarios) -> dict[str, str]:
    """The page's one colour per scenario, in the scenarios' order (the first, the baseline, blue);
    every figure of the report draws a scenario in this colour.

    >>> scenario_colors(["a", "b"])
    {'a': '#1f77b4', 'b': '#d62728'}
    """
    return {str(s): PALETTE[i % len(PALETTE)] for i, s in enumerate(dict.fromkeys(map(str, scenarios)))}


def _width(j: int) -> float:
    """Line width of the j-th scenario: the first widest, so a later line drawn on top of it
    (the same values) leaves it showing on both sides."""
    return (6.0, 3.5, 1.8)[j] if j < 3 else 1.4


@dataclass(frozen=True)
class Scale:
    """How a variable is drawn: values divided by ``factor``, the axis titled ``unit``, the hover
    formatted by ``hover`` (a d3 format) and followed by ``suffix``."""

    factor: float
    unit: str
    hover: str
    suffix: str
    tick: str = ","


def scale_of(variable: str, lang: str, peak: float = 0.0) -> Scale:
    """The display scale: rates in %, money in 亿元 (bn yuan), persons in 万人 where the numbers are
    large (Chinese), years and ratios with two decimals.

    >>> scale_of("Spending|Total", "zh").unit, scale_of("Enrolment|Primary", "zh", 2e5).unit
    ('亿元', '万人')
    >>> scale_of("Mean years of schooling|Working age", "en").hover
    '.2f'
    """
    u = unit(variable)
    ul = unit_label(variable, lang)
    zh = lang == "zh"
    if u == "fraction":
        return Scale(1.0, ul, ".1%", "", ".0%")
    if u == "yuan":
        return Scale(1e8, "亿元", ".2f", "亿元", ",.0f") if zh else Scale(1e9, "bn yuan", ".2f", " bn yuan")
    if u in ("persons", "persons per year") and zh and abs(peak) >= 1e5:
        return Scale(1e4, "万人" if u == "persons" else "万人/年", ".2f", "万人")
    if u in ("years", "ratio", "students per teacher", "index", "share"):
        return Scale(1.0, ul, ".2f", ("" if zh else " ") + ul, ",.1f")
    if u == "1 holds, 0 breached":
        return Scale(1.0, ul, ".0f", "", ",")
    return Scale(1.0, ul, ",.0f", ("" if zh else " ") + ul, ",")


def quantity(v: float, u: str, lang: str, signed: bool = False) -> str:
    """A value as a sentence says it, in its unit: 2.33万人, 92.7%, 60.12亿元, 11.17年.

    >>> quantity(23268.6, "persons", "zh"), quantity(0.9274, "fraction", "en")
    ('2.33万人', '92.7%')
    >>> quantity(6.012e9, "yuan", "zh")
    '60.12亿元'
    >>> quantity(-0.0226, "fraction", "zh", signed=True), quantity(268.6, "persons", "en")
    ('−2.3个百分点', '269')
    """
    if v is None or pd.isna(v):
        return "—"
    zh = lang == "zh"
    sign = ("+" if v > 0 else "−" if v < 0 else "±") if signed else ("−" if v < 0 else "")
    a = abs(float(v))
    if u == "fraction":
        if signed:
            return f"{sign}{a * 100:.1f}" + ("个百分点" if zh else " pt")
        return f"{sign}{a * 100:.1f}%"
    if u in ("persons", "persons per year"):
        per = ("/年" if zh else " a year") if u == "persons per year" else ""
        if zh:
            return f"{sign}{a / 1e4:.2f}万人{per}" if a >= 1e4 else f"{sign}{a:,.0f}人{per}"
        return f"{sign}{a:,.0f}{per}"  # the indicator names whom it counts
    if u in ("yuan", "yuan per year", "yuan per month"):
        per = {"yuan": "", "yuan per year": "/年", "yuan per month": "/月"}[u]
        if zh:
            if a >= 1e8:
                return f"{sign}{a / 1e8:.2f}亿元{per}"
            return f"{sign}{a / 1e4:.2f}万元{per}" if a >= 1e4 else f"{sign}{a:,.0f}元{per}"
        per = {"": "", "/年": " a year", "/月": " a month"}[per]
        if a >= 1e9:
            return f"{sign}{a / 1e9:.2f} bn yuan{per}"
        return f"{sign}{a:,.0f} yuan{per}"
    if u == "years":
        return f"{sign}{a:.2f}" + ("年" if zh else " years")
    text = fmt(a, u)
    ul = UNIT.get(lang, {}).get(u, u)
    return f"{sign}{text}" + ("" if u in ("ratio", "index", "share") else ("" if zh else " ") + ul)


COMPARE = {
    "zh": {">=": "≥", "<=": "≤", "within": "约"},
    "en": {">=": "≥", "<=": "≤", "within": "about"},
}


def target_phrase(t, lang: str) -> str:
    """A target as words: "≥ 95.0%", "约 150人/年 (±10%)"."""
    u = unit(t["indicator"])
    tol = t.get("tolerance", 0.0) if hasattr(t, "get") else 0.0
    tol = 0.0 if tol is None or pd.isna(tol) else float(tol)
    text = f"{COMPARE[lang].get(t['comparison'], t['comparison'])} {quantity(t['target'], u, lang)}"
    return text + (f" (±{tol:.0%})" if t["comparison"] == "within" and tol else "")


def summarise(df: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Median and 5/25/75/95 % quantiles over draws, per scenario, variable and year; a table
    that is already a summary (``q05`` … ``q95`` columns, as a streamed run gives) passes through."""
    sub = df[df["variable"].isin(variables)]
    if "q50" in sub.columns:
        return sub[["scenario", "variable", "year", "q05", "q25", "q50", "q75", "q95"]].reset_index(drop=True)
    q = (
        sub.groupby(["scenario", "variable", "year"], observed=True)["value"]
        .quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        .unstack()
    )
    q.columns = ["q05", "q25", "q50", "q75", "q95"]
    return q.reset_index()


def _add_series(
    fig,
    s: pd.DataFrame,
    name: str,
    color: str,
    dash: str,
    lang: str,
    row=None,
    col=None,
    showlegend=True,
    group=None,
    rate=False,
    scale: Scale | None = None,
    width: float = 2.0,
):
    kw = {} if row is None else {"row": row, "col": col}
    sc = scale or (Scale(1.0, "", ".1%", "", ".0%") if rate else Scale(1.0, "", ",.0f", ""))
    f = sc.factor
    many = (s["q95"] - s["q05"]).abs().max() > 1e-12
    if many:
        for lo, hi, alpha, key in (("q05", "q95", 0.15, "band90"), ("q25", "q75", 0.3, "band50")):
            fig.add_trace(
                go.Scatter(
                    x=s["year"],
                    y=s[hi] / f,
                    mode="lines",
                    line=dict(width=0),
                    showlegend=False,
                    legendgroup=group or name,
                    hoverinfo="skip",
                ),
                **kw,
            )
            fig.add_trace(
                go.Scatter(
                    x=s["year"],
                    y=s[lo] / f,
                    customdata=s[hi] / f,
                    mode="lines",
                    line=dict(width=0),
                    fill="tonexty",
                    fillcolor=_rgba(color, alpha),
                    name=f"{name} {TEXT[lang][key]}",
                    legendgroup=group or name,
                    showlegend=False,
                    hovertemplate=f"{TEXT[lang][key]}: %{{y:{sc.hover}}} – "
                    f"%{{customdata:{sc.hover}}}{sc.suffix}"
                    f"<extra>{name}</extra>",
                ),
                **kw,
            )
    fig.add_trace(
        go.Scatter(
            x=s["year"],
            y=s["q50"] / f,
            mode="lines+markers",
            name=name,
            legendgroup=group or name,
            line=dict(color=color, dash=dash, width=width),
            marker=dict(size=3),
            showlegend=showlegend,
            hovertemplate=f"%{{y:{sc.hover}}}{sc.suffix}<extra>{name}</extra>",
        ),
        **kw,
    )


def _band_legend(fig, lang: str) -> None:
    """Legend entries for the fan bands (grey, whatever the scenario's colour), when a figure has any."""
    if not any(t.fill == "tonexty" and t.showlegend is False and t.customdata is not None for t in fig.data):
        return
    for alpha, key in ((0.3, "band50"), (0.15, "band90")):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                fill="toself",
                fillcolor=_rgba("#555555", alpha),
                line=dict(width=0),
                name=TEXT[lang][key],
                legendgroup=key,
                showlegend=True,
                hoverinfo="skip",
            )
        )


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _panels_layout(fig, title: str, height: int):
    """The layout of a grid of panels: the legend above it, panel titles a size smaller."""
    fig.update_layout(
        title=title,
        height=height,
        template="plotly_white",
        hovermode="x unified",
        legend=dict(orientation="h", yref="container", y=0.995, yanchor="top", x=0, font=dict(size=12)),
        margin=dict(l=60, r=20, t=90, b=30),
        font=FONT,
    )
    fig.update_xaxes(dtick=5)
    fig.update_annotations(font_size=13)
    return fig


def _layout(fig, title: str, lang: str, ytitle: str = "", rate=False, height=420, tick=None):
    fig.update_layout(
        title=title,
        height=height,
        template="plotly_white",
        hovermode="x unified",
        # the legend above the plot: it never runs into the x axis
        legend=dict(orientation="h", yref="container", y=0.995, yanchor="top", x=0, font=dict(size=12)),
        margin=dict(l=60, r=20, t=90, b=40),
        font=FONT,
    )
    fig.update_xaxes(dtick=5)
    fig.update_yaxes(title_text=ytitle, tickformat=tick or (".0%" if rate else ","))
    return fig


def _year_end(year) -> int:
    return int(str(year).split("-")[-1])


def _year_start(year) -> int:
    return int(str(year).split("-")[0])


def add_targets(fig, targets: pd.DataFrame | None, variable: str, lang: str, row=None, col=None, factor=1.0):
    """The targets on ``variable`` drawn on a chart: a ✕ at the target year and a dotted line at the
    target's level leading up to it (a shaded band for a "within" target over its years); the
    planner's 2035 assumptions grey and hollow, the plan's targets black."""
    if targets is None or not len(targets) or "indicator" not in targets:
        return
    kw = {} if row is None else {"row": row, "col": col}
    tv = targets[targets["indicator"] == variable].drop_duplicates("id")
    L = TEXT[lang]
    u = unit(variable)
    for _, t in tv.iterrows():
        y1, y0 = _year_end(t["year"]), _year_start(t["year"])
        kind = str(t.get("kind", "indicative"))
        assumed = kind == "assumption"
        color = "#888888" if assumed else "#111111"
        what = (
            f"{L['target']} {y1 if y0 == y1 else t['year']}: {target_phrase(t, lang)} · {L.get(kind, kind)}"
        )
        v = float(t["target"]) / factor
        tol = float(t.get("tolerance", 0.0) or 0.0)
        if t["comparison"] == "within" and tol:
            lo, hi = v * (1 - tol), v * (1 + tol)
            fig.add_trace(
                go.Scatter(
                    x=[y0 - 0.4, y1 + 0.4, y1 + 0.4, y0 - 0.4, y0 - 0.4],
                    y=[lo, lo, hi, hi, lo],
                    mode="lines",
                    fill="toself",
                    fillcolor="rgba(0,0,0,0.10)",
                    line=dict(width=1, color=color, dash="dot"),
                    name=L["target_band"],
                    legendgroup="target",
                    showlegend=False,
                    hoverinfo="skip",
                ),
                **kw,
            )
        else:
            start = y0 - 5 if y0 == y1 else y0
            fig.add_trace(
                go.Scatter(
                    x=[start, y1],
                    y=[v, v],
                    mode="lines",
                    line=dict(width=1.5, color=color, dash="dot"),
                    name=L["target"],
                    legendgroup="target",
                    showlegend=False,
                    hoverinfo="skip",
                ),
                **kw,
            )
        fig.add_trace(
            go.Scatter(
                x=[y1],
                y=[v],
                mode="markers",
                marker=dict(
                    symbol="x-thin-open" if assumed else "x",
                    size=12,
                    color=color,
                    line=dict(width=2.5, color=color),
                ),
                name=L["assumption"] if assumed else L["target"],
                legendgroup="assumption" if assumed else "target",
                showlegend=False,
                hovertemplate=f"{what}<extra></extra>",
                meta=[u],
            ),
            **kw,
        )


def _target_legend(fig, lang: str) -> None:
    """One legend entry per kind of target mark the figure holds."""
    names = {t.name for t in fig.data if t.mode == "markers" and t.legendgroup in ("target", "assumption")}
    L = TEXT[lang]
    for key, symbol, color in (("target", "x", "#111111"), ("assumption", "x-thin-open", "#888888")):
        if L[key] in names:
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="lines+markers",
                    marker=dict(symbol=symbol, size=10, color=color, line=dict(width=2, color=color)),
                    line=dict(color=color, dash="dot", width=1.5),
                    name=L[key],
                    legendgroup=key,
                    showlegend=True,
                )
            )


def _colors_for(df: pd.DataFrame, colors: dict[str, str] | None) -> dict[str, str]:
    return colors or scenario_colors(pd.unique(df["scenario"]))


def lines(
    df: pd.DataFrame,
    variables: list[str],
    lang: str,
    title: str,
    colors: dict[str, str] | None = None,
    targets: pd.DataFrame | None = None,
) -> go.Figure:
    """One line (or fan) per scenario × variable on one axis: colour by scenario, dash by variable."""
    have = set(map(str, pd.unique(df["variable"])))
    variables = [v for v in variables if v in have]
    s = summarise(df, variables)
    fig = go.Figure()
    colors = _colors_for(df, colors)
    scenarios = [str(x) for x in pd.unique(df["scenario"])]
    peak = float(s["q50"].abs().max()) if len(s) else 0.0
    sc = scale_of(variables[0], lang, peak) if variables else None
    for i, v in enumerate(variables):
        for j, name in enumerate(scenarios):
            part = s[(s["variable"] == v) & (s["scenario"] == name)]
            label = f"{name} · {var_label(v, lang)}" if len(variables) > 1 or len(scenarios) > 1 else name
            _add_series(
                fig,
                part,
                label,
                colors.get(name, PALETTE[j % len(PALETTE)]),
                DASHES[i % len(DASHES)],
                lang,
                rate=_is_rate(v),
                scale=sc,
                width=_width(j),
            )
        add_targets(fig, targets, v, lang, factor=sc.factor)
    _band_legend(fig, lang)
    _target_legend(fig, lang)
    rate = bool(variables) and all(_is_rate(v) for v in variables)
    return _layout(fig, title, lang, sc.unit if sc else "", rate=rate, tick=sc.tick if sc else None)


def _fit_rate_axis(fig, r, c, values: list[float], span: float = 0.04) -> None:
    """A rate's axis at least ``span`` (4 points) tall: a 0.1-point drift should not look like a collapse."""
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return
    lo, hi = min(vals), max(vals)
    if hi - lo < span:
        mid = (hi + lo) / 2
        lo, hi = mid - span / 2, mid + span / 2
    pad = (hi - lo) * 0.08
    fig.update_yaxes(range=[lo - pad, hi + pad], row=r, col=c)


def panels(
    df: pd.DataFrame,
    variables: list[str],
    lang: str,
    title: str,
    targets: pd.DataFrame | None = None,
    cols: int = 2,
    colors: dict[str, str] | None = None,
    zero: bool = False,
    row_height: int = 260,
) -> go.Figure:
    """Small multiples, one panel per variable, a line per scenario in its colour; targets drawn as a
    ✕ at their year with a dotted line at their level (``add_targets``); ``zero``: a line at 0."""
    have = set(map(str, pd.unique(df["variable"])))
    variables = [v for v in variables if v in have]
    rows = max(1, -(-len(variables) // cols))
    s = summarise(df, variables)
    peaks = {v: float(s.loc[s["variable"] == v, "q50"].abs().max() or 0.0) for v in variables}
    # one scale for the persons of a figure: 万人 when most of its panels count tens of thousands
    persons = [peaks[v] for v in variables if unit(v) == "persons"]
    big = 1e5 if persons and float(np.median(persons)) >= 2e4 else 0.0
    scales = {v: scale_of(v, lang, big if unit(v) == "persons" else peaks[v]) for v in variables}
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"{var_label(v, lang)} ({scales[v].unit})" for v in variables],
        vertical_spacing=min(0.12, 0.3 / rows + 0.02),
        horizontal_spacing=0.06 if cols > 2 else 0.08,
    )
    colors = _colors_for(df, colors)
    scenarios = [str(x) for x in pd.unique(df["scenario"])]
    for i, v in enumerate(variables):
        r, c = i // cols + 1, i % cols + 1
        sc = scales[v]
        for j, name in enumerate(scenarios):
            part = s[(s["variable"] == v) & (s["scenario"] == name)]
            _add_series(
                fig,
                part,
                name,
                colors.get(name, PALETTE[j % len(PALETTE)]),
                "solid",
                lang,
                row=r,
                col=c,
                showlegend=(i == 0),
                group=name,
                rate=_is_rate(v),
                scale=sc,
                width=_width(j),
            )
        add_targets(fig, targets, v, lang, row=r, col=c, factor=sc.factor)
        if zero:
            fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"), row=r, col=c)
        fig.update_yaxes(tickformat=sc.tick, row=r, col=c)
        if _is_rate(v):
            part = s[s["variable"] == v]
            tv = (
                []
                if targets is None or not len(targets)
                else list(targets.loc[targets["indicator"] == v, "target"])
            )
            _fit_rate_axis(fig, r, c, list(part["q05"]) + list(part["q95"]) + [float(x) for x in tv])
    _band_legend(fig, lang)
    _target_legend(fig, lang)
    return _panels_layout(fig, title, row_height * rows + 90)


def versus(
    df: pd.DataFrame,
    pairs: list[tuple[str, str, str]],
    lang: str,
    title: str,
    names: tuple[str, str],
    colors: dict[str, str] | None = None,
    cols: int = 3,
    shade: str = "gap_shade",
    row_height: int = 280,
) -> go.Figure:
    """Two quantities on one axis per panel, e.g. teachers needed (dashed) and in post (solid), the
    gap between them shaded in the scenario's colour; ``pairs``: (panel title, first, second);
    ``names``: the legend's words for the first and the second."""
    have = set(map(str, pd.unique(df["variable"])))
    pairs = [p for p in pairs if p[1] in have and p[2] in have]
    rows = max(1, -(-len(pairs) // cols))
    s = summarise(df, [v for _, a, b in pairs for v in (a, b)])
    peak = float(s["q50"].abs().max()) if len(s) else 0.0
    sc = scale_of(pairs[0][1], lang, peak) if pairs else Scale(1.0, "", ",.0f", "")
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"{t} ({sc.unit})" for t, _, _ in pairs],
        vertical_spacing=min(0.14, 0.3 / rows + 0.03),
        horizontal_spacing=0.06,
    )
    colors = _colors_for(df, colors)
    scenarios = [str(x) for x in pd.unique(df["scenario"])]
    for i, (_, a, b) in enumerate(pairs):
        r, c = i // cols + 1, i % cols + 1
        for j, name in enumerate(scenarios):
            color = colors.get(name, PALETTE[j % len(PALETTE)])
            pa = s[(s["variable"] == a) & (s["scenario"] == name)].sort_values("year")
            pb = s[(s["variable"] == b) & (s["scenario"] == name)].sort_values("year")
            # the gap: an invisible copy of the first, then the second filled down to it
            fig.add_trace(
                go.Scatter(
                    x=pa["year"],
                    y=pa["q50"] / sc.factor,
                    mode="lines",
                    line=dict(width=0),
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=name,
                ),
                row=r,
                col=c,
            )
            fig.add_trace(
                go.Scatter(
                    x=pb["year"],
                    y=pb["q50"] / sc.factor,
                    mode="lines",
                    line=dict(width=0),
                    fill="tonexty",
                    fillcolor=_rgba(color, 0.13),
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=name,
                    name=TEXT[lang]["gap"],
                ),
                row=r,
                col=c,
            )
            for k, (part, dash, word) in enumerate(((pa, "dash", names[0]), (pb, "solid", names[1]))):
                _add_series(
                    fig,
                    part,
                    f"{name} · {word}",
                    color,
                    dash,
                    lang,
                    row=r,
                    col=c,
                    showlegend=(i == 0 and k == 1),
                    group=name,
                    scale=sc,
                    width=_width(j),
                )
                if i == 0 and k == 1:
                    fig.data[-1].name = name  # the legend: the scenario; the hover: scenario · word
                    fig.data[-1].hovertemplate = fig.data[-1].hovertemplate.replace(
                        f"<extra>{name}</extra>", f"<extra>{name} · {word}</extra>"
                    )
    for k, (dash, word) in enumerate((("dash", names[0]), ("solid", names[1]))):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line=dict(color="#444", dash=dash, width=2),
                name=word,
                legendgroup=f"style{k}",
                showlegend=True,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            fill="toself",
            fillcolor=_rgba("#444444", 0.15),
            line=dict(width=0),
            name=TEXT[lang][shade],
            legendgroup="shade",
            showlegend=True,
        )
    )
    _band_legend(fig, lang)
    fig.update_yaxes(tickformat=sc.tick)
    return _panels_layout(fig, title, row_height * rows + 90)


def scorecard(targets: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Scenarios × targets, green where met and red where missed; hover gives the margin.

    ``targets``: the output of ``sim.targets.evaluate`` with a ``scenario`` column added.
    With draws, the colour is the probability of meeting the target.
    """
    t = targets.copy()
    tol = t["tolerance"] if "tolerance" in t else [0.0] * len(t)
    t["col"] = [
        f"{var_label(i, lang)}<br>{y} {c} {_fmt(v, i)}" + (f" ±{e:.0%}" if e else "")
        for i, y, c, v, e in zip(t["indicator"], t["year"], t["comparison"], t["target"], tol, strict=True)
    ]
    cols = list(dict.fromkeys(t["col"]))
    rows = list(dict.fromkeys(t["scenario"]))
    z = np.full((len(rows), len(cols)), np.nan)
    text = np.full((len(rows), len(cols)), "", dtype=object)
    hover = np.full((len(rows), len(cols)), "", dtype=object)
    L = TEXT[lang]
    for _, r in t.iterrows():
        i, j = rows.index(r["scenario"]), cols.index(r["col"])
        z[i, j] = r["probability"]
        status = r.get("status", "met" if r["met"] else "missed")
        mark = {"met": "✓", "by assumption": "≈", "missed": "✗"}[status]
        text[i, j] = f"{mark} {_fmt_margin(r['margin'], r['indicator'])}"
        if status == "by assumption":  # a probability of 1 it is not: grey, and say why
            z[i, j] = np.nan
        first = (
            r["first_year_met"]
            if r["first_year_met"] is not None and not pd.isna(r["first_year_met"])
            else L["never"]
        )
        hover[i, j] = (
            f"{r['id']}<br>{L['value']}: {_fmt(r['value'], r['indicator'])}<br>{L['target']}: "
            f"{r['comparison']} {_fmt(r['target'], r['indicator'])}<br>{L['margin']}: "
            f"{_fmt_margin(r['margin'], r['indicator'])} ({r['margin_share']:+.1%})<br>"
            f"{L['first']}: {first}<br>{L['prob']}: {r['probability']:.0%}<br>{r['source']}"
            + (f"<br>{L['assumed']}: {r['holds_by']}" if status == "by assumption" else "")
        )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=rows,
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra>%{y}</extra>",
            zmin=0,
            zmax=1,
            colorscale=[[0, "#d73027"], [0.5, "#fee08b"], [1, "#1a9850"]],
            colorbar=dict(title=L["prob"], tickformat=".0%"),
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        title=title,
        height=max(360, 200 + 60 * len(rows)),
        template="plotly_white",
        margin=dict(l=120, r=20, t=60, b=160),
        font=FONT,
    )
    fig.update_xaxes(tickangle=-30)
    return fig


def _fmt(v: float, variable: str) -> str:
    return fmt(v, unit(variable))


def _fmt_margin(v: float, variable: str) -> str:
    return fmt_margin(v, unit(variable))


SANKEY_LEVELS = [LABEL[lv.name] for lv in FLOW_LEVELS]


def sankey(df: pd.DataFrame, scenario: str, year: int, lang: str, title: str) -> go.Figure:
    """One year's flows between levels for one scenario (median over draws); the rest of each
    level's graduates leave school."""
    sub = df[(df["scenario"] == scenario) & (df["year"] == year)]
    if "q50" in sub.columns:
        val = sub.set_index("variable")["q50"]
    else:
        val = sub.groupby("variable", observed=True)["value"].median()
    names = [var_label(f"Enrolment|{lv}", lang) for lv in SANKEY_LEVELS] + [TEXT[lang]["leave"]]
    src, dst, amount = [], [], []
    for i, a in enumerate(SANKEY_LEVELS):
        out = 0.0
        for j, b in enumerate(SANKEY_LEVELS):
            v = val.get(f"Flow|{a}|{b}")
            if v is not None and v > 0:
                src.append(i)
                dst.append(j)
                amount.append(float(v))
                out += float(v)
        grads = val.get(f"Graduates|{a}")
        if grads is not None and grads - out > 0.5:
            src.append(i)
            dst.append(len(SANKEY_LEVELS))
            amount.append(float(grads - out))
    fig = go.Figure(
        go.Sankey(
            node=dict(label=names, pad=18, color=PALETTE[: len(names)]),
            link=dict(
                source=src,
                target=dst,
                value=amount,
                hovertemplate="%{source.label} → %{target.label}: %{value:,.0f}<extra></extra>",
            ),
        )
    )
    fig.update_layout(
        title=f"{title} ({scenario}, {year})",
        height=420,
        font=FONT,
    )
    return fig


def tornado(indices: pd.DataFrame, lang: str, title: str) -> go.Figure:
    """Sensitivity indices as horizontal bars, largest on top (Sobol ST and S1, or Morris mu*)."""
    if "ST" in indices:
        df = indices.sort_values("ST")
        fig = go.Figure(
            [
                go.Bar(
                    y=df["input"],
                    x=df["ST"],
                    orientation="h",
                    name="ST (total)",
                    error_x=dict(array=df["ST_conf"]),
                ),
                go.Bar(
                    y=df["input"],
                    x=df["S1"],
                    orientation="h",
                    name="S1 (first order)",
                    error_x=dict(array=df["S1_conf"]),
                ),
            ]
        )
        xt = "Sobol index" if lang == "en" else "Sobol 指数"
    else:
        df = indices.sort_values("mu_star")
        fig = go.Figure(
            [
                go.Bar(
                    y=df["input"],
                    x=df["mu_star"],
                    orientation="h",
                    name="μ*",
                    error_x=dict(array=df["mu_star_conf"]),
                )
            ]
        )
        xt = "Morris μ* (output units)" if lang == "en" else "Morris μ*（输出单位）"
    fig.update_layout(
        title=title,
        barmode="group",
        template="plotly_white",
        height=160 + 60 * len(df),
        margin=dict(l=260, r=20, t=60, b=50),
        font=FONT,
    )
    fig.update_xaxes(title_text=xt)
    return fig


def heatmap(sweep: pd.DataFrame, x: str, y: str, target: str, lang: str, title: str) -> go.Figure:
    """Probability of meeting ``target`` over two levers."""
    sub = sweep[sweep["target"] == target]
    grid = sub.pivot_table(index=y, columns=x, values="probability")
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=grid.columns,
            y=grid.index,
            zmin=0,
            zmax=1,
            colorscale=[[0, "#d73027"], [0.5, "#fee08b"], [1, "#1a9850"]],
            colorbar=dict(title=TEXT[lang]["prob"], tickformat=".0%"),
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{TEXT[lang]['prob']}: %{{z:.0%}}"
            f"<extra>{target}</extra>",
        )
    )
    fig.update_layout(
        title=f"{title}: {target}",
        template="plotly_white",
        height=480,
        font=FONT,
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def probability_lines(sweep: pd.DataFrame, x: str, lang: str, title: str) -> go.Figure:
    """Probability of meeting each target along one lever."""
    fig = go.Figure()
    for i, (tid, part) in enumerate(sweep.groupby("target", sort=False)):
        part = part.sort_values(x)
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part["probability"],
                mode="lines+markers",
                name=tid,
                line=dict(color=PALETTE[i % len(PALETTE)]),
            )
        )
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=460,
        hovermode="x unified",
        font=FONT,
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=TEXT[lang]["prob"], tickformat=".0%", range=[-0.02, 1.02])
    return fig


# the back-test's forecasters: column of the APE in the comparison table → marker, x offset, labels
BACKTEST_METHODS = {
    "ape": ("circle", -0.2, "model", "模型"),
    "ape no-change": ("square", 0.0, "no change", "不变"),
    "ape cohort-ratio": ("diamond", 0.2, "cohort ratio", "队列比"),
}


def backtest_chart(table: pd.DataFrame, lang: str) -> go.Figure:
    """Absolute percentage error of each indicator by lead time, the model's (circles) beside the
    naive methods' (squares: no change; diamonds: cohort ratio); one colour per indicator."""
    fig = go.Figure()
    methods = {c: m for c, m in BACKTEST_METHODS.items() if c in table.columns}
    for i, (v, part) in enumerate(table.groupby("variable", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        for column, (symbol, dx, en, zh) in methods.items():
            shown = part[part[column].notna()]
            if shown.empty:
                continue
            name = en if lang == "en" else zh
            forecast = shown["model"] if column == "ape" else shown[column.removeprefix("ape ")]
            fig.add_trace(
                go.Scatter(
                    x=shown["lead"] + dx,
                    y=shown[column],
                    mode="markers",
                    name=var_label(v, lang),
                    legendgroup=v,
                    showlegend=column == "ape",
                    marker=dict(
                        size=11 if column == "ape" else 9,
                        color=color,
                        symbol=symbol,
                        line=dict(width=1, color="#333"),
                    ),
                    customdata=np.stack([shown["base"], shown["observed"], forecast, shown["lead"]], axis=-1),
                    hovertemplate=f"{name}: base %{{customdata[0]}}, lead %{{customdata[3]}}: "
                    "APE %{y:.1%}<br>observed %{customdata[1]:.4g}, forecast %{customdata[2]:.4g}"
                    "<extra></extra>",
                )
            )
    for column, (symbol, _, en, zh) in methods.items():  # a legend entry per marker shape
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=en if lang == "en" else zh,
                legendgroup=f"method {column}",
                marker=dict(size=10, color="#bbb", symbol=symbol, line=dict(width=1, color="#333")),
            )
        )
    fig.update_layout(
        title="|forecast − observed| / observed: model ● · no change ■ · cohort ratio ◆"
        if lang == "en"
        else "|预测 − 观测| / 观测：模型 ● · 不变 ■ · 队列比 ◆",
        template="plotly_white",
        height=480,
        font=FONT,
    )
    fig.update_xaxes(title_text="lead time (years)" if lang == "en" else "预测年限（年）", dtick=1)
    fig.update_yaxes(title_text="APE", tickformat=".0%")
    return fig


def waterfall(
    parts: pd.DataFrame,
    lang: str,
    title: str,
    start_label: str,
    end_label: str,
    start: float,
    unit: str = "",
    part_labels: dict[str, str] | None = None,
) -> go.Figure:
    """Start value, the additive parts of the change, end value; parts named by ``part_labels``."""
    names = [(part_labels or {}).get(p, p) for p in parts["part"]]
    fig = go.Figure(
        go.Waterfall(
            x=[start_label] + names + [end_label],
            measure=["absolute"] + ["relative"] * len(parts) + ["total"],
            y=[start] + list(parts["value"]) + [0],
            connector=dict(line=dict(color="#999")),
            # rises and falls in neutral colours: whether a rise is good depends on the variable
            # (a growing teacher surplus is not), so no green for "up"
            decreasing=dict(marker=dict(color="#e08214")),
            increasing=dict(marker=dict(color="#8073ac")),
            totals=dict(marker=dict(color="#4d4d4d")),
        )
    )
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=440,
        showlegend=False,
        font=FONT,
    )
    fig.update_yaxes(title_text=unit, tickformat=",")
    return fig


def division_map(
    values: dict[str, float],
    geojson: dict,
    variable: str,
    lang: str,
    title: str,
    diverging: bool = False,
) -> go.Figure:
    """A choropleth of one value per division, drawn as filled polygons on plain axes.

    ``values``: {division name as in the GeoJSON's ``name`` property: value}; a division without
    a value is drawn grey. ``geojson``: a FeatureCollection of (Multi)Polygons (data/districts.geojson).
    No map tiles and no topojson are fetched, so the page stays offline. ``diverging`` centres the
    colours on zero (a teacher gap: red short, blue surplus).

    >>> gj = {"features": [{"properties": {"name": "甲", "en": "A", "cp": [0.5, 0.5]},
    ...        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    >>> fig = division_map({"甲": 3.0}, gj, "Enrolment|Primary", "en", "pupils")
    >>> fig.data[0].name, fig.data[1].hovertext[0], fig.data[0].fillcolor == fig.data[1].marker.color[0]
    ('A', 'A: 3 persons', True)
    """
    return division_maps({"": values}, geojson, variable, lang, title, diverging)


def division_maps(
    panels: dict[str, dict[str, float]],
    geojson: dict,
    variable: str,
    lang: str,
    title: str,
    diverging: bool = False,
) -> go.Figure:
    """Choropleths side by side on one colour scale (a value per division in each panel: the years
    of one scenario, say), so a colour means the same value in every panel.

    ``panels``: {panel title: {division: value}}; a panel titled ``""`` gets no title. With
    ``diverging`` the scale is symmetric around zero, red below (``−`` shortage) and blue above
    (``+`` surplus), and the colour bar says so.

    >>> gj = {"features": [{"properties": {"name": "甲", "en": "A", "cp": [0.5, 0.5]},
    ...        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    >>> fig = division_maps({"2025": {"甲": -3.0}, "2035": {"甲": 6.0}}, gj, "Teachers|Gap", "en",
    ...                     "gap", diverging=True)
    >>> [a.text for a in fig.layout.annotations], fig.data[-1].marker.cmin, fig.data[-1].marker.cmax
    (['2025', '2035'], -6.0, 6.0)
    >>> fig.data[-1].marker.colorbar.ticktext[0], fig.data[-1].marker.colorbar.ticktext[-1]
    ('−6 shortage', '+6 surplus')
    """
    from plotly.colors import sample_colorscale

    feats = geojson["features"]
    names = [f["properties"]["name"] for f in feats]
    have = [
        v
        for vals in panels.values()
        for v in (vals.get(n) for n in names)
        if v is not None and np.isfinite(v)
    ]
    lo, hi = (min(have), max(have)) if have else (0.0, 1.0)
    if diverging:
        lo, hi = -max(abs(lo), abs(hi), 1e-12), max(abs(lo), abs(hi), 1e-12)
    # sequential colours start above white, so the lowest value is not mistaken for "no value"
    stops = np.linspace(0.0 if diverging else 0.12, 1.0, 11)
    colours = sample_colorscale("RdBu" if diverging else "Blues", list(stops))
    scale = [[i / 10, c] for i, c in enumerate(colours)]
    span = hi - lo if hi > lo else 1.0
    u = unit(variable)
    ulabel = unit_label(variable, lang)
    labels = [
        name if lang == "zh" else f["properties"].get("en", name)
        for f, name in zip(feats, names, strict=True)
    ]
    cx, cy = zip(*(_centroid(f["geometry"]) for f in feats), strict=True)
    titles = list(panels)
    fig = make_subplots(
        rows=1,
        cols=len(titles),
        subplot_titles=titles if any(titles) else None,
        horizontal_spacing=0.02,
    )
    L = TEXT[lang]
    for k, vals in enumerate(panels.values()):
        shown = [vals.get(n) for n in names]
        colors = []
        for f, label, v in zip(feats, labels, shown, strict=True):
            ok = v is not None and np.isfinite(v)
            color = sample_colorscale(scale, [(v - lo) / span])[0] if ok else "#d9d9d9"
            colors.append(color)
            geom = f["geometry"]
            polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            xs, ys = [], []
            for poly in polygons:
                ring = poly[0]  # the outer ring; the divisions have no holes
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    fill="toself",
                    fillcolor=color,
                    line=dict(color="white", width=1),
                    name=label,
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=1,
                col=k + 1,
            )

        def said(v, short=False):
            if v is None or not np.isfinite(v):
                return "—"
            if not diverging:
                return fmt(v, u) if short else f"{fmt(v, u)} {ulabel}"
            word = L["surplus"] if v > 0 else L["shortage"] if v < 0 else ""
            return _signed(v, u) if short else f"{_signed(v, u)} {ulabel} {word}".rstrip()

        # one marker per division at the centroid of its largest part: the name and the hover text
        fig.add_trace(
            go.Scatter(
                x=cx,
                y=cy,
                mode="markers+text",
                # the name and the value printed on the division (a screenshot has no hover), in the
                # colour that reads on its fill, with a halo where it spills onto a neighbour
                text=[
                    f"{_short(lab)}<br>{said(v, short=True)}" for lab, v in zip(labels, shown, strict=True)
                ],
                textposition="middle center",
                textfont=dict(
                    size=10,
                    color=[_ink(c) for c in colors],
                    shadow=[_halo(c) for c in colors],
                ),
                hovertext=[f"{lab}: {said(v)}" for lab, v in zip(labels, shown, strict=True)],
                hoverinfo="text",
                customdata=[v if v is not None and np.isfinite(v) else None for v in shown],  # the values
                name="",
                showlegend=False,
                # a hover target under the text, not drawn: the fill is the colour
                marker=dict(size=24, color=colors, opacity=0),
            ),
            row=1,
            col=k + 1,
        )
    # the colour bar: an invisible trace on the same scale
    bar = dict(title=ulabel)
    if diverging:
        ticks = [lo, lo / 2, 0.0, hi / 2, hi]
        bar.update(
            tickvals=ticks,
            ticktext=[
                f"{_signed(lo, u)} {L['shortage']}",
                _signed(lo / 2, u),
                "0",
                _signed(hi / 2, u),
                f"{_signed(hi, u)} {L['surplus']}",
            ],
        )
    elif u == "fraction":
        bar.update(tickformat=".0%")
    fig.add_trace(
        go.Scatter(
            x=[cx[0]],
            y=[cy[0]],
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            marker=dict(
                size=0.1,
                color=[lo],
                cmin=lo,
                cmax=hi,
                colorscale=scale,
                showscale=True,
                colorbar=bar,
            ),
        ),
        row=1,
        col=1,
    )
    lat = float(np.mean(cy))
    fig.update_layout(
        title=title,
        height=600,
        template="plotly_white",
        margin=dict(l=20, r=20, t=80 if any(titles) else 60, b=20),
        font=FONT,
    )
    # degrees of longitude are shorter than degrees of latitude by cos(latitude)
    fig.update_xaxes(visible=False)
    for k in range(len(titles)):
        fig.update_yaxes(
            visible=False,
            scaleanchor="x" if k == 0 else f"x{k + 1}",
            scaleratio=1 / np.cos(np.radians(lat)),
            row=1,
            col=k + 1,
        )
    return fig


def _ink(fill: str) -> str:
    """Black text on a light fill, white on a dark one (``fill``: "rgb(r, g, b)" or "#rrggbb")."""
    if fill.startswith("#"):
        r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    else:
        r, g, b = (float(x) for x in fill[fill.index("(") + 1 : fill.index(")")].split(",")[:3])
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "#222"


def _short(label: str) -> str:
    """An English division name without its kind, to fit the small urban districts ("Changyi")."""
    head, _, kind = label.rpartition(" ")
    return head if head and kind in ("District", "County", "City") else label


def _halo(fill: str) -> str:
    """A CSS text shadow around the text in its fill's colour (the text stays legible on a neighbour)."""
    return ", ".join(f"{dx}px {dy}px 1px {fill}" for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)))


def _signed(v: float, u: str) -> str:
    """A signed value with a true minus sign (−), as a gap reads; persons as whole numbers."""
    text = f"{v:+,.0f}" if u in ("persons", "persons per year") else fmt_margin(v, u)
    return text.replace("-", "−")


def division_panels(
    regional: pd.DataFrame,
    variable: str,
    lang: str,
    title: str,
    divisions: list[tuple[str, str]],
    scenarios: list[str],
    cols: int = 3,
) -> go.Figure:
    """Small multiples of one variable: a panel per division on one y scale, a line per scenario
    (fans with draws), each scenario in the colour it has elsewhere on the page (its place in
    ``scenarios``).

    ``regional``: a summary by division (``scenario, region, variable, year, q05 … q95``);
    ``divisions``: (name in ``region``, label shown) in panel order.
    """
    sub = regional[regional["variable"] == variable]
    rows = max(1, -(-len(divisions) // cols))
    ulabel = unit_label(variable, lang)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes="all",
        shared_yaxes="all",
        subplot_titles=[f"{label} ({ulabel})" for _, label in divisions],
        vertical_spacing=0.08,
        horizontal_spacing=0.03,
    )
    rate = _is_rate(variable)
    present = set(map(str, pd.unique(sub["scenario"])))
    shown: set[str] = set()
    for i, (name, label) in enumerate(divisions):
        r, c = i // cols + 1, i % cols + 1
        part = sub[sub["region"] == name]
        for j, sc in enumerate(scenarios):
            if sc not in present:
                continue
            s = part[part["scenario"] == sc].sort_values("year")
            if s.empty:
                continue
            _add_series(
                fig,
                s,
                sc,
                PALETTE[j % len(PALETTE)],
                "solid",
                lang,
                row=r,
                col=c,
                showlegend=sc not in shown,
                group=sc,
                rate=rate,
            )
            shown.add(sc)
            # the division's name in the hover box, not only the scenario's
            fig.data[
                -1
            ].hovertemplate = f"%{{x}}: %{{y:{'.1%' if rate else ',.0f'}}}<extra>{sc} · {label}</extra>"
    if variable.startswith("Teachers|Gap"):
        fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"), row="all", col="all")
    fig.update_yaxes(tickformat=".0%" if rate else ",")
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text=ulabel, row=r, col=1)
    fig.update_xaxes(dtick=5)
    fig.update_layout(
        title=title,
        height=230 * rows + 130,
        template="plotly_white",
        hovermode="x unified",
        legend=dict(orientation="h", y=-0.1),
        margin=dict(l=70, r=20, t=80, b=60),
        font=FONT,
    )
    return fig


def _centroid(geometry: dict) -> tuple[float, float]:
    """The area centroid of the largest outer ring (a label inside the shape, unlike a city seat)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    best = (0.0, 0.0, 0.0)
    for poly in polygons:
        ring = np.asarray(poly[0], dtype=float)
        x, y = ring[:, 0], ring[:, 1]
        cross = x[:-1] * y[1:] - x[1:] * y[:-1]
        area = cross.sum() / 2
        if area and abs(area) > abs(best[0]):
            best = (
                area,
                ((x[:-1] + x[1:]) * cross).sum() / (6 * area),
                ((y[:-1] + y[1:]) * cross).sum() / (6 * area),
            )
    return (best[1], best[2]) if best[0] else tuple(np.asarray(polygons[0][0], dtype=float).mean(axis=0))
