"""One function per command: the work behind each ``edusim`` command, returning what it prints.

The CLI parses options and prints; everything between (running, checking, writing files)
is here, so each command is one call and every command has the same checks.
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.catalogue import entry, known, names
from ..core.errors import UserError
from ..core.paths import scenario_dir
from ..run.folders import new_file, new_folder, stamp, write_file, write_text
from ..schema.load import load
from ..schema.paths import resolve

# The model (sim.run.simulate and the stages it imports), the executors and the writers are
# imported by the jobs that run it: `edusim list` only loads scenarios (start-up time, issue #13).
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..run.executors import Failure
    from ..run.simulate import Prepared, RunResult

LANGS = ("zh", "en")

# What `run` and `compare` print: the indicators a planner looks at first.
KEY_INDICATORS = [
    "Population|Total",
    "Population|Births",
    "Population|Deaths",
    "Population|Net migration",
    "Population|Age 3-5",
    "Population|Age 15-17",
    "Enrolment|Preschool",
    "GER|Preschool",
    "Enrolment|Primary",
    "NER|Primary",
    "Enrolment|Junior",
    "NER|Junior",
    "Consolidation rate|Compulsory",
    "Enrolment|Upper secondary",
    "GER|Upper secondary",
    "Enrolment|Secondary vocational",
    "Mean years of schooling|Working age",
    "Teachers|Demand",
    "Teachers|Supply",
    "Teachers|Gap",
    "Teachers|Gap|Primary|Rural",
    "Teachers|Gap|Junior|Rural",
    "Teachers|Tegang|Hires",
    "Teachers|Tegang|In contract",
    "Teachers|Tegang|Not placed",
    "Teachers|Redeployed",
    "Teachers|Student-teacher ratio|Primary",
    "Teachers|Subject demand|PE",
    "Teachers|Subject demand|Arts",
    "Spending|Total",
    "Budget|Envelope",
    "Budget|Shortfall",
    "Budget|Surplus",
    "Spending|Per student|Primary",
    "Pay|Teachers|Compulsory",
    "Pay|Civil servants",
    "Rule|Spending does not fall",
    "Rule|Per student does not fall",
    "Rule|Teacher pay at least civil servants",
]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError(f"--lang must be zh or en, got {lang!r}", key="--lang")
    return lang


def check_engine(engine: str) -> str:
    from ..stages.teachers import ENGINES

    if engine not in ENGINES:
        raise UserError(f"--engine must be 'aggregate' or 'des', got {engine!r}", key="--engine")
    return engine


def check_variable(variable: str, what: str = "--variable") -> str:
    if not known(variable):
        close = difflib.get_close_matches(variable, names(), n=1)
        raise UserError(
            f"the model does not produce {variable!r}",
            key=what,
            hint=f"did you mean {close[0]!r}?" if close else "see sim/core/variables/*.csv",
        )
    return variable


def check_region(region: str, available: list[str]) -> list[str]:
    """The regions ``--region`` asks for among those a run has: one name, or ``all``."""
    from ..core.regions import ALL, CITY, CITY_EN

    if region == ALL:
        return list(available)
    if region in (CITY_EN, "city"):
        region = CITY
    if region in available:
        return [region]
    close = difflib.get_close_matches(region, available, n=1, cutoff=0.3)
    only_city = available == [CITY]
    raise UserError(
        f"no region {region!r} in this run"
        + (" (it models the city as one: no regions: section, or --engine des)" if only_city else ""),
        key="--region",
        hint=(f"did you mean {close[0]!r}? " if close else "") + "regions: " + ", ".join(available) + ", all",
    )


def region_names(prep: Prepared, options: dict | None = None) -> list[str]:
    """The regions a run of the prepared scenario will have: the city, then its divisions."""
    from ..core.regions import CITY
    from ..run.simulate import division_names

    return [CITY, *division_names(prep.scenario, prep.tables, options)]


def division_targets(targets: list, results: dict) -> list:
    """The scenario's targets that apply to a division: rates, ratios and the money rules (each
    county budgets too; a count such as 23,000 vocational students is the city's), of indicators
    the run kept for its divisions."""
    from ..core.catalogue import unit
    from ..stages.regions import ADDITIVE_UNITS

    return [t for t in targets if unit(t.indicator) not in ADDITIVE_UNITS and t.indicator in results]


def check_year(prep: Prepared, year: int, what: str) -> int:
    y = prep.scenario.years
    if not int(y[0]) <= year <= int(y[-1]):
        raise UserError(f"{what} {year} is outside the horizon {int(y[0])}-{int(y[-1])}", key=what)
    return year


# ------------------------------------------------------------------ run
@dataclass
class RunOutcome:
    prepared: Prepared
    folder: Path
    values: dict[str, np.ndarray]  # {variable: (T,)} mean (one draw) or median (many)
    draws: int
    warnings: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def run_job(
    ref: str,
    out: Path | None = None,
    draws: int | None = None,
    seed: int | None = None,
    engine: str = "aggregate",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk: int | None = None,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
    region: str = "吉林市",
) -> RunOutcome:
    """Load once, run (streaming many draws to disk), write a new run folder (``chunk``: draws
    per chunk; None chooses it from the draws, workers and engine). ``region`` (what will be
    printed) is checked before anything runs."""
    from ..run.executors import open_executor
    from ..run.simulate import prepare, run
    from ..run.write import check_memory, write_monte_carlo, write_run

    options = {"engine": check_engine(engine)}
    t0 = time.perf_counter()
    prep = prepare(ref, draws, seed)
    loading = time.perf_counter() - t0
    s = prep.scenario
    check_region(region, region_names(prep, options))
    notes: list[str] = []
    if s.draws == 1 and workers is None and scheduler is None:
        res = run(prep, options)
        res.timings = {"load": loading, **res.timings}
        folder = write_run(res, out, notes)
        return RunOutcome(prep, folder, {k: v[0] for k, v in res.results.items()}, 1, notes + res.warnings)
    check_memory(s.draws, len(s.years), in_memory=False)

    def targets_table(folder: Path, column) -> None:
        from .targets import evaluate

        if s.targets:
            arrays = {v: column(v) for v in {t.indicator for t in s.targets}}
            evaluate(s.targets, arrays, s.years).to_csv(folder / "targets.csv", index=False)

    with open_executor(workers, scheduler) as ex:
        advance = progress(s.draws, 0) if progress else None
        folder, medians, failed = write_monte_carlo(
            prep, out, options, ex, chunk, on_done=advance, notes=notes, finish=targets_table
        )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    warnings = notes + prep.loaded.warnings + manifest.get("warnings", [])
    return RunOutcome(prep, folder, medians, s.draws, warnings, failed)


def run_many(refs: list[str], draws: int | None = None, options: dict | None = None) -> list[RunResult]:
    from ..run.simulate import prepare, run
    from ..run.write import check_memory

    preps = [prepare(r, draws) for r in refs]
    for p in preps:
        check_memory(p.scenario.draws, len(p.scenario.years))
    return [run(p, options) for p in preps]


# ------------------------------------------------------------------ targets, compare, report
def targets_job(
    ref: str, draws: int | None = None, region: str = "吉林市"
) -> tuple[RunResult, list[tuple[str, pd.DataFrame]]]:
    """The scorecard of each region asked for: the city's every target, a division's those that
    apply to it (``division_targets``)."""
    from ..core.regions import CITY, of_region
    from .targets import evaluate

    res = run_many([ref], draws)[0]
    out = []
    for r in check_region(region, res.regions):
        results = of_region(res.results, r)
        targets = res.scenario.targets if r == CITY else division_targets(res.scenario.targets, results)
        if targets:
            out.append((r, evaluate(targets, results, res.years)))
    return res, out


def _changed_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of a comparison table where some Δ column is not 0 (beyond a rounding of 1e-9)."""
    deltas = [c for c in df.columns if str(c).startswith("Δ ")]
    if not deltas:
        return df
    base = df[[c for c in df.columns if c not in deltas and c not in ("indicator", "unit")]].abs().max(axis=1)
    moved = (df[deltas].abs().max(axis=1) > 1e-9 * base.clip(lower=1.0)).to_numpy()
    return df[moved].reset_index(drop=True)


