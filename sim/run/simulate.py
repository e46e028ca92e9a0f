"""One scenario end to end: load it once, read its tables, run the stages, for one draw or many.

>>> from sim.run.simulate import simulate_scenario
>>> res = simulate_scenario("baseline")
>>> round(float(res.value("GER|Preschool", 2020)), 3)
0.925
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.context import StageContext
from ..core.errors import ModelError, ScenarioError
from ..core.regions import CITY, key, of_region, regions_of
from ..schema.load import Loaded, load
from ..schema.scenario import MAX_DRAWS, Scenario
from ..stages import STAGES, can_vary, variable_paths
from ..stages.regions import KEY_REGIONAL, divisions, fold, group_counts
from .executors import auto_chunk, chunks, map_chunks, share, worker_count
from .sampling import sample
from .tables import read_tables

MAX_SEED = 2**63 - 1


@dataclass
class Prepared:
    """A scenario loaded and checked once, with its data tables: what every command runs."""

    loaded: Loaded
    tables: dict[str, Any]
    paths: list[Path]

    @property
    def scenario(self) -> Scenario:
        return self.loaded.scenario

    def digest(self) -> str:
        return self.loaded.digest(self.paths)


def check_draws(draws: int, what: str = "--draws") -> int:
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or not 1 <= draws <= MAX_DRAWS:
        raise ScenarioError(f"{what} must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    return int(draws)


def check_seed(seed: int, what: str = "--seed") -> int:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise ScenarioError(f"{what} must be a whole number from 0 to 2^63 − 1, got {seed!r}")
    return int(seed)


def prepare(ref: str | Path, draws: int | None = None, seed: int | None = None) -> Prepared:
    """Load a scenario (name or path), apply --draws/--seed, read its tables, check what may vary."""
    loaded = load(ref)
    update = {}
    if draws is not None:
        update["draws"] = check_draws(draws)
    if seed is not None:
        update["seed"] = check_seed(seed)
    if update:
        loaded.scenario = loaded.scenario.model_copy(update=update)
    check_variable_paths(loaded)
    tables, paths = read_tables(loaded)
    if loaded.scenario.regions is not None:
        check_division_names(loaded, tables[loaded.scenario.regions.table])
    return Prepared(loaded, tables, paths)


def check_division_names(loaded: Loaded, table) -> None:
    """Every division the ``regions:`` section names is one of its table's (zones are not divisions)."""
    known = [
        str(n) for n, k in zip(table["name"].to_numpy(), table["kind"].to_numpy(), strict=True) if k != "zone"
    ]
    cfg = loaded.scenario.regions
    named: list[tuple[tuple, str]] = [
        (("regions", "tegang", "priority", i), n) for i, n in enumerate(cfg.tegang.priority)
    ]
    named += [(("regions", "tegang", "shares", n), n) for n in cfg.tegang.shares]
    named += [(("regions", "population", n), n) for n in cfg.population]
    named += [(("regions", "places", "added", n), n) for n in cfg.places.added]
    if loaded.scenario.finance is not None:
        named += [
            (("finance", "projects", i, "region"), p.region)
            for i, p in enumerate(loaded.scenario.finance.projects)
            if p.region is not None
        ]
    for path, name in named:
        if name in known:
            continue
        file, line = loaded.origins.get(path, (loaded.path, None))
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.3)
        raise ScenarioError(
            f"no division {name!r} in {cfg.table}",
            file=file,
            line=line,
            key=".".join(str(k) for k in path),
            hint=(f"did you mean {close[0]!r}? " if close else "") + "divisions: " + ", ".join(known),
        )


def check_variable_paths(loaded: Loaded) -> None:
    """Every ``uncertainty:`` path must be one a stage reads draw by draw. (A lever is set as a
    constant and the scenario run again, so any numeric leaf can be one: the loader checks that.)"""
    for path in loaded.scenario.uncertainty:
        if not can_vary(path):
            file, line = loaded.origins.get(("uncertainty", path), (loaded.path, None))
            raise ScenarioError(
                "the model reads this value once for all draws, so it cannot vary",
                file=file,
                line=line,
                key=f"uncertainty.{path}",
                hint="paths that can vary: " + ", ".join(variable_paths()),
            )


def active_stages(scenario: Scenario):
    return [s for s in STAGES if getattr(scenario, s.section) is not None]


