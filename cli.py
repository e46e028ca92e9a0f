"""edusim: the command line. Parsing and printing only; the model lives in ``sim``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="edusim — education planning model for Jilin City (吉林市教育规划模拟). "
                       "Try: [bold]edusim run baseline[/bold]")

_state = {"debug": False}

KEY_INDICATORS = [
    "Population|Births", "Population|Age 3-5", "Population|Age 15-17",
    "Enrolment|Preschool", "GER|Preschool", "Enrolment|Primary", "NER|Primary",
    "Enrolment|Junior", "NER|Junior", "Consolidation rate|Compulsory",
    "Enrolment|Upper secondary", "GER|Upper secondary", "Enrolment|Secondary vocational",
    "Mean years of schooling|Working age",
    "Teachers|Demand", "Teachers|Supply", "Teachers|Gap",
    "Teachers|Gap|Primary|Rural", "Teachers|Gap|Junior|Rural",
    "Teachers|Retirements", "Teachers|Tegang|Hires", "Teachers|Tegang|In contract",
    "Teachers|Subject demand|PE", "Teachers|Subject demand|Arts",
    "Spending|Total", "Budget|Envelope", "Budget|Gap", "Spending|Per student|Primary",
    "Pay|Teachers|Compulsory", "Pay|Civil servants",
    "Rule|Spending does not fall", "Rule|Per student does not fall", "Rule|Teacher pay at least civil servants",
]


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show a traceback on errors.")) -> None:
    _state["debug"] = debug


def _fail(err: Exception) -> None:
    """A user's error: one clear message, exit 2; a traceback only with --debug."""
    if _state["debug"]:
        raise err
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=2)


def _user_errors():
    from sim.scenario import ScenarioError
    return (ScenarioError,)


def _console():
    """Rich console; wide when printing to a file or a pipe, so tables are not squeezed to 80 columns."""
    from rich.console import Console
    return Console() if sys.stdout.isatty() else Console(width=200)


def _fmt(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "years":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _print_table(scenario, values: dict, title_suffix: str = "") -> None:
    """Key indicators for the base year, 2025, 2035 and the last year; ``values``: {variable: (T,)}."""
    from rich.table import Table

    from sim.results import catalogue

    cat = catalogue()
    years = list(scenario.years)
    show = sorted({years[0], 2025, 2035, years[-1]} & set(years))
    t = Table(title=f"{scenario.title.zh} / {scenario.title.en}{title_suffix}")
    t.add_column("指标 indicator")
    t.add_column("unit")
    for y in show:
        t.add_column(str(y), justify="right")
    for v in KEY_INDICATORS:
        if v in values:
            row = cat.loc[v]
            t.add_row(f"{row.zh}  {row.en}", row.unit, *(_fmt(float(values[v][years.index(y)]), row.unit) for y in show))
    _console().print(t)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="A scenario name in scenarios/ or a path to a YAML file."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder to write the run into (default outputs/<name>/)."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of Monte Carlo draws (default: the scenario's)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Root seed (default: the scenario's)."),
    engine: str = typer.Option("aggregate", "--engine", help="Teacher supply engine: aggregate (fast) or des (discrete-event, simpy)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Local processes for the draws (default: this process)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask: 'local' or tcp://HOST:PORT."),
    chunk: int = typer.Option(500, "--chunk", help="Draws per chunk sent to a worker."),
) -> None:
    """Run a scenario, write a run folder and print the key indicators.

    Example: [bold]edusim run baseline[/bold]  ·  [bold]edusim run scenarios/my.yaml --draws 1000 --workers 2[/bold]
    """
    from sim.executors import ExecutorError, open_executor
    from sim.runner import prepare, simulate_scenario, write_monte_carlo, write_run
    from sim.scenario import ScenarioError

    try:
        if draws is not None and draws <= 0:
            raise ScenarioError(f"--draws must be at least 1, got {draws}")
        if engine not in ("aggregate", "des"):
            raise ScenarioError(f"--engine must be 'aggregate' or 'des', got '{engine}'")
        if chunk <= 0:
            raise ScenarioError(f"--chunk must be at least 1, got {chunk}")
        options = {"engine": engine}
        loaded, tables, paths = prepare(scenario, draws, seed)
        if loaded.scenario.draws == 1:
            res = simulate_scenario(scenario, draws=draws, seed=seed, options=options)
            folder = write_run(res, out)
            _print_table(res.scenario, {k: v.mean(axis=0) for k, v in res.results.items()})
            typer.echo(f"wrote {folder}")
            return
        from rich.progress import Progress
        with open_executor(workers, scheduler) as ex, Progress(transient=True) as progress:
            task = progress.add_task("draws", total=loaded.scenario.draws)
            folder, medians, failed = write_monte_carlo(
                loaded, tables, paths, out, options, ex, chunk, on_done=lambda n: progress.advance(task, n))
    except (ExecutorError, *_user_errors()) as e:
        _fail(e)
        return
    _print_table(loaded.scenario, medians,
                 f" — median of {loaded.scenario.draws} draws (summary.csv has the quantiles)")
    typer.echo(f"wrote {folder}")
    if failed:
        for f in failed:
            typer.echo(f"error: draws {f.draws[0]}-{f.draws[-1]} failed twice: {f.error}", err=True)
        raise typer.Exit(code=1)