def parse_years(text: str) -> list[int]:
    try:
        years = [int(y) for y in text.split(",") if y.strip()]
    except ValueError:
        years = []
    if not years:
        raise UserError(f"--years takes years such as 2025,2035, got {text!r}", key="--years")
    return years


def compare_job(
    refs: list[str],
    years: str,
    out: Path | None = None,
    draws: int | None = None,
    region: str = "吉林市",
    changed: bool = False,
):
    """Key indicators side by side; with ``region`` a division's (or, ``all``, one table per region,
    the regions every scenario has); ``changed``: only the rows where some Δ is not 0 (printed and
    written alike)."""
    import pandas as pd

    from .compare import comparison_table, write_comparison

    wanted = parse_years(years)
    runs = run_many(refs, draws)
    for r in runs:
        for y in wanted:
            if y not in set(r.years.tolist()):
                raise UserError(f"{y} is outside {r.scenario.name}'s horizon", key="--years")
    common = [g for g in runs[0].regions if all(g in r.regions for r in runs)]
    tables = [(g, comparison_table(runs, KEY_INDICATORS, wanted, g)) for g in check_region(region, common)]
    if changed:
        tables = [(g, _changed_rows(t)) for g, t in tables]
    if len(tables) == 1:
        df = tables[0][1]
    else:
        df = pd.concat([t.assign(region=g) for g, t in tables], ignore_index=True)
        df.insert(0, "region", df.pop("region"))
    written = write_comparison(df, out) if out is not None else []
    return runs, tables, written


