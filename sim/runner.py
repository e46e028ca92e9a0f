"""One scenario end to end: read its inputs, run the stages, collect results, write a run folder.

>>> from sim.runner import simulate_scenario
>>> res = simulate_scenario("baseline")
>>> round(float(res.value("GER|Preschool", 2020)), 3)
0.925
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import __version__
from .scenario import DATA_DIR, ROOT, Loaded, Scenario, ScenarioError, load
from .stage import StageContext

# Draws per chunk: about 500 keeps a chunk's arrays in cache (10,000 draws: 2.7 s at 500, 3.4 s at
# 2,000, 6.2 s in one block, measured for population + students + teachers)
CHUNK = 500


# ------------------------------------------------------------------ data files
def data_file_fields(model, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Every DataFile leaf of a scenario as (key path, file name)."""
    from pydantic import BaseModel

    out = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("data_file") and isinstance(value, str):
            out.append((prefix + (name,), value))
        elif isinstance(value, BaseModel):
            out.extend(data_file_fields(value, prefix + (name,)))
    return out


def resolve_data_file(name: str, scenario_path: Path) -> Path:
    for base in (DATA_DIR, scenario_path.parent, Path.cwd()):
        p = (base / name)
        if p.is_file():
            return p.resolve()
    return DATA_DIR / name


def read_tables(loaded: Loaded) -> tuple[dict[str, Any], list[Path]]:
    """Read every DataFile the scenario names; errors name the scenario key and the CSV line."""
    import pandas as pd

    tables: dict[str, Any] = {}
    paths: list[Path] = []
    for key, name in data_file_fields(loaded.scenario):
        file, line = loaded.origins.get(key, (loaded.path, None))
        path = resolve_data_file(name, file)
        if not path.is_file():
            known = sorted(p.name for p in DATA_DIR.glob("*.csv"))
            import difflib
            close = difflib.get_close_matches(name, known, n=1)
            raise ScenarioError(f"data file '{name}' not found in data/", file=file, line=line,
                                key=".".join(key), hint=f"did you mean '{close[0]}'?" if close else None)
        try:
            df = pd.read_csv(path, comment="#")
        except Exception as e:  # pandas raises several types for a malformed CSV
            raise ScenarioError(f"cannot read CSV: {e}", file=path) from None
        _check_table(key, df, path, loaded.scenario)
        tables[name] = df
        paths.append(path)
    return tables, paths


_TABLE_COLUMNS = {
    ("population", "base"): ["age", "persons"],
    ("population", "mortality"): ["age", "qx"],
    ("population", "migration_profile"): ["age", "share"],
    ("attainment", "base"): ["age", "none", "primary", "junior", "senior", "junior_college", "bachelor"],
}


def _check_table(key: tuple, df, path: Path, scenario: Scenario | None = None) -> None:
    if key == ("teachers", "stock"):
        from .teachers_schema import check_stock
        try:
            check_stock(df, scenario.teachers.stock_totals if scenario is not None else None)
        except ValueError as e:
            import re
            m = re.match(r"line (\d+): (.*)", str(e), re.S)
            line = int(m.group(1)) + _comment_lines(path) if m else None
            raise ScenarioError(m.group(2) if m else str(e), file=path, line=line) from None
        return
    cols = _TABLE_COLUMNS.get(key)
    if cols is None:
        return
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {missing}; expected {cols}", file=path, line=1)
    values = df[cols[1:]].to_numpy(dtype=float)
    bad = np.argwhere(~np.isfinite(values) | (values < 0))
    if len(bad):
        r, c = bad[0]
        raise ScenarioError(f"{cols[1 + c]} must be a number ≥ 0, got {values[r, c]!r}",
                            file=path, line=int(r) + 2 + _comment_lines(path), key=cols[1 + c])
    if key == ("population", "mortality") and (values > 1).any():
        r = int(np.argwhere(values > 1)[0][0])
        raise ScenarioError("qx is a probability and must be ≤ 1", file=path, line=r + 2 + _comment_lines(path), key="qx")
    ages = df["age"].to_numpy()
    expected = np.arange(101) if key[0] == "population" else np.arange(6, 60)
    if not np.array_equal(ages, expected):
        raise ScenarioError(f"ages must run {expected[0]}..{expected[-1]} one row each", file=path, key="age")