def simulate(
    scenario: Scenario,
    tables: dict[str, Any],
    draw_index: np.ndarray | None = None,
    options: dict | None = None,
    timings: dict | None = None,
    drawn: dict[str, np.ndarray] | None = None,
) -> StageContext:
    """Run every stage for the given draws; returns the context holding all results.

    The uncertain inputs are drawn from the seed by draw index, unless ``drawn`` gives
    them ({path: (D,)}, as a sensitivity design does). A stage that produces NaN or ±inf
    in a result is an error naming the stage, the variable and the first year.
    """
    if draw_index is None:
        draw_index = np.arange(scenario.draws)
    ctx = StageContext(
        years=scenario.years,
        draws=len(draw_index),
        seed=scenario.seed,
        draw_index=np.asarray(draw_index),
        tables=tables,
        options=dict(options or {}),
    )
    if drawn is None:
        # a one-draw run is the deterministic run: every input at its central (written) value
        drawn = sample(scenario.uncertainty, scenario.seed, ctx.draw_index) if scenario.draws > 1 else {}
    ctx.perturb = {p: (scenario.uncertainty[p].apply, v) for p, v in drawn.items()}
    if scenario.regions is not None:
        ctx.regions = run_divisions(scenario, tables, ctx)
        if ctx.regions is not None:
            ctx.draws *= ctx.regions.R  # a row per draw and division
    D, T = ctx.draws, len(ctx.years)
    for stage in active_stages(scenario):
        t0 = time.perf_counter()
        before = set(ctx.results)
        with np.errstate(all="ignore"):  # non-finite results are checked below, by name
            out = stage.run(getattr(scenario, stage.section), ctx)
        ctx.results.update(out)
        for k in set(ctx.results) - before:
            v = ctx.results[k]
            # every result is (draws, years), even where no input of this stage varied by draw
            if v.shape != (D, T):
                v = ctx.results[k] = np.broadcast_to(v, (D, T)).copy()
            if k not in ctx.undefined and not np.isfinite(v).all():
                _finite(stage.name, k, v, ctx)
        if timings is not None:
            timings[stage.name] = timings.get(stage.name, 0.0) + time.perf_counter() - t0
    if ctx.regions is not None:
        tolerance = scenario.finance.tolerance if scenario.finance is not None else 0.0
        ctx.results, ctx.regional = fold(ctx.results, ctx.regions.R, tolerance)
        ctx.draws //= ctx.regions.R
        # each division's results beside the city's: all of them for one draw, the key ones for many
        keep = ctx.regional if scenario.draws == 1 else [v for v in KEY_REGIONAL if v in ctx.regional]
        for v in keep:
            for r, name in enumerate(ctx.regions.names):
                ctx.results[key(v, name)] = ctx.regional[v][:, r]
    unread = sorted(set(ctx.perturb) - ctx.consumed)
    if unread:  # check_variable_paths refuses these up front: reaching here is a bug in STAGES.varies
        raise RuntimeError(f"uncertain input {unread[0]!r} was drawn but no stage read it")
    return ctx


def _finite(stage: str, name: str, v: np.ndarray, ctx: StageContext) -> None:
    """Name the first draw and year of a result that is not finite (called only when one is)."""
    d, t = (int(i[0]) for i in np.nonzero(~np.isfinite(v)))
    kind = "NaN" if np.isnan(v[d, t]) else "an infinite value"
    where = f"draw {int(ctx.draw_index[d // ctx.R])}"
    if ctx.regions is not None:
        where += f", {ctx.regions.names[d % ctx.R]}"
    raise ModelError(
        f"stage '{stage}' produced {kind} in {name} in {int(ctx.years[t])} ({where})",
        hint="an input leaves it undefined or out of range (e.g. no births or no one of "
        "that age left, a huge growth rate); check the scenario's values",
    )


def run_divisions(scenario: Scenario, tables: dict, ctx: StageContext):
    """The scenario's divisions (``sim/stages/regions.py``); None, with a warning, for the
    discrete-event engine, which follows the city's teachers one by one and models one city."""
    if not models_divisions(scenario, ctx.options):
        ctx.warnings.append(
            "the discrete-event engine models one city: the scenario's divisions (regions:) are left "
            "out of this run"
        )
        return None
    cfg = scenario.regions
    return divisions(
        cfg, tables[cfg.table], tables[scenario.population.base]["persons"].to_numpy(dtype=float)
    )


def _chunk_job(payload: tuple[Scenario, dict, dict], draw_index: np.ndarray) -> dict[str, np.ndarray]:
    """One chunk of draws (module level, so process pools and Dask can pickle it); ``payload`` is
    (scenario, tables, options), sent to each worker once."""
    scenario, tables, options = payload
    return simulate(scenario, tables, draw_index, options).results


def models_divisions(scenario: Scenario, options: dict | None = None) -> bool:
    """Whether a run has divisions: a ``regions:`` section and the aggregate engine (the
    discrete-event engine follows the city's teachers one by one and models one city)."""
    return scenario.regions is not None and (options or {}).get("engine", "aggregate") == "aggregate"


def division_names(scenario: Scenario, tables: dict, options: dict | None = None) -> list[str]:
    """The divisions a run of the scenario models, in order (none when it models one city)."""
    if not models_divisions(scenario, options):
        return []
    return group_counts(tables[scenario.regions.table])[0]


