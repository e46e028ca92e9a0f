"""edusim: the command line. Each command parses its options, calls one function of
``sim.analysis.jobs`` and prints. One error policy for all: a user's error is one line and
exit 2; anything else is a bug, reported in one line (``--debug`` shows the traceback)."""

from __future__ import annotations

import functools
import os
import signal
import sys
from pathlib import Path

# One BLAS thread unless the user says otherwise. OpenBLAS starts a helper thread when numpy is
# imported, and that thread spins: about half of numpy's import cost in CPU time, for every
# command. The model's matrix products are small ((draws, cells) by (cells, cells) in the
# attainment stage) and gain nothing from a second thread; a user's own setting wins (setdefault),
# and it must be set before numpy is first imported, hence here, before anything else.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="edusim — education planning model for Jilin City (吉林市教育规划模拟). "
    "Try: [bold]edusim run baseline[/bold]",
)
_state = {"debug": False}

MAX_DRAWS = 10_000_000

# options shared by several commands: the same name, range and help everywhere
DRAWS = typer.Option(
    None, "--draws", min=1, max=MAX_DRAWS, help="Monte Carlo draws (default: the scenario's `draws:`)."
)
REGION = typer.Option(
    "吉林市",
    "--region",
    help="The city (吉林市, default), one of its divisions (e.g. 蛟河市) or all.",
)
SEED = typer.Option(None, "--seed", min=0, max=2**63 - 1, help="Root seed (default: the scenario's `seed:`).")
WORKERS = typer.Option(
    None, "--workers", min=1, help="Local processes for the draws (default: this process)."
)
SCHEDULER = typer.Option(None, "--scheduler", help="Dask cluster: 'local' or tcp://HOST:PORT.")
LANG = typer.Option("zh", "--lang", help="Language of the page: zh (default) or en.")


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show the traceback of an error.")) -> None:
    _state["debug"] = debug
    # a batch scheduler's SIGTERM cleans up like Ctrl-C: temporary folders are removed
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame):
    # remembered as well as raised: an interrupt that lands inside a compiled extension's import
    # can come back as another error (pybind11 turns it into an ImportError), and the run must
    # still end as interrupted, not as a failed chunk
    _state["terminated"] = True
    raise KeyboardInterrupt


