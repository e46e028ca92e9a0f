"""The report job: run the scenarios, evaluate their targets, explain the changes, build the page.

``sim/report/`` only draws; this module computes what it draws.
"""

from __future__ import annotations

import hashlib
import html
import json
import tempfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from ..core.catalogue import label
from ..core.paths import data_dir
from ..core.regions import SEP
from ..report.page import ReportInput, build_page, cohort_html, explain_figures, titles
from ..run.simulate import Prepared, RunResult, run, simulate
from ..run.stream import read_columns, stream_draws, summarise, summary_of
from ..run.write import with_region
from .backtest import base_years, run_backtest, summary_display
from .cohort import cohort_table
from .explain import PART_LABELS, for_report
from .targets import evaluate
from .trust import ESTIMATES, TEXT, drivers


def from_run(res: RunResult) -> ReportInput:
    """A finished run held in memory → what the page needs; nothing is recomputed."""
    s = res.scenario
    return _input(
        res.prepared, summary_of(res.results, res.years), evaluate(s.targets, res.results, res.years)
    )


def summarised(prep: Prepared, options: dict | None = None) -> ReportInput:
    """A scenario run for the page: one draw in memory; many streamed to a temporary folder and
    read back as quantiles, a few variables at a time, so memory does not grow with the draws."""
    s = prep.scenario
    if s.draws == 1:
        return from_run(run(prep, options))
    with tempfile.TemporaryDirectory(prefix="edusim-report-") as tmp:
        folder = Path(tmp)
        stream_draws(prep, folder, options)
        summary = summarise(folder, s.years)
        summary.attrs.clear()
        arrays = read_columns(folder, sorted({t.indicator for t in s.targets}), s.years)
    return _input(prep, summary, evaluate(s.targets, arrays, s.years))


@lru_cache(maxsize=1)
def division_shapes() -> dict:
    """The divisions' boundaries (data/districts.geojson), read once, for the page's maps."""
    return json.loads((data_dir() / "districts.geojson").read_text(encoding="utf-8"))


def _input(prep: Prepared, summary, targets) -> ReportInput:
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in prep.loaded.chain]
    s = prep.scenario
    # the divisions' rows (``<variable>@<division>``) apart: the charts of the city read the rest
    by_division = summary["variable"].str.contains(SEP, regex=False)
    regional = with_region(summary[by_division].reset_index(drop=True))
    regional.insert(0, "scenario", s.name)
    summary = summary[~by_division].reset_index(drop=True)
    summary.insert(0, "scenario", s.name)
    return ReportInput(
        name=s.name,
        title=s.title.model_dump(),
        description=s.description.model_dump(),
        results=summary,
        targets=targets,
        files=files,
        draws=s.draws,
        regional=regional,
        shapes=division_shapes() if len(regional) else None,
    )


# the back-test summary's columns in Chinese (the page is read in Chinese)
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


def trust_section(prep: Prepared, summ: pd.DataFrame, lang: str = "zh") -> str:
    """The annex's trust section (escaped HTML): the back-test's summary ``summ`` with headers in
    ``lang``, the estimated inputs, the drivers of the spread (input paths as code)."""
    t = TEXT[lang]
    esc = html.escape
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


def make_report(
    preps: list[Prepared], lang: str = "zh", options: dict | None = None, whatif_html: str = ""
) -> str:
    """The HTML page for prepared scenarios: the answer first, every chart, the first scenario's
    change explained, then the annex (files, trust, cohort)."""
    inputs = [summarised(p, options) for p in preps]
    first = preps[0]
    one = first.scenario.model_copy(update={"draws": 1})

    def once(sc):
        return simulate(sc, first.tables, options=options).results

    decompositions = for_report(one, first.tables, once)
    _, summ = run_backtest(base_years())
    return build_page(
        inputs,
        lang=lang,
        version=version("edusim"),
        extra=explain_figures(
            decompositions, lang, PART_LABELS.get(lang), titles(inputs, lang)[inputs[0].name]
        ),
        tables_html=trust_section(first, summ, lang) + cohort_html(cohort_table(one), lang),
        whatif_html=whatif_html,
        estimates=[zh if lang == "zh" else en for zh, en in ESTIMATES],
        backtest=summ,
    )