def _comment_lines(path: Path) -> int:
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n


# ------------------------------------------------------------------- stages
def _stages(scenario: Scenario) -> list[tuple[str, Callable]]:
    from .attainment import attainment_stage
    from .cohort import student_stage
    from .demography import population_stage
    stages = [("population", population_stage), ("students", student_stage), ("attainment", attainment_stage)]
    if scenario.teachers is not None:
        from .teachers import teacher_stage
        stages.append(("teachers", lambda s, ctx: teacher_stage(s.teachers, ctx)))
    if scenario.finance is not None:
        from .finance import finance_stage
        stages.append(("finance", lambda s, ctx: finance_stage(s.finance, ctx)))
    return stages


def simulate(scenario: Scenario, tables: dict[str, Any], draw_index: np.ndarray | None = None,
             options: dict | None = None, timings: dict | None = None,
             drawn: dict[str, np.ndarray] | None = None) -> StageContext:
    """Run every stage for the given draws; returns the context holding all results.

    The uncertain inputs are drawn from the seed by draw index, unless ``drawn`` gives
    them ({path: (D,)}, as a sensitivity design does).
    """
    if draw_index is None:
        draw_index = np.arange(scenario.draws)
    from .uncertainty import sample

    ctx = StageContext(years=scenario.years, draws=len(draw_index), seed=scenario.seed,
                       draw_index=np.asarray(draw_index), tables=tables, options=dict(options or {}))
    if drawn is None:
        # a one-draw run is the deterministic run: every input at its central (written) value
        drawn = sample(scenario.uncertainty, scenario.seed, ctx.draw_index) if scenario.draws > 1 else {}
    ctx.perturb = {p: (scenario.uncertainty[p].apply, v) for p, v in drawn.items()}
    for name, stage in _stages(scenario):
        t0 = time.perf_counter()
        ctx.results.update(stage(scenario, ctx))
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0
    unread = sorted(set(ctx.perturb) - ctx.consumed)
    if unread:
        raise ScenarioError(f"uncertainty on '{unread[0]}': the model does not read this value draw by draw",
                            key=f"uncertainty.{unread[0]}",
                            hint="uncertain values supported: " + ", ".join(sorted(ctx.consumed)))
    # every result is (draws, years), even where no input of this stage varied by draw
    D, T = len(ctx.draw_index), len(ctx.years)
    for k, v in ctx.results.items():
        if v.shape != (D, T):
            ctx.results[k] = np.broadcast_to(v, (D, T)).copy()
    return ctx


def _chunk_job(scenario: Scenario, tables: dict, options: dict, draw_index: np.ndarray) -> dict[str, np.ndarray]:
    """One chunk of draws (module level, so process pools and Dask can pickle it)."""
    return simulate(scenario, tables, draw_index, options).results


def simulate_draws(scenario: Scenario, tables: dict, draws: int, options: dict | None = None,
                   executor=None, chunk_size: int = CHUNK, on_done=None, sink=None, job=None):
    """All draws in chunks through an executor; without ``sink`` returns {variable: (draws, T)}."""
    from functools import partial

    from .executors import chunks, map_chunks

    parts = chunks(draws, chunk_size)
    fn = job or partial(_chunk_job, scenario, tables, dict(options or {}))
    results, failed = map_chunks(fn, parts, executor, on_done=on_done, sink=sink)
    if sink is not None:
        return None, failed
    ok = [r for r in results if r is not None]
    merged = {k: np.concatenate([r[k] for r in ok], axis=0) for k in ok[0]} if ok else {}
    return merged, failed