def rows_per_draw(scenario: Scenario, tables: dict, options: dict | None = None) -> int:
    """Model rows a draw takes: one per division (1 for a city modelled as one)."""
    return max(1, len(division_names(scenario, tables, options)))


def chunk_size_for(
    draws: int, options: dict | None, executor, chunk_size: int | None, rows_per_draw: int = 1
) -> int:
    """The chunk size asked for, or one chosen from the draws, the workers, the engine and the
    model rows a draw takes."""
    if chunk_size is not None:
        return int(chunk_size)
    engine = (options or {}).get("engine", "aggregate")
    return auto_chunk(draws, worker_count(executor), engine, rows_per_draw)


def simulate_draws(
    scenario: Scenario,
    tables: dict,
    draws: int,
    options: dict | None = None,
    executor=None,
    chunk_size: int | None = None,
    on_done=None,
    sink=None,
    job=None,
):
    """All draws in chunks through an executor; without ``sink`` returns {variable: (draws, T)}.
    ``chunk_size=None`` chooses it (``executors.auto_chunk``); the numbers do not depend on it."""
    rows = rows_per_draw(scenario, tables, options)
    parts = chunks(draws, chunk_size_for(draws, options, executor, chunk_size, rows))
    if job is not None:
        results, failed = map_chunks(job, parts, executor, on_done=on_done, sink=sink)
    else:
        payload = share(executor, (scenario, tables, dict(options or {})))
        results, failed = map_chunks(_chunk_job, parts, executor, on_done=on_done, sink=sink, args=(payload,))
    if sink is not None:
        return None, failed
    ok = [r for r in results if r is not None]
    merged = {k: np.concatenate([r[k] for r in ok], axis=0) for k in ok[0]} if ok else {}
    return merged, failed


@dataclass
class RunResult:
    prepared: Prepared
    years: np.ndarray
    draw_index: np.ndarray
    results: dict[str, np.ndarray]
    timings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def scenario(self) -> Scenario:
        return self.prepared.scenario

    @property
    def loaded(self) -> Loaded:
        return self.prepared.loaded

    @property
    def digest(self) -> str:
        return self.prepared.digest()

    def value(self, variable: str, year: int, draw: int = 0) -> float:
        return float(self.results[variable][draw, int(np.searchsorted(self.years, year))])

    def frame(self, region: str | None = CITY):
        """The tidy table of one region's results (the city by default; None: every region)."""
        from .results import tidy

        results = (
            self.results
            if region is None
            else {key(v, region): a for v, a in of_region(self.results, region).items()}
        )
        return tidy(self.scenario.name, results, self.years, self.draw_index)

    @property
    def regions(self) -> list[str]:
        """The city, then its divisions when the scenario has them."""
        return regions_of(self.results)


def run(
    prep: Prepared, options: dict | None = None, executor=None, chunk_size: int | None = None
) -> RunResult:
    """Run a prepared scenario, every draw kept in memory; nothing is written."""
    scenario = prep.scenario
    timings: dict[str, float] = {}
    warnings: list[str] = []
    if scenario.draws == 1 and executor is None:
        ctx = simulate(scenario, prep.tables, options=options, timings=timings)
        results, warnings = ctx.results, ctx.warnings
    else:
        t0 = time.perf_counter()
        results, failed = simulate_draws(scenario, prep.tables, scenario.draws, options, executor, chunk_size)
        if failed:
            raise failed[0].error
        timings["model"] = time.perf_counter() - t0
        warnings = check_warnings(results)
    return RunResult(
        prepared=prep,
        years=scenario.years,
        draw_index=np.arange(scenario.draws),
        results=results,
        timings=timings,
        options=dict(options or {}),
        warnings=[*prep.loaded.warnings, *warnings],  # the loader's (e.g. a list replaced) first
    )


def check_warnings(results: dict[str, np.ndarray]) -> list[str]:
    """One line per ``Check|…`` variable that is non-zero in some draw (for runs of many draws)."""
    return [
        f"{k} is non-zero (largest {float(np.abs(v).max()):,.4g}): the model corrected an input or a "
        f"flow; see the catalogue"
        for k, v in results.items()
        if k.startswith("Check|") and np.any(v != 0)
    ]


def simulate_scenario(
    ref: str | Path,
    draws: int | None = None,
    seed: int | None = None,
    options: dict | None = None,
    executor=None,
    chunk_size: int | None = None,
) -> RunResult:
    """Load a scenario (name or path) and run it; nothing is written."""
    t0 = time.perf_counter()
    prep = prepare(ref, draws, seed)
    loading = time.perf_counter() - t0
    res = run(prep, options, executor, chunk_size)
    res.timings = {"load": loading, **res.timings}
    return res
