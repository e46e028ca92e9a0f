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


def _fmt(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "years":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _print_summary(res, variables: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from sim.results import catalogue

    cat = catalogue()
    start = int(res.years[0])
    years = [y for y in (start, 2025, 2035, int(res.years[-1])) if start <= y <= res.years[-1]]
    years = sorted(set(years))
    table = Table(title=f"{res.scenario.title.zh} / {res.scenario.title.en}")
    table.add_column("指标 indicator")
    table.add_column("unit")
    for y in years:
        table.add_column(str(y), justify="right")
    for v in variables:
        if v not in res.results:
            continue
        row = cat.loc[v]
        table.add_row(f"{row.zh}  {row.en}", row.unit,
                      *(_fmt(float(res.results[v][:, list(res.years).index(y)].mean()), row.unit) for y in years))
    Console().print(table)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="A scenario name in scenarios/ or a path to a YAML file."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder to write the run into (default outputs/<name>/)."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Number of draws (default: the scenario's)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Root seed (default: the scenario's)."),
    engine: str = typer.Option("aggregate", "--engine", help="Teacher supply engine: aggregate (fast) or des (discrete-event, simpy)."),
) -> None:
    """Run a scenario, write a run folder and print the key indicators.

    Example: [bold]edusim run baseline[/bold]  or  [bold]edusim run scenarios/my.yaml --out runs/[/bold]
    """
    from sim.runner import simulate_scenario, write_run
    from sim.scenario import ScenarioError

    try:
        if draws is not None and draws <= 0:
            raise ScenarioError(f"--draws must be at least 1, got {draws}")
        if engine not in ("aggregate", "des"):
            raise ScenarioError(f"--engine must be 'aggregate' or 'des', got '{engine}'")
        res = simulate_scenario(scenario, draws=draws, seed=seed, options={"engine": engine})
        folder = write_run(res, out)
    except _user_errors() as e:
        _fail(e)
        return
    _print_summary(res, KEY_INDICATORS)
    typer.echo(f"wrote {folder}")


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
    Console().print(table)


if __name__ == "__main__":
    app()