def report_job(
    refs: list[str],
    out: Path | None = None,
    lang: str = "zh",
    draws: int | None = None,
    whatif: list[str] | None = None,
    points: int = 5,
) -> Path:
    """The report page. ``whatif``: the levers of the first scenario's what-if sliders (None: its
    own `levers:`, none when it has none; [] leaves the section out), ``points`` values each."""
    from ..run.simulate import prepare
    from ..run.write import check_memory
    from .reporting import make_report

    check_lang(lang)
    preps = [prepare(r, draws) for r in refs]
    for p in preps:  # the draws are streamed through a temporary folder, one scenario at a time
        check_memory(p.scenario.draws, len(p.scenario.years), in_memory=False)
    section = ""
    if whatif != [] and (whatif or preps[0].scenario.levers):
        from ..report.whatif import whatif_html
        from .whatif import whatif_grid

        try:
            grid = whatif_grid(preps[0], whatif or None, points)
        except ValueError as e:
            raise UserError(
                str(e), key="--whatif", hint="e.g. --whatif teachers.tegang.hires=0:400"
            ) from None
        section = whatif_html(grid, lang)
    page = make_report(preps, lang, whatif_html=section)
    stem = "-".join(p.scenario.name for p in preps)[:120]
    if out is None:
        return new_file(
            lambda p: p.write_text(page, encoding="utf-8"), Path("outputs") / "reports", stem, ".html"
        )
    return write_text(page, out)


# ------------------------------------------------------------------ sensitivity, sweep, solve
MAX_RUNS = 2_000_000  # model runs one analysis may ask for


def sensitivity_job(
    ref: str,
    output: str,
    method: str = "sobol",
    n: int = 256,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    lang: str = "zh",
):
    from importlib.util import find_spec

    if find_spec("SALib") is None:
        raise UserError(
            "edusim sensitivity needs SALib, an optional part of edusim",
            hint="pip install 'edusim[sensitivity]'",
        )
    from ..report.figures import tornado
    from ..report.page import render
    from ..run.executors import open_executor
    from ..run.simulate import prepare
    from ..run.write import check_memory
    from .sensitivity import analyse, model_output

    check_lang(lang)
    variable, _, year = output.rpartition("@")
    if not variable or not year.isdigit():
        raise UserError(
            f"--output must be VARIABLE@YEAR, got {output!r}",
            key="--output",
            hint="e.g. --output 'Enrolment|Primary@2035'",
        )
    check_variable(variable, "--output")
    if method not in ("sobol", "morris"):
        raise UserError(f"--method must be sobol or morris, got {method!r}", key="--method")
    prep = prepare(ref)
    s = prep.scenario
    if not s.uncertainty:
        raise UserError(
            "the scenario has no uncertainty: block to analyse",
            file=prep.loaded.path,
            hint="add uncertainty: entries for the inputs to rank",
        )
    check_year(prep, int(year), "--output year")
    k = len(s.uncertainty)
    runs = n * (2 * k + 2) if method == "sobol" else n * (k + 1)
    if runs > MAX_RUNS:
        raise UserError(f"--n {n} asks for {runs:,} model runs ({k} inputs); at most {MAX_RUNS:,}", key="--n")
    check_memory(min(runs, 2000), len(s.years))
    with open_executor(workers, scheduler) as ex:
        inputs, model = model_output(s, prep.tables, variable, int(year), executor=ex)
        indices = analyse(method, inputs, model, n, seed=s.seed)
    title = f"{s.name}: {variable} @ {year} ({method})"
    page = render(
        title,
        "",
        [(title, tornado(indices, lang, title))],
        lang,
        version("edusim"),
        tables_html=indices.to_html(index=False, float_format=lambda v: f"{v:.3f}"),
    )
    with new_folder(out or Path("outputs") / "sensitivity", f"{s.name}-{stamp()}") as job:
        indices.to_csv(job.tmp / "indices.csv", index=False)
        (job.tmp / "report.html").write_text(page, encoding="utf-8")
    return indices, job.final


