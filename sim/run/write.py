"""Run folders: one writer for a deterministic run and for a Monte Carlo run streamed to Parquet.

A deterministic run folder holds ``results.csv`` and ``results.parquet`` (the tidy table),
``scenario.resolved.yaml`` and ``manifest.json``. A Monte Carlo run folder holds
``results.parquet/`` (a Parquet dataset: one part per chunk of draws, each dense: draw, year and
one column per variable; see ``stream.py``),
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
from .executors import CHUNK_LIMITS
from .folders import new_folder, stamp, write_manifest, write_yaml
from .simulate import Prepared, RunResult
from .stream import SUMMARY_BYTES, part_files, read_columns, stream_draws, summarise


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
    from .results import write_results

    prep = res.prepared
    t0 = time.perf_counter()
    with new_folder(out or default_out(res.scenario.name), f"{stamp()}-{prep.digest()[:8]}", notes) as job:
        rows = write_results(res.scenario.name, res.results, res.years, res.draw_index, job.tmp)
        write_yaml(res.loaded.resolved(), job.tmp / "scenario.resolved.yaml")
        res.timings["write"] = time.perf_counter() - t0
        write_manifest(
            job.tmp,
            **_common(prep, len(res.draw_index), res.options),
            rows={"results": rows},
            warnings=res.warnings,
            timings_s={k: round(v, 6) for k, v in res.timings.items()},
        )
    return job.final


def write_monte_carlo(
    prep: Prepared,
    out: Path | None = None,
    options: dict | None = None,
    executor=None,
    chunk_size: int | None = None,
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
    import pyarrow as pa
    import pyarrow.parquet as pq

    s = prep.scenario
    years = s.years
    timings: dict[str, float] = {}
    with new_folder(out or default_out(s.name), f"{stamp()}-{prep.digest()[:8]}", notes) as job:
        tmp = job.tmp
        t0 = time.perf_counter()
        streamed = stream_draws(prep, tmp, options, executor, chunk_size, on_done)
        timings["model"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        summary = summarise(tmp, years, executor, on_workers=streamed.shared)
        largest = summary.attrs.pop("largest")
        medians = {v: g["q50"].to_numpy() for v, g in summary.groupby("variable", sort=False)}
        warnings = [
            f"{v} is non-zero in some draws (largest {x:,.4g})"
            for v, x in largest.items()
            if v.startswith("Check|") and x != 0
        ]
        summary = with_region(summary)
        summary.insert(0, "scenario", s.name)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.10g")
        if finish is not None:
            finish(tmp, lambda v: read_columns(tmp, [v], years)[v])
        inputs = {"draw": streamed.draw_index, **streamed.drawn}
        pq.write_table(pa.table(inputs), tmp / "inputs.parquet")
        write_yaml(prep.loaded.resolved(), tmp / "scenario.resolved.yaml")
        timings["summary"] = time.perf_counter() - t0
        write_manifest(
            tmp,
            **_common(prep, s.draws, options),
            chunk_size=streamed.chunk_size,
            workers_wrote_parts=streamed.shared,
            rows={"results": streamed.rows, "summary": len(summary), "parts": len(part_files(tmp))},
            failed_draws=[str(f) for f in streamed.failed],
            warnings=warnings,
            timings_s={k: round(v, 6) for k, v in timings.items()},
        )
    return job.final, medians, streamed.failed


def with_region(summary):
    """A summary table whose ``variable`` holds division results (``<variable>@<division>``) split
    into ``region`` and ``variable`` columns (the city: 吉林市)."""
    from ..core.regions import split

    parts = [split(v) for v in summary["variable"].tolist()]
    out = summary.copy()
    out["variable"] = [v for v, _ in parts]
    out.insert(0, "region", [r for _, r in parts])
    return out


def memory_needed(draws: int, years: int, variables: int = 250, in_memory: bool = True) -> int:
    """Bytes a run needs at its peak: every draw of every variable when held in memory
    (twice: the chunks and their concatenation), else a group of variables at a time (the
    summary's quantiles: the group, a copy and the quantiles' work) plus chunks in flight."""
    if in_memory:
        return 2 * 8 * draws * years * variables
    chunk = CHUNK_LIMITS["aggregate"][1]
    return 3 * max(SUMMARY_BYTES, 8 * draws * years) + 4 * 8 * chunk * years * variables


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
