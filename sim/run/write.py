"""Run folders: one writer for a deterministic run and for a Monte Carlo run streamed to Parquet.

A deterministic run folder holds ``results.csv`` and ``results.parquet`` (the tidy table),
``scenario.resolved.yaml`` and ``manifest.json``. A Monte Carlo run folder holds
``results.parquet`` (dense: draw, year and one column per variable, written chunk by chunk),
``inputs.parquet`` (each draw's sampled uncertain inputs), ``summary.csv`` (median, mean and
5/25/75/95 % quantiles per variable and year), ``targets.csv`` (with the probability of
meeting each target), ``scenario.resolved.yaml`` and ``manifest.json``. The manifest records
the row counts, so a damaged or truncated file is found when the folder is read again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from .folders import new_folder, stamp, write_manifest, write_yaml
from .sampling import sample
from .simulate import CHUNK, Prepared, RunResult, simulate_draws


def default_out(name: str) -> Path:
    return Path("outputs") / name


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(Path.cwd()))
    except ValueError:
        return Path(p).name


def _common(prep: Prepared, draws: int, options: dict | None) -> dict:
    s, loaded = prep.scenario, prep.loaded
    return {
        "name": s.name,
        "scenario_file": _rel(loaded.path),
        "extends": [_rel(p) for p in loaded.chain[1:]],
        "scenario_hash": prep.digest(),
        "seed": s.seed,
        "draws": draws,
        "options": dict(options or {}),
        "years": [int(s.years[0]), int(s.years[-1])],
    }


def write_run(res: RunResult, out: Path | None = None, notes: list[str] | None = None) -> Path:
    """Write a run held in memory (one draw or several) as a new run folder."""
    from .results import write_tables

    prep = res.prepared
    t0 = time.perf_counter()
    frame = res.frame()
    with new_folder(out or default_out(res.scenario.name), f"{stamp()}-{prep.digest()[:8]}", notes) as job:
        write_tables(frame, job.tmp)
        write_yaml(res.loaded.resolved(), job.tmp / "scenario.resolved.yaml")
        res.timings["write"] = time.perf_counter() - t0
        write_manifest(
            job.tmp,
            **_common(prep, len(res.draw_index), res.options),
            rows={"results": len(frame)},
            warnings=res.warnings,
            timings_s={k: round(v, 6) for k, v in res.timings.items()},
        )
    return job.final


def write_monte_carlo(
    prep: Prepared,
    out: Path | None = None,
    options: dict | None = None,
    executor=None,
    chunk_size: int = CHUNK,
    on_done=None,
    notes: list[str] | None = None,
    finish: Callable[[Path, Callable[[str], np.ndarray]], None] | None = None,
) -> tuple[Path, dict, list]:
    """Run every draw in chunks and stream them to a new run folder; memory stays bounded.

    ``finish(folder, column)`` may add files to the folder before it is renamed into place
    (``column(variable)`` gives that variable's (draws, years) array), e.g. the targets table.
    Returns the folder, the summary's medians for printing {variable: (T,)} and the chunks
    that failed twice (their draws are missing from the folder, and the manifest says so).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    s = prep.scenario
    years = s.years
    T = len(years)
    timings: dict[str, float] = {}
    with new_folder(out or default_out(s.name), f"{stamp()}-{prep.digest()[:8]}", notes) as job:
        tmp = job.tmp
        t0 = time.perf_counter()
        writer = None
        rows = 0

        def sink(i, res):
            nonlocal writer, rows
            names = sorted(res)
            d = next(iter(res.values())).shape[0]
            first = i * chunk_size
            cols = {"draw": np.repeat(np.arange(first, first + d), T), "year": np.tile(years, d)}
            cols.update({n: np.asarray(res[n], dtype=float).reshape(-1) for n in names})
            table = pa.table(cols)
            if writer is None:
                writer = pq.ParquetWriter(tmp / "results.parquet", table.schema)
            writer.write_table(table)
            rows += table.num_rows

        try:
            _, failed = simulate_draws(
                s, prep.tables, s.draws, options, executor, chunk_size, on_done=on_done, sink=sink
            )
        finally:
            if writer is not None:
                writer.close()
        timings["model"] = time.perf_counter() - t0
        if writer is None:
            raise UserError(
                f"every chunk of draws failed; the first: {failed[0]}" if failed else "no draws ran"
            )

        t0 = time.perf_counter()
        pf = pq.ParquetFile(tmp / "results.parquet")
        variables = [n for n in pf.schema_arrow.names if n not in ("draw", "year")]
        frames, medians, warnings = [], {}, []
        # rows are written draw by draw, each with its T years in order: a column reshapes to (draws, T)
        for v in variables:  # one column at a time: memory stays small
            x = pf.read(columns=[v]).column(0).to_numpy().reshape(-1, T)
            q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            frames.append(
                pd.DataFrame(
                    {
                        "variable": v,
                        "year": years,
                        "q05": q[0],
                        "q25": q[1],
                        "q50": q[2],
                        "q75": q[3],
                        "q95": q[4],
                        "mean": x.mean(axis=0),
                    }
                )
            )
            medians[v] = q[2]
            if v.startswith("Check|") and np.any(x != 0):
                warnings.append(f"{v} is non-zero in some draws (largest {float(np.abs(x).max()):,.4g})")
        summary = pd.concat(frames, ignore_index=True)
        summary.insert(0, "scenario", s.name)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.10g")
        if finish is not None:
            finish(tmp, lambda v: pf.read(columns=[v]).column(0).to_numpy().reshape(-1, T))
        drawn = sample(s.uncertainty, s.seed, np.arange(s.draws))
        pd.DataFrame({"draw": np.arange(s.draws), **drawn}).to_parquet(tmp / "inputs.parquet", index=False)
        write_yaml(prep.loaded.resolved(), tmp / "scenario.resolved.yaml")
        timings["summary"] = time.perf_counter() - t0
        write_manifest(
            tmp,
            **_common(prep, s.draws, options),
            chunk_size=chunk_size,
            rows={"results": rows, "summary": len(summary)},
            failed_draws=[str(f) for f in failed],
            warnings=warnings,
            timings_s={k: round(v, 6) for k, v in timings.items()},
        )
    return job.final, medians, failed


def memory_needed(draws: int, years: int, variables: int = 250, in_memory: bool = True) -> int:
    """Bytes a run needs at its peak: every draw of every variable when held in memory
    (twice: the chunks and their concatenation), else one variable's column at a time
    (the summary's quantiles) plus a chunk."""
    if in_memory:
        return 2 * 8 * draws * years * variables
    return 3 * 8 * draws * years + 2 * 8 * CHUNK * years * variables


def check_memory(draws: int, years: int, in_memory: bool = True) -> None:
    """Refuse, before starting, a run that would need more memory than this machine has."""
    need = memory_needed(draws, years, in_memory=in_memory)
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if need > 0.8 * have:
        raise UserError(
            f"{draws:,} draws would need about {need / 2**30:,.1f} GiB of memory; this machine has "
            f"{have / 2**30:,.1f} GiB",
            key="--draws",
            hint="use fewer draws"
            + ("" if not in_memory else ", or `edusim run`, which streams draws to disk"),
        )
