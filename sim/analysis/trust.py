"""How far to trust the forecast: the back-test against naive methods, the inputs that are
estimates, and which uncertain inputs drive the spread of a few key results.

The drivers are one-at-a-time variance shares: each uncertain input drawn alone (the others at
their written values) gives a variance; its share of the variance with all inputs drawn is
close to Sobol's first-order index when inputs barely interact, as they do here
(``docs/uncertainty.md`` has the full Sobol table).

>>> import numpy as np
>>> shares(np.array([1.0, 3.0]), 4.0).tolist()
[0.25, 0.75]
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..core.catalogue import label
from ..run.sampling import sample
from ..run.simulate import Prepared, simulate
from .backtest import base_years, run_backtest, summary_display

# What the forecast rests on that was estimated rather than observed (data/SOURCES*.md say how).
ESTIMATES = (
    ("单岁组人口（由普查大年龄组插值）", "single-year ages (interpolated from the census's broad groups)"),
    ("出生人口（按全省出生数的14.05%推算）", "births (14.05 % of the province's)"),
    ("死亡水平（全省粗死亡率）", "the level of mortality (the province's crude death rate)"),
    (
        "分学段专任教师（在校生 ÷ 全国生师比）",
        "teachers by level (enrolment ÷ national pupil:teacher ratios)",
    ),
    ("城乡学生比例", "the rural shares of pupils"),
    ("生均经费（全省2022年数据）", "spending per student (the province's 2022 figures)"),
    ("公务员工资（全市平均工资 × 1.15）", "civil servants' pay (the city's average wage × 1.15)"),
    ("2035年目标值（规划假设）", "every 2035 target value (the planner's assumptions)"),
    (
        "各区县数据：除2020年普查人口外均由全市按规则分摊；各区县2020年教师余缺与全市同比例（docs/districts.md）",
        "the divisions' figures: all but their 2020 census people are shared out from the city; every "
        "division starts at the city's teacher supply:demand ratio (docs/districts.md)",
    ),
)
# results whose spread the report explains: (variable, year)
KEY_RESULTS = (
    ("Enrolment|Preschool", 2025),
    ("Enrolment|Secondary vocational", 2025),
    ("Teachers|Gap", 2035),
    ("Spending|Total", 2035),
)
TEXT = {
    "zh": {
        "title": "可信度：这些数字能信多少",
        "backtest": "回测：模型与朴素方法的平均绝对百分比误差（MAPE），技能分 > 0 表示模型更好；"
        "区间覆盖率应接近50 %和90 %。",
        "estimates": "以下输入是估计值，不是观测值：",
        "drivers": "不确定性的主要来源（单独抽取每个不确定输入时，其方差占全部抽取时方差的比例）：",
        "none": "该情景没有不确定性设定（uncertainty:），或关键结果的年份不在预测期内，无法分解。",
        "input": "输入",
    },
    "en": {
        "title": "How far to trust this",
        "backtest": "Back-test: mean absolute percentage error (MAPE) of the model and of naive methods; "
        "skill > 0 means the model did better; the intervals should hold about 50 % and 90 %.",
        "estimates": "These inputs are estimates, not observations:",
        "drivers": "What drives the spread (the variance with one uncertain input drawn alone, as a share "
        "of the variance with all drawn):",
        "none": "Nothing to break down: the scenario has no uncertainty: block, or the key results' "
        "years are outside its horizon.",
        "input": "input",
    },
}


def shares(alone: np.ndarray, total: float) -> np.ndarray:
    """Each input's variance drawn alone, as a share of the variance with all drawn."""
    return np.asarray(alone, dtype=float) / total if total > 0 else np.zeros(len(alone))


def drivers(prep: Prepared, results=KEY_RESULTS, draws: int = 200) -> pd.DataFrame:
    """One-at-a-time variance shares of the scenario's uncertain inputs for ``results``.

    Run on the city as one (without ``regions:``): the key results are the city's, the inputs are
    drawn for the whole city, and eleven runs of 200 draws with nine divisions each would take
    nine times as long (docs/performance.md, "Divisions") for shares that move by a point or two."""
    s = prep.scenario.model_copy(update={"regions": None})
    paths = sorted(s.uncertainty)
    index = np.arange(draws)
    drawn = sample(s.uncertainty, s.seed, index)
    years = list(s.years)

    def spread(values: dict) -> dict:
        r = simulate(s, prep.tables, index, drawn=values).results
        return {(v, y): float(np.var(r[v][:, years.index(y)])) for v, y in results if v in r and y in years}

    total = spread(drawn)
    alone = {p: spread({p: drawn[p]}) for p in paths}
    rows = []
    for key, var in total.items():
        part = shares(np.array([alone[p][key] for p in paths]), var)
        rows.append({"result": f"{key[0]} {key[1]}", **dict(zip(paths, part, strict=True))})
    return pd.DataFrame(rows)


BACKTEST_ZH = {
    "lead": "预测年限",
    "n": "观测数",
    "MAPE model": "MAPE 模型",
    "MAPE no-change": "MAPE 不变法",
    "MAPE cohort-ratio": "MAPE 队列比法",
    "skill vs no-change": "技能分（对不变法）",
    "skill vs cohort-ratio": "技能分（对队列比法）",
    "inside 50 %": "50%区间覆盖率",
    "inside 90 %": "90%区间覆盖率",
    "width 50 %": "50%区间宽度",
    "width 90 %": "90%区间宽度",
}


def trust_html(prep: Prepared, lang: str = "zh", summ: pd.DataFrame | None = None) -> str:
    """The report's section (escaped HTML): the back-test's summary (``summ``, or run here) with
    headers in ``lang``, the estimated inputs, the drivers of the spread (input paths as code)."""
    t = TEXT[lang]
    esc = html.escape
    if summ is None:
        _, summ = run_backtest(base_years())
    table = summary_display(summ)
    if lang == "zh":
        table = table.rename(columns=BACKTEST_ZH)
        table.iloc[:, 0] = table.iloc[:, 0].replace({"all": "全部"})
    parts = [
        f"<h2>{esc(t['title'])}</h2>",
        f"<p>{esc(t['backtest'])}</p>",
        table.to_html(index=False, classes="meta", na_rep=""),
    ]
    items = "".join(f"<li>{esc(zh if lang == 'zh' else en)}</li>" for zh, en in ESTIMATES)
    parts.append(f"<p>{esc(t['estimates'])}</p><ul>{items}</ul>")
    parts.append(f"<p>{esc(t['drivers'])}</p>")
    d = drivers(prep) if prep.scenario.uncertainty else pd.DataFrame()
    if d.empty:  # nothing uncertain, or none of the key results inside the horizon
        parts.append(f"<p>{esc(t['none'])}</p>")
    else:
        d = d.set_index("result").T
        d.columns = [f"{label(c.rsplit(' ', 1)[0], lang)} {c.rsplit(' ', 1)[1]}" for c in d.columns]
        shares = d.map(lambda v: f"{v:.0%}")
        rows = "".join(
            f"<tr><td><code>{esc(str(i))}</code></td>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>"
            for i, r in zip(shares.index, shares.to_numpy(), strict=True)
        )
        head = f"<th>{esc(t['input'])}</th>" + "".join(f"<th>{esc(c)}</th>" for c in d.columns)
        parts.append(f'<table class="meta"><tr>{head}</tr>{rows}</table>')
    return "".join(parts)