def _run_all(scenarios: list[str], draws: Optional[int] = None):
    from sim.runner import simulate_scenario
    return [simulate_scenario(ref, draws=draws) for ref in scenarios]


@app.command()
def targets(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of draws (default: the scenario's)."),
) -> None:
    """Scorecard: every target of the scenario, met or missed, by how much, and how surely.

    Example: [bold]edusim targets baseline[/bold]
    """
    from rich.console import Console
    from rich.table import Table

    from sim.report.figures import _fmt, _fmt_margin, var_label
    from sim.targets import KIND_LABELS, evaluate

    try:
        res = _run_all([scenario], draws)[0]
        table_df = evaluate(res.scenario.targets, res.results, res.years)
    except _user_errors() + (KeyError,) as e:
        _fail(e)
        return
    t = Table(title=f"目标 targets — {res.scenario.name}")
    for col in ("id", "指标 indicator", "年 year", "目标 target", "值 value", "", "差距 margin", "首次达成 first met",
                "概率 P(met)", "类型 kind"):
        t.add_column(col)
    for _, r in table_df.iterrows():
        ok = "[green]✓ 达成 met[/green]" if r["met"] else "[red]✗ 未达成 missed[/red]"
        first = "—" if r["first_year_met"] is None or r["first_year_met"] != r["first_year_met"] else str(int(r["first_year_met"]))
        t.add_row(r["id"], var_label(r["indicator"], "zh"), str(r["year"]),
                  f"{r['comparison']} {_fmt(r['target'], r['indicator'])}" + (f" ±{r['tolerance']:.0%}" if r["tolerance"] else ""),
                  _fmt(r["value"], r["indicator"]), ok,
                  f"{_fmt_margin(r['margin'], r['indicator'])} ({r['margin_share']:+.1%})", first,
                  f"{r['probability']:.0%}", KIND_LABELS[r["kind"]][0])
    _console().print(t)


@app.command()
def compare(
    scenarios: List[str] = typer.Argument(..., help="Two or more scenario names or files; the first is the reference."),
    years: str = typer.Option("2025,2035", "--years", help="Comma-separated years."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the comparison table: FILE.csv and FILE.xlsx."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of draws (default: each scenario's)."),
) -> None:
    """Key indicators side by side for chosen years, with differences against the first scenario.

    Example: [bold]edusim compare baseline tegang-300 no-tegang --years 2025,2035 --out cmp[/bold]
    """
    from rich.console import Console
    from rich.table import Table

    from sim.compare import comparison_table, write_comparison
    from sim.scenario import ScenarioError

    try:
        wanted = [int(y) for y in years.split(",") if y.strip()]
        runs = _run_all(scenarios, draws)
        df = comparison_table(runs, KEY_INDICATORS, wanted)
        if out is not None:
            write_comparison(df, out)
    except ValueError as e:
        _fail(ScenarioError(f"--years takes years such as 2025,2035 ({e})"))
        return
    except _user_errors() as e:
        _fail(e)
        return
    t = Table(title="情景比较 scenario comparison (Δ = against " + runs[0].scenario.name + ")")
    for c in df.columns:
        t.add_column(str(c), justify="left" if c in ("indicator", "unit") else "right")
    for _, r in df.iterrows():
        t.add_row(*[_cell(v, r["unit"]) for v in r.values])
    _console().print(t)
    if out is not None:
        typer.echo(f"wrote {out.with_suffix('.csv')} and {out.with_suffix('.xlsx')}")


def _cell(v, unit) -> str:
    if isinstance(v, str):
        return v
    return _fmt(float(v), unit)


@app.command()
def report(
    scenarios: List[str] = typer.Argument(..., help="One or more scenario names or files."),
    out: Optional[Path] = typer.Option(None, "--out", help="The HTML file to write (default outputs/reports/...)."),
    lang: str = typer.Option("zh", "--lang", help="zh (default) or en."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of draws (default: each scenario's)."),
) -> None:
    """One self-contained HTML page (works offline) with the scorecard and every chart.

    Example: [bold]edusim report baseline tegang-300 no-tegang --out report.html[/bold]
    """
    from sim import __version__
    from sim.report.page import build_page, from_run
    from sim.runner import write_text_atomic
    from sim.scenario import ScenarioError

    try:
        if lang not in ("zh", "en"):
            raise ScenarioError(f"--lang must be zh or en, got '{lang}'")
        runs = _run_all(scenarios, draws)
        from sim.cohort import cohort_table
        from sim.explain import for_report
        from sim.report.page import cohort_html, explain_figures
        from sim.runner import prepare, simulate
        loaded, tables, _ = prepare(scenarios[0], draws=1)
        decompositions = for_report(loaded.scenario, tables, lambda sc: simulate(sc, tables).results)
        page = build_page([from_run(r) for r in runs], lang=lang, version=__version__,
                          extra=explain_figures(decompositions, lang),
                          tables_html=cohort_html(cohort_table(loaded.scenario), lang))
        path = write_text_atomic(page, out, "-".join(r.scenario.name for r in runs))
    except _user_errors() + (KeyError,) as e:
        _fail(e)
        return
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _out_folder(kind: str, name: str) -> Path:
    from datetime import datetime
    return Path("outputs") / kind / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


@app.command()
def sensitivity(
    scenario: str = typer.Argument(..., help="A scenario with an uncertainty: block."),
    method: str = typer.Option("sobol", "--method", help="sobol or morris."),
    n: int = typer.Option(256, "--n", help="Base sample size (sobol: n×(2k+2) runs; morris: n trajectories)."),
    output: str = typer.Option(..., "--output", help="VARIABLE@YEAR, e.g. 'Teachers|Gap|Primary|Rural@2030'."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for indices.csv and report.html."),
    workers: Optional[int] = typer.Option(None, "--workers"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler"),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """Which unknowns matter most: Sobol indices (S1, ST with 95 % intervals) or Morris effects.

    Example: [bold]edusim sensitivity my-uncertain.yaml --method sobol --n 512 --output "Enrolment|Primary@2035"[/bold]
    """
    from rich.table import Table

    from sim import __version__
    from sim.executors import ExecutorError, open_executor
    from sim.report.figures import tornado
    from sim.report.page import render
    from sim.runner import prepare, write_text_atomic
    from sim.scenario import ScenarioError
    from sim.sensitivity import analyse, model_output

    try:
        variable, _, year = output.rpartition("@")
        if not variable or not year.isdigit():
            raise ScenarioError(f"--output must be VARIABLE@YEAR, got '{output}'")
        if method not in ("sobol", "morris"):
            raise ScenarioError(f"--method must be sobol or morris, got '{method}'")
        if n <= 0:
            raise ScenarioError(f"--n must be at least 1, got {n}")
        loaded, tables, _ = prepare(scenario)
        s = loaded.scenario
        from sim.results import catalogue
        if variable not in catalogue().index:
            raise ScenarioError(f"the model does not produce '{variable}'")
        with open_executor(workers, scheduler) as ex:
            names, model = model_output(s, tables, variable, int(year), executor=ex)
            indices = analyse(method, names, model, n, seed=s.seed)
        folder = out or _out_folder("sensitivity", s.name)
        title = f"{s.name}: {variable} @ {year} ({method})"
        page = render(title, f"<p>{html_escape(title)}</p>", [(title, tornado(indices, lang, title))], lang,
                      __version__, tables_html=indices.to_html(index=False, float_format=lambda v: f"{v:.3f}"))
        write_text_atomic(indices.to_csv(index=False), Path(folder) / "indices.csv", "", ".csv")
        write_text_atomic(page, Path(folder) / "report.html", "", ".html")
    except (ExecutorError, ValueError, KeyError, *_user_errors()) as e:
        _fail(e)
        return
    t = Table(title=f"{method} — {variable} @ {year}")
    for c in indices.columns:
        t.add_column(c)
    for _, r in indices.iterrows():
        t.add_row(*[r["input"]] + [f"{v:.3f}" for v in r.values[1:]])
    _console().print(t)
    typer.echo(f"wrote {folder}")


def html_escape(text: str) -> str:
    import html
    return html.escape(text)


@app.command()
def sweep(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    lever: List[str] = typer.Option(..., "--lever", help="PATH=LO:HI:STEP (grid) or PATH=LO:HI with --samples."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Latin-hypercube points instead of a grid."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Monte Carlo draws at each point."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for sweep.csv and report.html."),
    workers: Optional[int] = typer.Option(None, "--workers"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler"),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """Probability of meeting each target over a grid of lever values.

    Example: [bold]edusim sweep baseline --lever teachers.tegang.hires=0:400:50 --draws 200[/bold]
    """
    from rich.progress import Progress

    from sim import __version__
    from sim.executors import ExecutorError, open_executor
    from sim.report.figures import heatmap, probability_lines
    from sim.report.page import render
    from sim.runner import prepare, write_text_atomic
    from sim.scenario import ScenarioError
    from sim.sweep import design, parse_lever
    from sim.sweep import sweep as run_sweep
    from sim.uncertainty import resolve

    try:
        if draws is not None and draws <= 0:
            raise ScenarioError(f"--draws must be at least 1, got {draws}")
        loaded, tables, _ = prepare(scenario, draws)
        s = loaded.scenario
        levers = [parse_lever(text, s.levers) for text in lever]
        for path, _ in levers:
            resolve(s, path)
        points = design(levers, samples, seed=s.seed)
        with open_executor(workers, scheduler) as ex, Progress(transient=True) as progress:
            task = progress.add_task("lever points", total=len(points))
            table = run_sweep(s, tables, points, executor=ex, on_point=lambda k: progress.advance(task, k))
        names = [p for p, _ in levers]
        figs = []
        if len(names) == 2 and not samples:
            figs = [(t, heatmap(table, names[0], names[1], t, lang, "P(met)")) for t in dict.fromkeys(table["target"])]
        else:
            figs = [("P(met)", probability_lines(table, names[0], lang, "P(met)"))]
        folder = out or _out_folder("sweeps", s.name)
        write_text_atomic(table.to_csv(index=False), Path(folder) / "sweep.csv", "", ".csv")
        write_text_atomic(render(f"{s.name}: sweep", "", figs, lang, __version__), Path(folder) / "report.html", "", ".html")
    except (ExecutorError, ValueError, KeyError, *_user_errors()) as e:
        _fail(e)
        return
    wide = table.pivot_table(index=names, columns="target", values="probability").reset_index()
    _console().print(wide.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    typer.echo(f"wrote {folder}")


@app.command()
def solve(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    lever: str = typer.Option(..., "--lever", help="PATH, PATH=LO:HI (default: the range in levers:)."),
    target: str = typer.Option(..., "--target", help="A target id of the scenario."),
    probability: Optional[float] = typer.Option(None, "--probability", help="With draws: the chance of meeting it."),
    draws: Optional[int] = typer.Option(None, "--draws"),
) -> None:
    """The smallest (or largest) lever value at which a target is met, then a run that confirms it.

    Example: [bold]edusim solve vocational-shift --lever students.transitions.vocational_share=0.28:0.5 --target vocational-students-2025[/bold]
    """
    from sim.runner import prepare
    from sim.scenario import ScenarioError
    from sim.sweep import run_point, parse_lever
    from sim.sweep import solve as run_solve
    from sim.uncertainty import resolve

    try:
        if probability is not None and not 0 < probability <= 1:
            raise ScenarioError(f"--probability must be in (0, 1], got {probability}")
        loaded, tables, _ = prepare(scenario, draws)
        s = loaded.scenario
        path, rng = parse_lever(lever, s.levers)
        resolve(s, path)
        if probability is not None and s.draws == 1:
            raise ScenarioError("--probability needs draws: add --draws N (and an uncertainty: block)")
        found = run_solve(s, tables, path, target, min(rng), max(rng), probability)
        _, check = run_point(s, tables, {path: found["value"]})
        row = check[check["id"] == target].iloc[0]
    except (ValueError, KeyError, *_user_errors()) as e:
        _fail(e)
        return
    typer.echo(f"{found['direction']} {path} meeting '{target}': {found['value']:.6g} {found['note']}".rstrip())
    typer.echo(f"confirmed by a run: value {row['value']:.6g}, margin {row['margin']:+.4g}, "
               f"P(met) {row['probability']:.0%} → {'met' if row['met'] or (probability and row['probability'] >= probability) else 'NOT met'}")


@app.command()
def backtest(
    base: Optional[List[int]] = typer.Option(None, "--base", help="Base years to run (default: every one the data allow)."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Draws for intervals (each back-test's uncertainty: block)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for backtest.csv, summary.csv and report.html."),
    lang: str = typer.Option("zh", "--lang"),
) -> None:
    """Forecast error by lead time: run from every base year with data, compare with what was observed.

    Example: [bold]edusim backtest --draws 500[/bold]
    """
    import pandas as pd
    from rich.table import Table

    from sim import __version__
    from sim.backtest import base_years, compare, observed, summary
    from sim.report.figures import backtest_chart
    from sim.report.page import render
    from sim.runner import simulate_scenario, write_text_atomic
    from sim.scenario import ScenarioError

    try:
        if draws is not None and draws <= 0:
            raise ScenarioError(f"--draws must be at least 1, got {draws}")
        available = base_years()
        wanted = base or list(available)
        missing = [b for b in wanted if b not in available]
        if missing:
            raise ScenarioError(f"no back-test data for base year {missing[0]}",
                                hint=f"base years with a scenario and later observations: {', '.join(map(str, available))}")
        obs = observed()
        rows = []
        for b in wanted:
            res = simulate_scenario(available[b], draws=draws)
            rows.append(compare(b, res.results, res.years, obs))
        table = pd.concat(rows, ignore_index=True)
        summ = summary(table)
        folder = out or _out_folder("backtest", "all")
        write_text_atomic(table.to_csv(index=False), Path(folder) / "backtest.csv", "", ".csv")
        write_text_atomic(summ.to_csv(index=False), Path(folder) / "summary.csv", "", ".csv")
        page = render("回测：预测误差" if lang == "zh" else "Back-test: forecast error", "",
                      [("error", backtest_chart(table, lang))], lang, __version__,
                      tables_html=summ.to_html(index=False, float_format=lambda v: f"{v:.3f}")
                      + table.drop(columns=["source"]).to_html(index=False, float_format=lambda v: f"{v:.4g}"))
        write_text_atomic(page, Path(folder) / "report.html", "", ".html")
    except _user_errors() as e:
        _fail(e)
        return
    t = Table(title="回测 back-test: model − observed")
    for c in ("base", "lead", "variable", "observed", "model", "error", "APE", "in 50%", "in 90%"):
        t.add_column(c)
    for _, r in table.iterrows():
        t.add_row(str(r["base"]), str(r["lead"]), r["variable"], f"{r['observed']:.4g}", f"{r['model']:.4g}",
                  f"{r['error']:+.4g}", f"{r['ape']:.1%}", "" if r["in50"] is None else ("✓" if r["in50"] else "✗"),
                  "" if r["in90"] is None else ("✓" if r["in90"] else "✗"))
    _console().print(t)
    _console().print(summ.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"wrote {folder}")


@app.command()
def explain(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    variable: Optional[str] = typer.Option(None, "--variable", help="A result variable, e.g. 'Teachers|Gap'."),
    year_from: Optional[int] = typer.Option(None, "--from", help="First year (default: the base year)."),
    year_to: Optional[int] = typer.Option(None, "--to", help="Last year (default: the horizon's end)."),
    against: Optional[str] = typer.Option(None, "--against", help="Explain the difference from this scenario instead."),
    year: Optional[int] = typer.Option(None, "--year", help="With --against: the year compared (default 2025)."),
    cohort: bool = typer.Option(False, "--cohort", help="Show the reconstructed cohort (UIS) of every level."),
    cohort_year: Optional[int] = typer.Option(None, "--cohort-year", help="Year of the rates (default: base year)."),
) -> None:
    """Why a number moved: its change split into parts that add up exactly; or the reconstructed cohort.

    Examples: [bold]edusim explain baseline --variable "Teachers|Gap" --from 2020 --to 2030[/bold]
    · [bold]edusim explain tegang-300 --variable "Teachers|Gap" --against baseline --year 2025[/bold]
    · [bold]edusim explain baseline --cohort[/bold]
    """
    from rich.table import Table

    from sim.cohort import cohort_table
    from sim.explain import PART_LABELS, between_scenarios, between_years
    from sim.runner import prepare, simulate
    from sim.scenario import ScenarioError

    try:
        loaded, tables, _ = prepare(scenario, draws=1)
        s = loaded.scenario
        if cohort:
            df = cohort_table(s, cohort_year)
            t = Table(title=f"重构队列 reconstructed cohort (UNESCO UIS) — {s.name}, rates of {cohort_year or s.horizon.start}")
            for c in df.columns:
                t.add_column(c)
            for _, r in df.iterrows():
                t.add_row(r["level"], str(r["grades"]), f"{r['survival to last grade']:.4f}",
                          f"{r['graduates per 1,000']:.1f}", f"{r['years per graduate']:.3f}",
                          f"{r['coefficient of efficiency']:.4f}")
            _console().print(t)
            if variable is None:
                return
        if variable is None:
            raise ScenarioError("give --variable VAR (or --cohort)")
        run = lambda sc: simulate(sc, tables).results  # noqa: E731
        produced = run(s)
        if variable not in produced:
            import difflib
            close = difflib.get_close_matches(variable, list(produced), n=1)
            raise ScenarioError(f"the model does not produce '{variable}'",
                                hint=f"did you mean '{close[0]}'?" if close else None)
        first, last = int(s.years[0]), int(s.years[-1])

        def inside(y, what):
            if not first <= y <= last:
                raise ScenarioError(f"{what} {y} is outside the horizon {first}-{last}")
            return y

        if against is not None:
            other = prepare(against, draws=1)[0].scenario
            y = inside(year or 2025, "--year")
            df = between_scenarios(other, s, tables, variable, y, run)
            head = f"{variable}: {s.name} − {other.name} in {y}"
        else:
            y1, y2 = inside(year_from or first, "--from"), inside(year_to or last, "--to")
            if y2 <= y1:
                raise ScenarioError(f"--to ({y2}) must be after --from ({y1})")
            df = between_years(s, tables, variable, y1, y2, run)
            head = f"{variable}: {y1} → {y2} ({s.name})"
    except (ValueError, *_user_errors()) as e:
        _fail(e if not isinstance(e, ValueError) or isinstance(e, ScenarioError) else ScenarioError(str(e)))
        return
    t = Table(title=head)
    t.add_column("part 分项")
    t.add_column("value", justify="right")
    for _, r in df.iterrows():
        t.add_row(f"{PART_LABELS['zh'].get(r['part'], r['part'])}  {r['part']}", f"{r['value']:+,.4g}")
    t.add_row("[b]sum 合计[/b]", f"[b]{df['value'].sum():+,.4g}[/b]")
    t.add_row("change 变化", f"{df.attrs['total']:+,.4g}")
    _console().print(t)
    typer.echo(f"method: {df.attrs['method']}; parts − change = {df.attrs['residual']:.3g}")


@app.command()
def export(
    run_folder: Path = typer.Argument(..., help="A folder written by `edusim run`."),
    out: Path = typer.Option(..., "--out", help="The file to write: .csv or .xlsx."),
    fmt: str = typer.Option("iamc", "--format", help="iamc (wide: one column per year, with unit and labels) or tidy."),
) -> None:
    """Export a run's results for other tools: IAMC wide format or the tidy table, as CSV or Excel.

    Example: [bold]edusim export outputs/baseline/20251201-101500-1a2b3c4d --out baseline.xlsx[/bold]
    """
    import pandas as pd

    from sim.results import catalogue, wide
    from sim.runner import write_text_atomic
    from sim.scenario import ScenarioError

    try:
        if fmt not in ("iamc", "tidy"):
            raise ScenarioError(f"--format must be iamc or tidy, got '{fmt}'")
        if out.suffix not in (".csv", ".xlsx"):
            raise ScenarioError(f"--out must end in .csv or .xlsx, got '{out.name}'")
        if (run_folder / "summary.csv").is_file():        # a Monte Carlo run: its medians
            summ = pd.read_csv(run_folder / "summary.csv")
            df = summ.rename(columns={"q50": "value"})[["scenario", "year", "variable", "value"]].assign(draw=-1)
        elif (run_folder / "results.parquet").is_file():
            df = pd.read_parquet(run_folder / "results.parquet")
        else:
            raise ScenarioError(f"{run_folder} is not a run folder (no results.parquet)",
                                hint="give a folder that `edusim run` wrote, under outputs/<name>/")
        table = wide(df) if fmt == "iamc" else df
        if fmt == "iamc":
            cat = catalogue()
            table.insert(4, "label_zh", [cat.at[v, "zh"] if v in cat.index else "" for v in table["variable"]])
            table.insert(5, "label_en", [cat.at[v, "en"] if v in cat.index else "" for v in table["variable"]])
        if out.suffix == ".csv":
            write_text_atomic(table.to_csv(index=False), out, "", ".csv")
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.partial.xlsx")
            table.to_excel(tmp, index=False, sheet_name="results")
            tmp.replace(out)
    except (OSError, *_user_errors()) as e:
        _fail(e if not isinstance(e, OSError) else ScenarioError(f"cannot write {out}: {e}"))
        return
    typer.echo(f"wrote {out} ({len(table)} rows)")


@app.command()
def validate(scenarios: List[str] = typer.Argument(..., help="Scenario names or files.")) -> None:
    """Check scenarios without running them.

    Example: [bold]edusim validate baseline scenarios/my.yaml[/bold]
    """
    from sim.runner import read_tables
    from sim.scenario import load

    for ref in scenarios:
        try:
            loaded = load(ref)
            read_tables(loaded)
        except _user_errors() as e:
            _fail(e)
            return
        typer.echo(f"ok  {ref}  ({loaded.scenario.name}: {loaded.scenario.title.zh} / {loaded.scenario.title.en})")


@app.command("list")
def list_scenarios() -> None:
    """List the scenarios in scenarios/ with their titles.

    Example: [bold]edusim list[/bold]
    """
    from rich.console import Console
    from rich.table import Table

    from sim.scenario import SCENARIO_DIR, ScenarioError, load

    table = Table()
    for col in ("name", "标题", "title", "extends"):
        table.add_column(col)
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        try:
            loaded = load(path)
        except ScenarioError as e:
            table.add_row(path.stem, "", f"[red]invalid: {e.message}[/red]", "")
            continue
        s = loaded.scenario
        table.add_row(path.stem, s.title.zh, s.title.en, ", ".join(p.stem for p in loaded.chain[1:]))
    _console().print(table)


if __name__ == "__main__":
    app()