MAX_POINTS = 10_000


def _levers(prep: Prepared, texts: list[str]):
    from .sweep import LeverError, parse_lever

    out = []
    for text in texts:
        try:
            path, values = parse_lever(text, prep.scenario.levers, max_points=MAX_POINTS)
            resolve(prep.scenario, path)
        except (LeverError, ValueError) as e:
            raise UserError(str(e), key="--lever") from None
        out.append((path, values))
    return out


def sweep_job(
    ref: str,
    levers: list[str],
    samples: int | None = None,
    draws: int | None = None,
    out: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    lang: str = "zh",
    progress=None,
):
    from ..report.figures import heatmap, probability_lines
    from ..report.page import render
    from ..run.executors import open_executor
    from ..run.simulate import prepare
    from ..run.write import check_memory
    from .sweep import design, sweep

    check_lang(lang)
    prep = prepare(ref, draws)
    s = prep.scenario
    parsed = _levers(prep, levers)
    points = design(parsed, samples, seed=s.seed)
    if len(points) > MAX_POINTS:
        raise UserError(
            f"the sweep has {len(points):,} lever points; at most {MAX_POINTS:,}",
            key="--lever",
            hint="use a coarser step, or --samples N for a Latin hypercube",
        )
    check_memory(s.draws, len(s.years))
    with open_executor(workers, scheduler) as ex:
        advance = progress(len(points), 0) if progress else None
        table = sweep(s, prep.tables, points, executor=ex, on_point=advance)
    lever_names = [p for p, _ in parsed]
    if len(lever_names) == 2 and not samples:
        figs = [
            (t, heatmap(table, lever_names[0], lever_names[1], t, lang, "P(met)"))
            for t in dict.fromkeys(table["target"])
        ]
    else:
        figs = [("P(met)", probability_lines(table, lever_names[0], lang, "P(met)"))]
    page = render(f"{s.name}: sweep", "", figs, lang, version("edusim"))
    with new_folder(out or Path("outputs") / "sweeps", f"{s.name}-{stamp()}") as job:
        table.to_csv(job.tmp / "sweep.csv", index=False)
        (job.tmp / "report.html").write_text(page, encoding="utf-8")
    return table, lever_names, job.final


def solve_job(ref: str, lever: str, target: str, probability: float | None = None, draws: int | None = None):
    from ..run.simulate import prepare
    from .sweep import LeverError, run_point, solve

    if probability is not None and not 0 < probability <= 1:
        raise UserError(f"--probability must be in (0, 1], got {probability}", key="--probability")
    prep = prepare(ref, draws)
    s = prep.scenario
    ((path, values),) = _levers(prep, [lever])
    if probability is not None and s.draws == 1:
        raise UserError(
            "--probability needs draws", key="--probability", hint="add --draws N (and an uncertainty: block)"
        )
    try:
        found = solve(s, prep.tables, path, target, min(values), max(values), probability)
    except LeverError as e:
        raise UserError(str(e), key="--target" if "target" in str(e) else "--lever") from None
    _, check = run_point(s, prep.tables, {path: found["value"]})
    return path, found, check[check["id"] == target].iloc[0]