def command(fn):
    """Register a command with the one error policy."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from sim.core.errors import UserError

        try:
            try:
                return fn(*args, **kwargs)
            except typer.Exit:
                raise
            except Exception:
                if _state.get("terminated"):
                    raise KeyboardInterrupt from None
                raise
        except typer.Exit:
            raise
        except UserError as e:
            if _state["debug"]:
                raise
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing was written", err=True)
            raise typer.Exit(code=130) from None
        except Exception as e:
            if _state["debug"]:
                raise
            typer.echo(
                f"internal error: {type(e).__name__}: {e}\n  this is a bug in edusim: run again with "
                f"--debug for the traceback and report it",
                err=True,
            )
            raise typer.Exit(code=1) from None

    return app.command()(wrapper)


def _console():
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=int(os.environ.get("COLUMNS", 200)))


def _progress(total: int, _):
    """A progress bar on stderr; returns the callback that advances it."""
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(stderr=True))
    bar.start()
    task = bar.add_task("draws", total=total)

    def advance(n: int) -> None:
        bar.advance(task, n)
        if bar.finished:
            bar.stop()

    return advance


def _warn(lines) -> None:
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


def _print_key(scenario, values: dict, suffix: str = "") -> None:
    from rich.table import Table

    from sim.analysis.jobs import key_rows
    from sim.core.formatting import fmt

    years = [int(y) for y in scenario.years]
    show = sorted({years[0], 2025, 2035, years[-1]} & set(years))
    t = Table(title=f"{scenario.title.zh} / {scenario.title.en}{suffix}")
    t.add_column("指标 indicator")
    t.add_column("unit")
    for y in show:
        t.add_column(str(y), justify="right")
    for zh, en, unit, vals in key_rows(values, years, show):
        t.add_row(f"{zh}  {en}", unit, *(fmt(v, unit) for v in vals))
    _console().print(t)


def _print_divisions(scenario, values: dict, regions: list[str]) -> None:
    """The city and each division side by side: a few indicators at 2025 and 2035."""
    from rich.table import Table

    from sim.analysis.jobs import DIVISION_INDICATORS, division_rows
    from sim.core.catalogue import entry
    from sim.core.formatting import fmt

    years = [int(y) for y in scenario.years]
    show = [y for y in (2025, 2035) if y in years] or [years[-1]]
    # short headers and people in 万 so that nine columns fit in 100
    heads = {
        "Population|Total": "人口 万\npeople",
        "Enrolment|Primary": "小学生\npupils",
        "Teachers|Gap": "教师余缺\nteachers ±",
        "Places|Utilisation|Primary": "小学学位\n使用率",
    }
    t = Table(title="区县 divisions (教师余缺: + surplus, − shortage; 学位使用率: primary places in use)")
    t.add_column("区县 region", no_wrap=True)
    for name in DIVISION_INDICATORS:
        for y in show:
            t.add_column(f"{heads.get(name, entry(name).zh)}\n{y}", justify="right", no_wrap=True)
    units = [entry(n).unit for n in DIVISION_INDICATORS for _ in show]
    names = [n for n in DIVISION_INDICATORS for _ in show]
    for g, row in division_rows(values, regions, years, show):
        cells = [
            f"{v / 1e4:,.1f}" if n == "Population|Total" and v == v else fmt(v, u)
            for v, u, n in zip(row, units, names, strict=True)
        ]
        t.add_row(g, *cells)
    _console().print(t)


def _table(title: str, df, formats: dict | None = None) -> None:
    from rich.table import Table

    t = Table(title=title)
    for c in df.columns:
        t.add_column(str(c), justify="left" if df[c].dtype == object else "right")
    for _, r in df.iterrows():
        t.add_row(*[(formats or {}).get(c, _cell)(v) for c, v in r.items()])
    _console().print(t)


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


# ====================================================================== commands
@command
def run(
    scenario: str = typer.Argument(..., help="A scenario name in scenarios/ or a path to a YAML file."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write the run into (default outputs/<name>/)."
    ),
    draws: int | None = DRAWS,
    seed: int | None = SEED,
    engine: str = typer.Option(
        "aggregate",
        "--engine",
        help="Teacher supply engine: aggregate (fast) or des (discrete-event, simpy).",
    ),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    chunk: int | None = typer.Option(
        None,
        "--chunk",
        min=1,
        max=MAX_DRAWS,
        help="Draws per chunk sent to a worker (default: chosen from draws, workers and engine).",
    ),
    region: str = REGION,
) -> None:
    """Run a scenario, write a run folder and print the key indicators.

    Example: [bold]edusim run baseline[/bold]
    · [bold]edusim run scenarios/my.yaml --draws 1000 --workers 2[/bold]
    """
    from sim.analysis.jobs import check_region, run_job
    from sim.core.regions import ALL, CITY, of_region, regions_of

    r = run_job(
        scenario, out, draws, seed, engine, workers, scheduler, chunk, progress=_progress, region=region
    )
    suffix = "" if r.draws == 1 else f" — median of {r.draws} draws (summary.csv has the quantiles)"
    chosen = check_region(region, regions_of(r.values))
    if region == ALL:
        _print_key(r.prepared.scenario, of_region(r.values, CITY), suffix)
        _print_divisions(r.prepared.scenario, r.values, chosen)
    else:
        where = "" if chosen[0] == CITY else f" — {chosen[0]}"
        _print_key(r.prepared.scenario, of_region(r.values, chosen[0]), where + suffix)
    _warn(r.warnings)
    typer.echo(f"wrote {r.folder}")
    if r.failed:
        for f in r.failed:
            typer.echo(f"error: {f} (failed twice; these draws are missing)", err=True)
        raise typer.Exit(code=1)


@command
def validate(scenarios: list[str] = typer.Argument(..., help="Scenario names or files.")) -> None:
    """Check scenarios and their data files without running them.

    Example: [bold]edusim validate baseline scenarios/my.yaml[/bold]
    """
    from sim.analysis.jobs import validate_job

    for ref in scenarios:
        s = validate_job(ref).scenario
        typer.echo(f"ok  {ref}  ({s.name}: {s.title.zh} / {s.title.en})")


@command
def list_scenarios() -> None:
    """List the shipped scenarios with their titles.

    Example: [bold]edusim list[/bold]
    """
    from rich.table import Table

    from sim.analysis.jobs import list_job

    t = Table()
    for col in ("name", "标题", "title", "extends"):
        t.add_column(col)
    for row in list_job():
        t.add_row(*row)
    _console().print(t)


app.registered_commands[-1].name = "list"


@command
def targets(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    draws: int | None = DRAWS,
    region: str = REGION,
) -> None:
    """Scorecard: every target of the scenario, met or missed, by how much, and how surely.

    A division's scorecard holds the targets that are rates, ratios or money rules (a count is the city's).

    Example: [bold]edusim targets baseline[/bold] · [bold]edusim targets baseline --region 蛟河市[/bold]
    """
    from sim.analysis.jobs import targets_job

    res, cards = targets_job(scenario, draws, region)
    for where, df in cards:
        _scorecard(res, where, df)
    if not cards:
        typer.echo("no target applies to this region (the counts are the city's)")
    _warn(res.warnings)


def _scorecard(res, where: str, df) -> None:
    from rich.table import Table

    from sim.core.catalogue import label, unit
    from sim.core.formatting import fmt, fmt_margin
    from sim.schema.targets import KIND_LABELS

    t = Table(title=f"目标 targets — {res.scenario.name} — {where}")
    for col in (
        "id",
        "指标 indicator",
        "年 year",
        "目标 target",
        "值 value",
        "",
        "差距 margin",
        "首次达成 first met",
        "概率 P(met)",
        "类型 kind",
    ):
        t.add_column(col)
    for _, r in df.iterrows():
        u = unit(r["indicator"])
        ok = {
            "met": "[green]✓ 达成 met[/green]",
            "by assumption": "[yellow]≈ 假设成立 by assumption[/yellow]",
            "missed": "[red]✗ 未达成 missed[/red]",
        }[r["status"]]
        first = r["first_year_met"]
        first = "—" if first is None or first != first else str(int(first))
        tol = f" ±{r['tolerance']:.0%}" if r["tolerance"] else ""
        t.add_row(
            r["id"],
            label(r["indicator"], "zh"),
            str(r["year"]),
            f"{r['comparison']} {fmt(r['target'], u)}{tol}",
            fmt(r["value"], u),
            ok,
            f"{fmt_margin(r['margin'], u)} ({r['margin_share']:+.1%})",
            first,
            f"{r['probability']:.0%}",
            KIND_LABELS[r["kind"]][0],
        )
    _console().print(t)


@command
def compare(
    scenarios: list[str] = typer.Argument(
        ..., help="Two or more scenario names or files; the first is the reference."
    ),
    years: str = typer.Option("2025,2035", "--years", help="Comma-separated years."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the comparison table: FILE.csv and FILE.xlsx."
    ),
    draws: int | None = DRAWS,
    region: str = REGION,
) -> None:
    """Key indicators side by side for chosen years, with differences against the first scenario.

    Example: [bold]edusim compare baseline tegang-300 no-tegang --years 2025,2035 --out cmp[/bold]
    """
    from sim.analysis.jobs import compare_job
    from sim.core.formatting import fmt

    runs, tables, written = compare_job(scenarios, years, out, draws, region)
    for where, df in tables:
        units = df["unit"].tolist()
        show = df.copy()
        for c in show.columns[2:]:
            show[c] = [fmt(float(v), u) for v, u in zip(df[c], units, strict=True)]
        _table(
            f"情景比较 scenario comparison — {where} (Δ = against {runs[0].scenario.name})",
            show,
            {c: str for c in show.columns},
        )
    for p in written:
        typer.echo(f"wrote {p}")


@command
def report(
    scenarios: list[str] = typer.Argument(..., help="One or more scenario names or files."),
    out: Path | None = typer.Option(
        None, "--out", help="The HTML file to write (default outputs/reports/...)."
    ),
    lang: str = LANG,
    draws: int | None = DRAWS,
) -> None:
    """One self-contained HTML page (works offline) with the scorecard and every chart.

    Example: [bold]edusim report baseline tegang-300 no-tegang --out report.html[/bold]
    """
    from sim.analysis.jobs import report_job

    path = report_job(scenarios, out, lang, draws)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@command
def sensitivity(
    scenario: str = typer.Argument(..., help="A scenario with an uncertainty: block."),
    output: str = typer.Option(
        ..., "--output", help="VARIABLE@YEAR, e.g. 'Teachers|Gap|Primary|Rural@2030'."
    ),
    method: str = typer.Option("sobol", "--method", help="sobol or morris."),
    n: int = typer.Option(
        256,
        "--n",
        min=1,
        max=1_000_000,
        help="Base sample size (sobol: n×(2k+2) runs; morris: n trajectories).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Parent folder of the new result folder (default outputs/sensitivity/)."
    ),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    lang: str = LANG,
) -> None:
    """Which unknowns matter most: Sobol indices (S1, ST with 95 % intervals) or Morris effects.

    Example: [bold]edusim sensitivity my-uncertain.yaml --method sobol --n 512
    --output "Enrolment|Primary@2035"[/bold]
    """
    from sim.analysis.jobs import sensitivity_job

    indices, folder = sensitivity_job(scenario, output, method, n, out, workers, scheduler, lang)
    _table(
        f"{method} — {output}",
        indices,
        {"input": str, **{c: (lambda v: f"{v:.3f}") for c in indices.columns[1:]}},
    )
    typer.echo(f"wrote {folder}")


@command
def sweep(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    lever: list[str] = typer.Option(
        ..., "--lever", help="PATH=LO:HI:STEP (grid) or PATH=LO:HI with --samples."
    ),
    samples: int | None = typer.Option(
        None, "--samples", min=1, max=10_000, help="Latin-hypercube points instead of a grid."
    ),
    draws: int | None = DRAWS,
    out: Path | None = typer.Option(
        None, "--out", help="Parent folder of the new result folder (default outputs/sweeps/)."
    ),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    lang: str = LANG,
) -> None:
    """Probability of meeting each target over a grid of lever values.

    Example: [bold]edusim sweep tegang-300 --lever teachers.tegang.hires=0:400:50 --draws 200[/bold]
    """
    from sim.analysis.jobs import sweep_job

    table, names, folder = sweep_job(
        scenario, lever, samples, draws, out, workers, scheduler, lang, _progress
    )
    wide = table.pivot_table(index=names, columns="target", values="probability").reset_index()
    _table("P(met)", wide, {c: (lambda v: f"{v:.2f}") for c in wide.columns if c not in names})
    typer.echo(f"wrote {folder}")


@command
def solve(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    lever: str = typer.Option(..., "--lever", help="PATH, PATH=LO:HI (default: the range in levers:)."),
    target: str = typer.Option(..., "--target", help="A target id of the scenario."),
    probability: float | None = typer.Option(
        None, "--probability", help="With draws: the chance of meeting it."
    ),
    draws: int | None = DRAWS,
) -> None:
    """The smallest (or largest) lever value at which a target is met, then a run that confirms it.

    Example: [bold]edusim solve vocational-shift --target vocational-students-2025
    --lever students.transitions.vocational_share=0.28:0.5[/bold]
    """
    from sim.analysis.jobs import solve_job

    path, found, row = solve_job(scenario, lever, target, probability, draws)
    met = row["met"] or (probability is not None and row["probability"] >= probability)
    typer.echo(
        f"{found['direction']} {path} meeting '{target}': {found['value']:.6g} {found['note']}".rstrip()
    )
    typer.echo(
        f"confirmed by a run: value {row['value']:.6g}, margin {row['margin']:+.4g}, "
        f"P(met) {row['probability']:.0%} → {'met' if met else 'NOT met'}"
    )


@command
def backtest(
    base: list[int] | None = typer.Option(
        None, "--base", help="Base years to run (default: every one the data allow)."
    ),
    draws: int | None = DRAWS,
    out: Path | None = typer.Option(
        None, "--out", help="Parent folder of the new result folder (default outputs/backtest/)."
    ),
    lang: str = LANG,
) -> None:
    """Forecast error by lead time: run from every base year with data, compare with what was observed.

    Example: [bold]edusim backtest --draws 500[/bold]
    """
    from sim.analysis.backtest import summary_display
    from sim.analysis.jobs import backtest_job

    table, summ, folder = backtest_job(base, draws, out, lang)
    pct = lambda v: "" if v != v else f"{v:.1%}"  # noqa: E731
    apes = [c for c in table.columns if c.startswith("ape")]
    show = table[["base", "lead", "variable", "observed", "model", *apes]]
    show = show.rename(columns={"ape": "ape model"})
    formats = {"base": str, "lead": str, "variable": str} | {c: pct for c in ["ape model", *apes[1:]]}
    _table("回测 back-test: absolute percentage error of the model and the naive methods", show, formats)
    _table(
        "MAPE by lead time · skill = 1 − MAPE model / MAPE naive (same observations; > 0: model better)",
        summary_display(summ),
    )
    typer.echo(f"wrote {folder}")


@command
def explain(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    variable: str | None = typer.Option(None, "--variable", help="A result variable, e.g. 'Teachers|Gap'."),
    year_from: int | None = typer.Option(None, "--from", help="First year (default: the base year)."),
    year_to: int | None = typer.Option(None, "--to", help="Last year (default: the horizon's end)."),
    against: str | None = typer.Option(
        None, "--against", help="Explain the difference from this scenario instead."
    ),
    year: int | None = typer.Option(None, "--year", help="With --against: the year compared (default 2025)."),
    cohort: bool = typer.Option(
        False, "--cohort", help="Show the reconstructed cohort (UIS) of every level."
    ),
    cohort_year: int | None = typer.Option(
        None, "--cohort-year", help="Year of the rates (default: base year)."
    ),
    per_pupil: int | None = typer.Option(
        None,
        "--per-pupil",
        min=0,
        max=20,
        help="With --cohort: at most this many repetitions per pupil over the whole level (the UIS "
        "manual's per-pupil convention); default: no cap.",
    ),
) -> None:
    """Why a number moved: its change split into parts that add up exactly; or the reconstructed cohort.

    Examples: [bold]edusim explain baseline --variable "Teachers|Gap" --from 2020 --to 2030[/bold]
    · [bold]edusim explain tegang-300 --variable "Teachers|Gap" --against baseline --year 2025[/bold]
    · [bold]edusim explain baseline --cohort[/bold]
    """
    from rich.table import Table

    from sim.analysis.explain import PART_LABELS
    from sim.analysis.jobs import cohort_job, explain_job
    from sim.core.errors import UserError

    if cohort:
        prep, df = cohort_job(scenario, cohort_year, per_pupil)
        _table(
            f"重构队列 reconstructed cohort (UNESCO UIS) — {prep.scenario.name}",
            df,
            {"level": str, "grades": str},
        )
        if variable is None:
            return
    if variable is None:
        raise UserError("give --variable VAR (or --cohort)", key="--variable")
    df, head = explain_job(scenario, variable, year_from, year_to, against, year)
    t = Table(title=f"{variable}: {head}")
    t.add_column("part 分项")
    t.add_column("value", justify="right")
    for _, r in df.iterrows():
        t.add_row(f"{PART_LABELS['zh'].get(r['part'], r['part'])}  {r['part']}", f"{r['value']:+,.4g}")
    t.add_row("[b]sum 合计[/b]", f"[b]{df['value'].sum():+,.4g}[/b]")
    t.add_row("change 变化", f"{df.attrs['total']:+,.4g}")
    _console().print(t)
    typer.echo(f"method: {df.attrs['method']}; parts − change = {df.attrs['residual']:.3g}")


@command
def allocate(
    scenario: str = typer.Argument(..., help="A scenario name or file with a regions: section."),
    year: int = typer.Option(..., "--year", help="The school year whose teachers are moved (e.g. 2027)."),
    objective: str | None = typer.Option(
        None,
        "--objective",
        help="moves (fewest teachers moved) or cost (least cost; default: the scenario's).",
    ),
) -> None:
    """Teachers to move between divisions so that every division's pupils per teacher is inside its
    staffing band in a year: the fewest moves (or the least cost), at most the scenario's cap a
    division (a transportation problem, scipy's linprog).

    Example: [bold]edusim allocate baseline --year 2027[/bold]
    """
    from rich.table import Table

    from sim.analysis.jobs import allocate_job

    r = allocate_job(scenario, year, objective)
    a = r.allocation
    t = Table(title=f"调配方案 teacher moves — {r.scenario.name} {r.year} ({r.objective})")
    for col in ("调出 from", "调入 to", "学段 level", "教师 teachers", "费用 cost (元)"):
        t.add_column(col, justify="right" if col.startswith(("教师", "费用")) else "left")
    index = {n: i for i, n in enumerate(r.names)}
    for frm, to, level, n in a.table(r.names, r.levels):
        t.add_row(frm, to, level, f"{n:,}", f"{n * r.cost[index[frm], index[to]]:,.0f}")
    _console().print(t)
    d = Table(title="区县 divisions: teachers outside the band before → after (+ above, − short)")
    d.add_column("区县 division")
    for L in r.levels:
        d.add_column(L, justify="right")
    for i, n in enumerate(r.names):
        d.add_row(
            n, *(f"{int(a.gap_before[i, k]):+,} → {int(a.gap_after[i, k]):+,}" for k in range(len(r.levels)))
        )
    _console().print(d)
    cost = float((a.moves * r.cost[:, :, None]).sum())
    typer.echo(
        f"moved {a.total_moved:,} teachers, cost {cost:,.0f} yuan; "
        + ("every division inside its band" if a.feasible else "some divisions stay outside their band")
        + f" (solver: {a.solver})"
    )


@command
def export(
    run_folder: Path = typer.Argument(..., help="A folder written by `edusim run`."),
    out: Path = typer.Option(..., "--out", help="The file to write: .csv or .xlsx."),
    fmt: str = typer.Option(
        "iamc", "--format", help="iamc (wide: one column per year, with unit and labels) or tidy."
    ),
    region: str = REGION,
) -> None:
    """Export a run's results for other tools: IAMC wide format or the tidy table, as CSV or Excel.

    A Monte Carlo run exports its summary: each variable's quantiles and mean, named in the
    `draw` (iamc) or `statistic` (tidy) column.

    Example: [bold]edusim export outputs/baseline/20251201-101500-1a2b3c4d --out baseline.xlsx[/bold]
    """
    from sim.analysis.jobs import export_job

    path, n = export_job(run_folder, out, fmt, region)
    typer.echo(f"wrote {path} ({n} rows)")


if __name__ == "__main__":
    app()
