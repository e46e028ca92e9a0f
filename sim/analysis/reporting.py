"""The report job: run the scenarios, evaluate their targets, explain the changes, build the page.

``sim/report/`` only draws; this module computes what it draws.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version

from ..report.page import ReportInput, build_page, cohort_html, explain_figures
from ..run.simulate import Prepared, RunResult, run, simulate
from .cohort import cohort_table
from .explain import PART_LABELS, for_report
from .targets import evaluate
from .trust import trust_html


def from_run(res: RunResult) -> ReportInput:
    """A finished run → what the page needs; nothing is recomputed."""
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in res.loaded.chain]
    s = res.scenario
    return ReportInput(
        name=s.name,
        title=s.title.model_dump(),
        description=s.description.model_dump(),
        results=res.frame(),
        targets=evaluate(s.targets, res.results, res.years),
        files=files,
        draws=len(res.draw_index),
    )


def make_report(preps: list[Prepared], lang: str = "zh", options: dict | None = None) -> str:
    """The HTML page for prepared scenarios: every chart, the first scenario's change explained."""
    runs = [run(p, options) for p in preps]
    first = preps[0]
    one = first.scenario.model_copy(update={"draws": 1})

    def once(sc):
        return simulate(sc, first.tables, options=options).results

    decompositions = for_report(one, first.tables, once)
    return build_page(
        [from_run(r) for r in runs],
        lang=lang,
        version=version("edusim"),
        extra=explain_figures(decompositions, lang, PART_LABELS.get(lang)),
        tables_html=trust_html(first, lang) + cohort_html(cohort_table(one), lang),
    )
