"""edusim: the command line. Each command parses its options, calls one function of
``sim.analysis.jobs`` and prints. One error policy for all: a user's error is one line and
exit 2; anything else is a bug, reported in one line (``--debug`` shows the traceback)."""

from __future__ import annotations

import functools
import os
import signal
from pathlib import Path

# One BLAS thread unless the user says otherwise. OpenBLAS starts a helper thread when numpy is
# imported, and that thread spins: about half of numpy's import cost in CPU time, for every
# command. The model's matrix products are small ((draws, cells) by (cells, cells) in the
# attainment stage) and gain nothing from a second thread; a user's own setting wins (setdefault),
# and it must be set before numpy is first imported, hence here, before anything else.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402

from sim.core import terminal  # noqa: E402  (tables that fit the terminal)

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


def _progress(total: int, _):
    """A progress bar on stderr when stderr is a terminal (also when stdout is piped); otherwise one
    line on stderr when the work is done. Returns the callback that advances it."""
    import time

    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal:
        start, done = time.perf_counter(), [0]

        def count(n: int) -> None:
            done[0] += n
            if done[0] >= total:
                typer.echo(f"done: {done[0]:,} of {total:,} in {time.perf_counter() - start:.1f} s", err=True)

        return count

    from rich.progress import Progress

    bar = Progress(transient=True, console=err)
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
    from sim.analysis.jobs import key_rows
    from sim.core.formatting import fmt

    years = [int(y) for y in scenario.years]
    show = sorted({years[0], 2025, 2035, years[-1]} & set(years))
    rows = key_rows(values, years, show)
    lead = [terminal.label_col("指标 indicator", [terminal.label(zh, en, u) for zh, en, u, _ in rows], 16)]
    blocks = [[(str(y), [fmt(r[3][k], r[2], compact=True) for r in rows])] for k, y in enumerate(show)]
    terminal.fitted(
        f"{scenario.title.zh} / {scenario.title.en}{suffix}",
        lead,
        blocks,
        "万 = 10,000 · 亿 = 100,000,000 · ✓ rule holds, ✗ breached",
    )


def _print_divisions(scenario, values: dict, regions: list[str]) -> None:
    """The city and each division side by side: a few indicators at 2025 and 2035."""
    from sim.analysis.jobs import DIVISION_INDICATORS, division_rows
    from sim.core.catalogue import entry
    from sim.core.formatting import fmt

    years = [int(y) for y in scenario.years]
    show = [y for y in (2025, 2035) if y in years] or [years[-1]]
    # short headers and people in 万 so that nine columns fit in 100
    heads = {
        "Population|Total": "人口 万 people",
        "Enrolment|Primary": "小学生 pupils",
        "Teachers|Gap": "教师余缺 teachers ±",
        "Places|Utilisation|Primary": "小学学位 使用率",
    }
    rows = division_rows(values, regions, years, show)
    blocks = []
    for i, name in enumerate(DIVISION_INDICATORS):
        block = []
        for k, y in enumerate(show):
            col = [row[i * len(show) + k] for _, row in rows]
            if name == "Population|Total":
                cells = ["—" if v != v else f"{v / 1e4:,.1f}" for v in col]
            else:
                cells = [fmt(v, entry(name).unit, compact=True) for v in col]
            block.append((f"{heads.get(name, entry(name).zh)} {y}", cells))
        blocks.append(block)
    terminal.fitted(
        "区县 divisions (教师余缺: + surplus, − shortage; 学位使用率: primary places in use)",
        [terminal.label_col("区县 region", [g for g, _ in rows], 6)],
        blocks,
    )


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
        p = validate_job(ref)
        s = p.scenario
        _warn(p.loaded.warnings)
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
        t.add_column(col, overflow="fold")
    for row in list_job():
        t.add_row(*row)
    terminal.console().print(t)


app.registered_commands[-1].name = "list"


