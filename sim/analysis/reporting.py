"""The report job: run the scenarios, evaluate their targets, explain the changes, build the page.

``sim/report/`` only draws; this module computes what it draws.
"""

from __future__ import annotations

import hashlib
import tempfile
from importlib.metadata import version
from pathlib import Path

from ..core.regions import SEP
from ..report.page import ReportInput, build_page, cohort_html, explain_figures, titles
from ..run.simulate import Prepared, RunResult, run, simulate
from ..run.stream import read_columns, stream_draws, summarise, summary_of
from ..run.tables import division_shapes
from ..run.write import with_region
from .backtest import base_years, run_backtest
from .cohort import cohort_table
from .explain import PART_LABELS, for_report
from .targets import evaluate
from .trust import ESTIMATES, trust_html


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
        tables_html=trust_html(first, lang, summ) + cohort_html(cohort_table(one), lang),
        whatif_html=whatif_html,
        estimates=[zh if lang == "zh" else en for zh, en in ESTIMATES],
        backtest=summ,
    )