# ------------------------------------------------------------------ backtest, explain, export
def backtest_job(
    base: list[int] | None = None, draws: int | None = None, out: Path | None = None, lang: str = "zh"
):
    """Run every base year, score the model and the naive methods (no change, cohort ratio) on
    the same observations; write backtest.csv (a row per observation), summary.csv (by lead
    time, the last row over all leads) and report.html."""
    import html

    from ..report.figures import backtest_chart
    from ..report.page import render
    from ..run.simulate import check_draws
    from .backtest import base_years, run_backtest, summary_display

    check_lang(lang)
    if draws is not None:
        check_draws(draws)
    available = base_years()
    wanted = base or list(available)
    missing = [b for b in wanted if b not in available]
    if missing:
        raise UserError(
            f"no back-test data for base year {missing[0]}",
            key="--base",
            hint="base years with a scenario and later observations: " + ", ".join(map(str, available)),
        )
    table, summ = run_backtest({b: available[b] for b in wanted}, draws)
    zh = lang == "zh"
    note = (
        "朴素方法：不变（基年观测值保持不变）；队列比（基年在学人数 ÷ 基年相应年龄人口，乘以按存活率推移、"
        "无迁移的人口；比率保持基年值）。技能分 = 1 − 模型MAPE ÷ 朴素方法MAPE（两者都有预测的观测），"
        "大于0表示模型优于朴素方法。覆盖率：观测值落在模型50 %、90 %区间内的比例；宽度：区间宽度 ÷ 观测值。"
        if zh
        else "Naive methods: no change (the base-year observation held); cohort ratio (the base year's "
        "enrolment / the population of the level's ages, applied to the base-year population aged "
        "with survival only, no migration; rates held at their base-year value). Skill = 1 − MAPE "
        "model / MAPE naive over the observations both forecast: above 0 the model beats the naive "
        "method. Inside: share of observations within the model's 50 % / 90 % interval; width: the "
        "interval's width / the observed value."
    )
    page = render(
        "回测：预测误差" if zh else "Back-test: forecast error",
        f"<p>{html.escape(note)}</p>",
        [("error", backtest_chart(table, lang))],
        lang,
        version("edusim"),
        tables_html=summary_display(summ).to_html(index=False)
        + table.drop(columns=["source"]).to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep=""),
    )
    with new_folder(out or Path("outputs") / "backtest", f"all-{stamp()}") as job:
        table.to_csv(job.tmp / "backtest.csv", index=False)
        summ.to_csv(job.tmp / "summary.csv", index=False)
        (job.tmp / "report.html").write_text(page, encoding="utf-8")
    return table, summ, job.final


def cohort_job(ref: str, year: int | None = None, per_pupil: int | None = None):
    from ..run.simulate import prepare
    from .cohort import cohort_table

    prep = prepare(ref, draws=1)
    if year is not None:
        check_year(prep, year, "--cohort-year")
    return prep, cohort_table(prep.scenario, year, per_pupil)