@command
def targets(
    scenario: str = typer.Argument(..., help="A scenario name or file."),
    draws: int | None = DRAWS,
    region: str = REGION,
    wide: bool = typer.Option(
        False, "--wide", help="Every column (target ids, first year met), however wide the terminal."
    ),
) -> None:
    """Scorecard: every target of the scenario, met or missed, by how much, and how surely.

    A division's scorecard holds the targets that are rates, ratios or money rules (a count is the city's).

    Example: [bold]edusim targets baseline[/bold] · [bold]edusim targets baseline --region 蛟河市[/bold]
    """
    from sim.analysis.jobs import targets_job

    res, cards = targets_job(scenario, draws, region)
    for where, df in cards:
        _scorecard(res, where, df, wide)
    if not cards:
        typer.echo("no target applies to this region (the counts are the city's)")
    _warn(res.warnings)


def _scorecard(res, where: str, df, wide: bool = False) -> None:
    """The scorecard in the terminal's width: indicator (wrapped), year, target, value, mark, margin
    in the target's unit, P(met) (with draws), kind; the ids and the first year met when they fit
    (or ``--wide``)."""
    from rich.table import Table
    from rich.text import Text

    from sim.core.catalogue import label, unit
    from sim.core.formatting import RULE_UNIT, fmt, fmt_margin, year_span
    from sim.schema.targets import KIND_LABELS

    draws = len(res.draw_index)
    marks = {"met": ("✓", "green"), "by assumption": ("≈", "yellow"), "missed": ("✗", "red")}
    sign = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "within": "≈", "==": "="}
    cols: dict[str, list] = {k: [] for k in ("id", "ind", "year", "target", "value", "mark", "margin")}
    cols |= {"p": [], "kind": [], "first": []}
    for _, r in df.iterrows():
        u = unit(r["indicator"])
        cols["id"].append(r["id"])
        cols["ind"].append(label(r["indicator"], "zh"))
        cols["year"].append(str(r["year"]))
        if u == RULE_UNIT:
            cols["target"].append("每年 yearly")
            breach = list(r["breach_years"]) if r["breach_years"] is not None else []
            cols["margin"].append(
                year_span(breach)
                if len(breach) <= 3 or len(year_span(breach)) <= 9
                else f"{min(breach)}-{max(breach)}"
            )
        else:
            tol = f" ±{r['tolerance']:.0%}" if r["tolerance"] else ""
            cols["target"].append(
                f"{sign.get(r['comparison'], r['comparison'])} {fmt(r['target'], u, compact=True)}{tol}"
            )
            cols["margin"].append(fmt_margin(r["margin"], u, compact=True))
        cols["value"].append(fmt(r["value"], u, compact=True))
        mark, colour = marks[r["status"]]
        cols["mark"].append(Text(mark, style=colour))
        cols["p"].append(f"{r['probability']:.0%}")
        cols["kind"].append(KIND_LABELS[r["kind"]][0])
        first = r["first_year_met"]
        cols["first"].append("—" if first is None or first != first else str(int(first)))
    # (key, header, label or number, shown when) in the order printed; optional ones are dropped,
    # last first, until the table fits
    spec = [
        ("id", "id", "label", "optional"),
        ("ind", "指标 indicator", "label", "always"),
        ("year", "年 year", "number", "always"),
        ("target", "目标 target", "number", "always"),
        ("value", "值 value", "number", "always"),
        ("mark", "", "number", "always"),
        ("margin", "差距 margin", "number", "always"),
        ("p", "概率 P(met)", "number", "always" if draws > 1 else "never"),
        ("kind", "类型 kind", "label", "optional"),
        ("first", "首次达成 first met", "number", "wide"),
    ]
    spec = [c for c in spec if c[3] != "never" and (wide or c[3] != "wide")]

    def need(sel) -> int:
        # an id is shown whole or not at all; the indicator may wrap to 8 cells
        lead = [(h, cols[k], {"id": 99, "kind": 8}.get(k, 8)) for k, h, kind, _ in sel if kind == "label"]
        nums = [
            (terminal.head(h, terminal.width(cols[k])), cols[k]) for k, h, kind, _ in sel if kind == "number"
        ]
        return terminal.need(lead, nums)

    width = terminal.console().width
    for drop in ("first", "id", "kind"):
        if wide or need(spec) <= width:
            break
        spec = [c for c in spec if c[0] != drop]
    caption = "✓ 达成 met · ✗ 未达成 missed · ≈ 假设成立 holds by assumption · pt: percentage points"
    if any(unit(i) == RULE_UNIT for i in df["indicator"]):
        caption += " · a rule's margin: the years it is breached"
    t = Table(title=f"目标 targets — {res.scenario.name} — {where}", caption=caption)
    for k, h, kind, _ in spec:
        if kind == "label":
            t.add_column(h, overflow="fold")
        else:
            t.add_column(terminal.head(h, terminal.width(cols[k])), justify="right", no_wrap=True)
    for i in range(len(df)):
        t.add_row(*[terminal.as_text(cols[k][i]) for k, *_ in spec])
    terminal.console().print(t)


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
    changed: bool = typer.Option(
        False, "--changed", help="Only the indicators that differ from the first scenario in some year."
    ),
) -> None:
    """Key indicators side by side for chosen years, with differences against the first scenario.

    Example: [bold]edusim compare baseline tegang-300 no-tegang --years 2025,2035 --out cmp[/bold]
    · [bold]edusim compare baseline tegang-300 --changed[/bold]
    """
    from sim.analysis.jobs import compare_job, parse_years
    from sim.core.formatting import fmt, fmt_margin

    runs, tables, written = compare_job(scenarios, years, out, draws, region, changed)
    names = [r.scenario.name for r in runs]
    wanted = parse_years(years)
    for where, df in tables:
        units = df["unit"].tolist()

        def col(c, units=units, df=df):
            f = fmt_margin if c.startswith("Δ ") else fmt
            return [f(float(v), u, compact=True) for v, u in zip(df[c], units, strict=True)]

        lead = [
            terminal.label_col(
                "指标 indicator",
                [
                    terminal.label(*str(i).split(" ", 1), u)
                    for i, u in zip(df["indicator"], units, strict=True)
                ],
                12,
            )
        ]
        # a year's columns together (the reference, then each scenario and its Δ); where one year
        # does not fit, each scenario with the reference and its Δ
        by_year = [
            [(f"{names[0]} {y}", col(f"{names[0]} {y}"))]
            + [c for n in names[1:] for c in ((f"{n} {y}", col(f"{n} {y}")), (f"Δ {y}", col(f"Δ {n} {y}")))]
            for y in wanted
        ]
        blocks = by_year
        if any(terminal.need(lead, terminal.num_cols(b)) > terminal.console().width for b in by_year):
            blocks = [
                [
                    (f"{names[0]} {y}", col(f"{names[0]} {y}")),
                    (f"{n} {y}", col(f"{n} {y}")),
                    (f"Δ {y}", col(f"Δ {n} {y}")),
                ]
                for y in wanted
                for n in names[1:]
            ]
        terminal.fitted(
            f"情景比较 scenario comparison — {where}",
            lead,
            blocks,
            f"Δ: the scenario on its left − {names[0]} · pt: percentage points · 万 = 10⁴ · 亿 = 10⁸",
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
    whatif: list[str] | None = typer.Option(
        None,
        "--whatif",
        help="A lever of the what-if sliders (repeat for 2-4): a path of the first scenario's "
        "`levers:`, or PATH=LO:HI. Default: that scenario's levers. 'none' leaves the section out.",
    ),
    points: int = typer.Option(
        5, "--points", min=2, max=11, help="Values a what-if lever takes (grid: points^levers)."
    ),
) -> None:
    """One self-contained HTML page (works offline): the answer first (targets met or missed, by
    how much, how surely), a what-if section with sliders, every chart, the annex.

    Example: [bold]edusim report baseline tegang-300 no-tegang --out report.html[/bold]
    · [bold]edusim report baseline --whatif teachers.tegang.hires=0:400 --points 9[/bold]
    """
    from sim.analysis.jobs import report_job

    levers = [] if whatif == ["none"] else (whatif or None)
    path = report_job(scenarios, out, lang, draws, levers, points)
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
    key = next((c for c in ("ST", "mu_star") if c in indices.columns), None)
    shown = indices.sort_values(key, ascending=False, kind="stable") if key else indices
    terminal.table(
        f"{method} — {output}",
        shown,
        {"input": str, **{c: (lambda v: f"{v:.3f}") for c in indices.columns[1:]}},
        text=["input"],
        caption=f"most important first (by {key})" if key else None,
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
    _print_sweep(table, names)
    typer.echo(f"wrote {folder}")


def _print_sweep(table, names: list[str]) -> None:
    """A row per target, a column per lever point: P(met) in % (✓/✗ where it is 1 or 0 at every
    point); the targets whose chance moves over the sweep first."""
    points = table[names].drop_duplicates().reset_index(drop=True)
    prob = table.pivot_table(index="target", columns=names, values="probability", sort=False)
    certain = set(table["probability"].unique()) <= {0.0, 1.0}

    def cell(v) -> str:
        if v != v:
            return "—"
        return ("✓" if v == 1 else "✗") if certain else f"{v:.0%}"

    moves = (prob.max(axis=1) - prob.min(axis=1)) > 0
    order = list(prob.index[moves]) + list(prob.index[~moves])
    blocks = []
    for _, pt in points.iterrows():
        key = tuple(pt[n] for n in names) if len(names) > 1 else pt[names[0]]
        head = " ".join(f"{n.rsplit('.', 1)[-1]}={pt[n]:g}" for n in names)
        blocks.append([(head, [cell(prob.loc[t, key]) for t in order])])
    terminal.fitted(
        "P(met) 达成概率 over the sweep",
        [terminal.label_col("目标 target", order, min(terminal.width(order), 30))],
        blocks,
        "targets whose chance changes over the sweep first"
        + (" · ✓ met, ✗ missed at that point" if certain else ""),
    )


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
        f"{found['direction']} {path} meeting '{target}': {found['value']:.4g} {found['note']}".rstrip()
    )
    from sim.core.catalogue import unit
    from sim.core.formatting import fmt, fmt_margin

    u = unit(row["indicator"])
    typer.echo(
        f"confirmed by a run: value {fmt(row['value'], u, compact=True)}, "
        f"margin {fmt_margin(row['margin'], u, compact=True)}, "
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
    from sim.core.catalogue import label, unit
    from sim.core.formatting import fmt

    table, summ, folder = backtest_job(base, draws, out, lang)
    pct = lambda v: "" if v != v else f"{v:.1%}"  # noqa: E731
    apes = [c for c in table.columns if c.startswith("ape")]
    units = [unit(v) for v in table["variable"]]
    cells = {
        "base": [str(int(v)) for v in table["base"]],
        "lead": [str(int(v)) for v in table["lead"]],
        "observed": [fmt(v, u, compact=True) for v, u in zip(table["observed"], units, strict=True)],
        "model": [fmt(v, u, compact=True) for v, u in zip(table["model"], units, strict=True)],
    } | {c: [pct(v) for v in table[c]] for c in apes}
    heads = {"ape": "APE model"} | {c: c.replace("ape ", "APE ") for c in apes[1:]}
    terminal.fitted(
        "回测 back-test: absolute percentage error (APE) of the model and the naive methods",
        [terminal.label_col("指标 variable", [label(v, "zh") for v in table["variable"]], 10)],
        [[("base", cells["base"]), ("lead", cells["lead"])], [("observed", cells["observed"])]]
        + [[("model", cells["model"])]]
        + [[(heads[c], cells[c])] for c in apes],
    )
    terminal.table(
        "MAPE by lead time · skill = 1 − MAPE model / MAPE naive (same observations; > 0: model better)",
        summary_display(summ),
        text=[],
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
    from sim.core.catalogue import unit
    from sim.core.errors import UserError
    from sim.core.formatting import fmt_margin

    if cohort:
        prep, df = cohort_job(scenario, cohort_year, per_pupil)
        from sim.core.levels import BY_NAME

        df = df.assign(level=[f"{BY_NAME[v].zh} {BY_NAME[v].en}" if v in BY_NAME else v for v in df["level"]])
        pct = lambda v: f"{v:.1%}"  # noqa: E731
        terminal.table(
            f"重构队列 reconstructed cohort (UNESCO UIS) — {prep.scenario.name}",
            df,
            {"level": str, "grades": str, "survival to last grade": pct, "coefficient of efficiency": pct}
            | {c: (lambda v: f"{v:,.1f}") for c in df.columns if c.endswith("per 1,000")}
            | {"years per graduate": lambda v: f"{v:.2f}"},
            text=["level"],
        )
        if variable is None:
            return
    if variable is None:
        raise UserError("give --variable VAR (or --cohort)", key="--variable")
    df, head = explain_job(scenario, variable, year_from, year_to, against, year)
    t = Table(title=f"{variable}: {head}")
    u = unit(variable)
    t.caption = f"each part: its effect on {variable} (+ raises it, − lowers it)"
    t.add_column("part 分项", overflow="fold")
    t.add_column("value", justify="right", no_wrap=True)
    for _, r in df.iterrows():
        t.add_row(
            f"{PART_LABELS['zh'].get(r['part'], r['part'])}  {r['part']}",
            fmt_margin(r["value"], u, compact=True),
        )
    t.add_row("[b]sum 合计[/b]", f"[b]{fmt_margin(df['value'].sum(), u, compact=True)}[/b]")
    t.add_row("change 变化", fmt_margin(df.attrs["total"], u, compact=True))
    terminal.console().print(t)
    residual = df.attrs["residual"]
    exact = abs(residual) <= 1e-6 * max(1.0, abs(df.attrs["total"]))
    typer.echo(
        f"method: {df.attrs['method']}; "
        + ("the parts add up to the change" if exact else f"parts − change = {residual:,.4g}")
    )


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
    from sim.core.formatting import fmt

    r = allocate_job(scenario, year, objective)
    a = r.allocation
    t = Table(title=f"调配方案 teacher moves — {r.scenario.name} {r.year} ({r.objective})")
    for col in ("调出 from", "调入 to", "学段 level", "教师 teachers", "费用 cost (元)"):
        number = col.startswith(("教师", "费用"))
        t.add_column(col, justify="right" if number else "left", no_wrap=number)
    index = {n: i for i, n in enumerate(r.names)}
    for frm, to, level, n in a.table(r.names, r.levels):
        t.add_row(frm, to, level, f"{n:,}", fmt(n * r.cost[index[frm], index[to]], "yuan", compact=True))
    terminal.console().print(t)
    terminal.fitted(
        "区县 divisions: teachers outside the band before → after (+ above, − short)",
        [terminal.label_col("区县 division", list(r.names), 6)],
        [
            [
                (
                    L,
                    [
                        f"{int(a.gap_before[i, k]):+,} → {int(a.gap_after[i, k]):+,}"
                        for i in range(len(r.names))
                    ],
                )
            ]
            for k, L in enumerate(r.levels)
        ],
    )
    cost = float((a.moves * r.cost[:, :, None]).sum())
    typer.echo(
        f"moved {a.total_moved:,} teachers, cost {fmt(cost, 'yuan', compact=True)} 元; "
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
    from sim.analysis.jobs import export_job, export_says

    path, n = export_job(run_folder, out, fmt, region)
    typer.echo(f"wrote {path} ({n:,} rows): {export_says(run_folder, fmt)}")


if __name__ == "__main__":
    app()