@dataclass
class RunResult:
    scenario: Scenario
    loaded: Loaded
    years: np.ndarray
    draw_index: np.ndarray
    results: dict[str, np.ndarray]
    digest: str
    timings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def value(self, variable: str, year: int, draw: int = 0) -> float:
        return float(self.results[variable][draw, int(np.searchsorted(self.years, year))])

    def frame(self):
        from .results import tidy
        return tidy(self.scenario.name, self.results, self.years, self.draw_index)


def prepare(ref: str | Path, draws: int | None = None, seed: int | None = None):
    """Load a scenario and its data files, with --draws/--seed applied: (loaded, tables, data paths)."""
    loaded = load(ref)
    if draws is not None or seed is not None:
        loaded.scenario = loaded.scenario.model_copy(
            update={k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None})
    tables, paths = read_tables(loaded)
    return loaded, tables, paths


def simulate_scenario(ref: str | Path, draws: int | None = None, seed: int | None = None,
                      options: dict | None = None, executor=None, chunk_size: int = CHUNK) -> RunResult:
    """Load a scenario (name or path) and run it, all draws kept in memory; nothing is written."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded, tables, paths = prepare(ref, draws, seed)
    scenario = loaded.scenario
    timings["load"] = time.perf_counter() - t0
    if scenario.draws == 1 and executor is None:
        ctx = simulate(scenario, tables, options=options, timings=timings)
        results = ctx.results
    else:
        t0 = time.perf_counter()
        results, failed = simulate_draws(scenario, tables, scenario.draws, options, executor, chunk_size)
        if failed:
            raise RuntimeError(f"draws failed: {failed[0].draws[0]}-{failed[0].draws[-1]}: {failed[0].error}")
        timings["model"] = time.perf_counter() - t0
    return RunResult(scenario=scenario, loaded=loaded, years=scenario.years, draw_index=np.arange(scenario.draws),
                     results=results, digest=loaded.digest(paths), timings=timings, options=dict(options or {}))


# ------------------------------------------------------------- run folders
def default_out(name: str) -> Path:
    return Path("outputs") / name


def write_run(res: RunResult, out: Path | None = None) -> Path:
    """Write the run folder atomically: a temporary folder renamed into place, never over another run."""
    from .results import write_tables

    base = Path(out) if out is not None else default_out(res.scenario.name)
    final = _new_name(base, res.digest[:8])
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScenarioError(f"cannot create the output folder {base}: {e.strerror}") from None
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    try:
        t0 = time.perf_counter()
        write_tables(res.frame(), tmp)
        _write_yaml(res.loaded.resolved(), tmp / "scenario.resolved.yaml")
        res.timings["write"] = time.perf_counter() - t0
        manifest = {
            "name": res.scenario.name,
            "scenario_file": _rel(res.loaded.path),
            "extends": [_rel(p) for p in res.loaded.chain[1:]],
            "scenario_hash": res.digest,
            "seed": res.scenario.seed,
            "options": res.options,
            "draws": int(len(res.draw_index)),
            "years": [int(res.years[0]), int(res.years[-1])],
            "version": __version__,
            "created": datetime.now().isoformat(timespec="seconds"),
            "timings_s": {k: round(v, 6) for k, v in res.timings.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _new_name(folder: Path, tag: str, prefix: str = "", suffix: str = "") -> Path:
    """``folder/[prefix-]<time>[-tag][suffix]`` that does not exist yet (a counter is added if needed)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = "-".join(x for x in (prefix, stamp, tag) if x)
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def _write_yaml(data: dict, path: Path) -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f)