def explain_job(
    ref: str,
    variable: str,
    year_from: int | None = None,
    year_to: int | None = None,
    against: str | None = None,
    year: int | None = None,
):
    from ..run.simulate import prepare, simulate
    from .explain import between_scenarios, between_years

    prep = prepare(ref, draws=1)
    s = prep.scenario

    def once(sc):
        return simulate(sc, prep.tables).results

    produced = once(s)
    if variable not in produced:
        close = difflib.get_close_matches(variable, list(produced), n=1)
        raise UserError(
            f"this scenario does not produce {variable!r}",
            key="--variable",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
    first, last = int(s.years[0]), int(s.years[-1])
    try:
        if against is not None:
            other = prepare(against, draws=1).scenario
            y = check_year(prep, year or 2025, "--year")
            for need in ("teachers", "finance"):
                if getattr(s, need) is not None and getattr(other, need) is None:
                    raise UserError(
                        f"--against {other.name} has no {need}: section to compare with", key="--against"
                    )
            return between_scenarios(
                other, s, prep.tables, variable, y, once
            ), f"{s.name} − {other.name} in {y}"
        y1 = check_year(prep, year_from or first, "--from")
        y2 = check_year(prep, year_to or last, "--to")
        if y2 <= y1:
            raise UserError(f"--to ({y2}) must be after --from ({y1})", key="--to")
        return between_years(s, prep.tables, variable, y1, y2, once), f"{y1} → {y2} ({s.name})"
    except (ValueError, KeyError) as e:
        raise UserError(str(e).strip("'\""), key="--variable") from None


EXPORT_FORMATS = ("iamc", "tidy")


def read_run_folder(folder: Path) -> tuple[pd.DataFrame, dict]:
    """A run folder's results, checked against its manifest (row counts), as a tidy table.

    A Monte Carlo run exports its summary: one row per variable, year and statistic
    (``q05`` … ``q95``, ``mean``) in the ``draw`` column's place, so nothing is silently a median.
    """
    import pandas as pd

    folder = Path(folder)
    mpath = folder / "manifest.json"
    if not (folder / "results.parquet").exists() or not mpath.is_file():
        raise UserError(
            f"{folder} is not a run folder (no results.parquet and manifest.json)",
            key="RUN_FOLDER",
            hint="give a folder that `edusim run` wrote, under outputs/<name>/",
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        rows = manifest.get("rows", {})
    except (ValueError, OSError, AttributeError):
        raise UserError("manifest.json is damaged", file=mpath) from None
    try:
        if (folder / "summary.csv").is_file():
            df = pd.read_csv(folder / "summary.csv")
            expect, what = rows.get("summary"), folder / "summary.csv"
            stats = ["q05", "q25", "q50", "q75", "q95", "mean"]
            ids = [c for c in ("scenario", "region", "variable", "year") if c in df.columns]
            df = df.melt(id_vars=ids, value_vars=stats, var_name="statistic")
            n = len(df) // len(stats)
        else:
            import pyarrow.parquet as pq

            df = pq.read_table(folder / "results.parquet").to_pandas()
            expect, what = rows.get("results"), folder / "results.parquet"
            n = len(df)
            if list(df.columns) != ["scenario", "region", "draw", "year", "variable", "value"]:
                raise ValueError("unexpected columns")
    except UserError:
        raise
    except Exception as e:
        raise UserError(
            f"cannot read the run's results: {type(e).__name__}",
            file=folder,
            hint="the folder is damaged or truncated; run the scenario again",
        ) from None
    if expect is None or n != expect:
        raise UserError(
            f"{what.name} holds {n} rows but manifest.json says {expect}",
            file=what,
            hint="the file is truncated or was changed; run the scenario again",
        )
    return df, manifest


def export_job(folder: Path, out: Path, fmt: str = "iamc", region: str = "吉林市") -> tuple[Path, int]:
    """A run folder's results as a file: the city's (default), a division's or ``all`` regions'."""
    from ..run.results import wide

    if fmt not in EXPORT_FORMATS:
        raise UserError(f"--format must be iamc or tidy, got {fmt!r}", key="--format")
    if out.suffix not in (".csv", ".xlsx"):
        raise UserError(f"--out must end in .csv or .xlsx, got {out.name!r}", key="--out")
    df, _ = read_run_folder(folder)
    available = list(dict.fromkeys(map(str, df["region"]))) if "region" in df.columns else ["吉林市"]
    chosen = check_region(region, available)
    if "region" in df.columns and len(chosen) < len(available):
        df = df[df["region"].isin(chosen)].reset_index(drop=True)
    summary = "statistic" in df.columns
    if fmt == "iamc":
        if summary:
            df = df.rename(columns={"statistic": "draw"})
        table = wide(df)
    else:
        table = df
    if out.suffix == ".csv":
        write_file(lambda p: table.to_csv(p, index=False), out)
    else:
        write_file(lambda p: table.to_excel(p, index=False, sheet_name="results"), out)
    return out, len(table)


def export_says(folder: Path, fmt: str) -> str:
    """What an export of this run folder holds, in a line: a Monte Carlo run exports the summary of
    its draws, and names which statistics (never silently a median)."""
    if not (Path(folder) / "summary.csv").is_file():
        return "every result of the run (one draw)"
    try:
        draws = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8")).get("draws")
    except (OSError, ValueError):
        draws = None
    column = "draw" if fmt == "iamc" else "statistic"
    of = f"its {draws:,} draws" if isinstance(draws, int) else "its draws"
    return (
        f"the summary of {of}: q05, q25, q50 (median), q75, q95 and mean, named in the `{column}` "
        "column; each draw's results are in the run folder's results.parquet/"
    )


# ------------------------------------------------------------------ allocate
@dataclass
class AllocationOutcome:
    scenario: object
    year: int
    names: list[str]
    levels: list[str]  # labels, TEACHER_LEVELS order
    pupils: np.ndarray  # (R, L)
    teachers: np.ndarray  # (R, L)
    band: np.ndarray  # (L, 2) low, high
    allocation: object  # sim.stages.teachers.allocation.Allocation
    cost: np.ndarray  # (R, R) yuan a teacher moved on each route
    objective: str


def allocate_job(ref: str, year: int, objective: str | None = None) -> AllocationOutcome:
    """The moves between divisions that bring every division's pupils per teacher into the staffing
    band in ``year``, from the scenario's deterministic run (``edusim allocate``)."""
    import numpy as np

    from ..core.levels import LABEL, TEACHER_LEVELS
    from ..run.simulate import prepare, simulate
    from ..run.tables import division_shapes
    from ..stages.regions import route_costs
    from ..stages.teachers.allocation import allocate

    prep = prepare(ref, draws=1)
    s = prep.scenario
    if s.regions is None or s.teachers is None:
        raise UserError(
            f"{s.name} has no {'regions' if s.regions is None else 'teachers'}: section: nothing to allocate",
            key="SCENARIO",
            hint="allocate moves teachers between divisions: use a scenario that extends baseline",
        )
    year = check_year(prep, year, "--year")
    if objective is not None and objective not in ("moves", "cost"):
        raise UserError(f"--objective must be moves or cost, got {objective!r}", key="--objective")
    objective = objective or s.regions.redeployment.objective
    ctx = simulate(s, prep.tables)
    t = int(np.searchsorted(s.years, year))
    labels = [LABEL[lv] for lv in TEACHER_LEVELS]
    pupils = np.stack([ctx.regional[f"Enrolment|{L}"][0, :, t] for L in labels], axis=1)
    teachers = np.stack([ctx.regional[f"Teachers|Supply|{L}"][0, :, t] for L in labels], axis=1)
    band = np.array(
        [
            [getattr(s.teachers.staffing_band, lv).low, getattr(s.teachers.staffing_band, lv).high]
            for lv in TEACHER_LEVELS
        ]
    )
    names = list(ctx.regions.names)
    shapes = division_shapes()
    seat = {f["properties"]["name"]: f["properties"]["cp"] for f in shapes["features"]}
    missing = [n for n in names if n not in seat]
    if missing and objective == "cost":
        raise UserError(f"no seat for {missing[0]} in data/districts.geojson", hint="use --objective moves")
    seats = np.array([seat.get(n, [0.0, 0.0]) for n in names], dtype=float)
    rd = s.regions.redeployment
    # least cost: a teacher moved further costs more (route_costs, an assumption); fewest moves: one
    # price a teacher, as the model charges when it moves them (regions.redeployment.apply)
    cost = route_costs(seats, rd.cost_per_teacher)
    if objective == "moves":
        cost = np.full_like(cost, rd.cost_per_teacher)
        np.fill_diagonal(cost, 0.0)
    result = allocate(
        pupils,
        teachers,
        band[:, 0],
        band[:, 1],
        cost=cost if objective == "cost" else None,
        cap=np.full(len(names), rd.cap),
        objective=objective,
    )
    return AllocationOutcome(s, year, names, labels, pupils, teachers, band, result, cost, objective)


# ------------------------------------------------------------------ validate, list
def validate_job(ref: str) -> Prepared:
    from ..run.simulate import prepare

    return prepare(ref)


def list_job() -> list[tuple[str, str, str, str]]:
    """(name, zh title, en title or the error, extends) for every shipped scenario."""
    rows = []
    for path in sorted(scenario_dir().glob("*.yaml")):
        try:
            loaded = load(path)
        except UserError as e:
            rows.append((path.stem, "", f"invalid: {e.message}", ""))
            continue
        s = loaded.scenario
        rows.append((path.stem, s.title.zh, s.title.en, ", ".join(p.stem for p in loaded.chain[1:])))
    return rows


# what `run --region all` prints for each division, at 2025 and 2035
DIVISION_INDICATORS = ["Population|Total", "Enrolment|Primary", "Teachers|Gap", "Places|Utilisation|Primary"]


def division_rows(values: dict, regions: list[str], years: list[int], show: list[int]) -> list[tuple]:
    """Rows (region, [value of each of DIVISION_INDICATORS at each year of ``show``]) for the
    regions asked for (the city first); NaN where a run did not keep the variable."""
    from ..core.regions import of_region

    out = []
    for g in regions:
        v = of_region(values, g)
        row = []
        for name in DIVISION_INDICATORS:
            for y in show:
                row.append(float(v[name][years.index(y)]) if name in v else float("nan"))
        out.append((g, row))
    return out


def key_rows(values: dict[str, np.ndarray], years: list[int], show: list[int]) -> list[tuple]:
    """Rows (zh, en, unit, values at ``show``) of the key indicators the run produced."""
    out = []
    for v in KEY_INDICATORS:
        if v in values:
            e = entry(v)
            out.append((e.zh, e.en, e.unit, [float(values[v][years.index(y)]) for y in show]))
    return out