def write_text_atomic(text: str, out: Path | None, stem: str, suffix: str = ".html") -> Path:
    """Write a file whole or not at all; the default name never replaces an earlier file."""
    if out is None:
        out = _new_name(Path("outputs") / "reports", "", prefix=stem, suffix=suffix)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as e:
        raise ScenarioError(f"cannot write {out}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


# ------------------------------------------------------------ Monte Carlo runs
def write_monte_carlo(loaded: Loaded, tables: dict, paths: list[Path], out: Path | None = None,
                      options: dict | None = None, executor=None, chunk_size: int = CHUNK,
                      on_done=None) -> tuple[Path, dict, list]:
    """Run every draw in chunks and stream them to a new run folder; memory stays bounded.

    The folder holds results.parquet (dense: draw, year and one column per variable),
    inputs.parquet (each draw's sampled uncertain inputs), summary.csv (median and
    5/25/75/95 % quantiles per variable and year), targets.csv (with the probability of
    meeting each target), scenario.resolved.yaml and manifest.json. Returns the folder,
    the summary's medians for printing {variable: (T,)} and the failed chunks.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .targets import evaluate
    from .uncertainty import sample

    s = loaded.scenario
    digest = loaded.digest(paths)
    base = Path(out) if out is not None else default_out(s.name)
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    except OSError as e:
        raise ScenarioError(f"cannot create the output folder {base}: {e.strerror}") from None
    years = s.years
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        writer: dict = {}

        def sink(i, res):
            names = sorted(res)
            d = next(iter(res.values())).shape[0]
            first = i * chunk_size
            cols = {"draw": np.repeat(np.arange(first, first + d), len(years)), "year": np.tile(years, d)}
            cols.update({n: np.asarray(res[n], dtype=float).reshape(-1) for n in names})
            table = pa.table(cols)
            if "w" not in writer:
                writer["w"] = pq.ParquetWriter(tmp / "results.parquet", table.schema)
            writer["w"].write_table(table)

        _, failed = simulate_draws(s, tables, s.draws, options, executor, chunk_size, on_done=on_done, sink=sink)
        if "w" in writer:
            writer["w"].close()
        timings["model"] = time.perf_counter() - t0
        if "w" not in writer:
            raise RuntimeError("every chunk failed: " + (failed[0].error if failed else "no draws"))

        t0 = time.perf_counter()
        pf = pq.ParquetFile(tmp / "results.parquet")
        variables = [n for n in pf.schema_arrow.names if n not in ("draw", "year")]
        frames, medians = [], {}
        T = len(years)
        # rows are written draw by draw, each with its T years in order: a column reshapes to (draws, T)
        for v in variables:                                   # one column at a time: memory stays small
            x = pf.read(columns=[v]).column(0).to_numpy().reshape(-1, T)
            q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            frames.append(pd.DataFrame({"variable": v, "year": years, "q05": q[0], "q25": q[1], "q50": q[2],
                                        "q75": q[3], "q95": q[4], "mean": x.mean(axis=0)}))
            medians[v] = q[2]
        summary = pd.concat(frames, ignore_index=True)
        summary.insert(0, "scenario", s.name)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.10g")
        needed = sorted({t.indicator for t in s.targets})
        if needed:
            arrays = {v: pf.read(columns=[v]).column(0).to_numpy().reshape(-1, T) for v in needed}
            evaluate(s.targets, arrays, years).to_csv(tmp / "targets.csv", index=False)
        drawn = sample(s.uncertainty, s.seed, np.arange(s.draws))
        pd.DataFrame({"draw": np.arange(s.draws), **drawn}).to_parquet(tmp / "inputs.parquet", index=False)
        _write_yaml(loaded.resolved(), tmp / "scenario.resolved.yaml")
        timings["summary"] = time.perf_counter() - t0
        manifest = {
            "name": s.name, "scenario_file": _rel(loaded.path), "extends": [_rel(p) for p in loaded.chain[1:]],
            "scenario_hash": digest, "seed": s.seed, "draws": s.draws, "chunk_size": chunk_size,
            "options": dict(options or {}), "years": [int(years[0]), int(years[-1])], "version": __version__,
            "created": datetime.now().isoformat(timespec="seconds"),
            "failed_draws": [f"{f.draws[0]}-{f.draws[-1]}: {f.error}" for f in failed],
            "timings_s": {k: round(v, 6) for k, v in timings.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        final = _new_name(base, digest[:8])
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, medians, failed
