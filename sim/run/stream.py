"""Many draws streamed to disk, and their summary read back a few variables at a time.

The draws run in chunks (``executors``). Each chunk's results become one Parquet part,
``results.parquet/part-<first draw>.parquet`` (dense: draw, year and one column per variable;
the folder is a Parquet dataset that pandas, pyarrow, DuckDB or Spark read as one table). A worker
that sees the folder (this process, a local pool, a cluster on shared storage) writes its part
itself and returns only the chunk's sampled inputs, a few hundred bytes; one that does not (a
remote worker without the folder) returns the results and this process writes the part. The
folder is recognised by a random token written into it, so a worker on another machine that
happens to have a folder of the same name does not write into the wrong place.

The summary (5/25/50/75/95 % quantiles and mean per variable and year, exact) is read back from
the parts a group of variables at a time, sized so that a group of every draw stays within
``SUMMARY_BYTES``: memory is bounded by that and the chunks in flight, whatever the draws. Where
the workers see the folder, the groups are summarised on the workers too. (Each group reads every
part: the reads grow as draws², at ~0.45 ms each once the parts' footers are parsed — 100,000
draws: 51 groups × 200 parts, ~5 s.)

>>> import tempfile
>>> from sim.run.simulate import prepare
>>> prep = prepare("baseline", draws=4)
>>> folder = Path(tempfile.mkdtemp())
>>> s = stream_draws(prep, folder, chunk_size=3)
>>> s.rows, [p.name for p in part_files(folder)]
(64, ['part-00000000.parquet', 'part-00000003.parquet'])
>>> summary = summarise(folder, prep.scenario.years)
>>> bool((summary.dropna().q05 <= summary.dropna().q95).all())
True
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from .executors import Failure, chunks, map_chunks, share, worker_count
from .simulate import Prepared, chunk_size_for, rows_per_draw, simulate

PARTS = "results.parquet"  # a folder of Parquet parts, one per chunk
TOKEN = ".edusim-token"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
Q_COLUMNS = ("q05", "q25", "q50", "q75", "q95")
# every draw of a group of variables read back at once for the summary (10,000 draws × 16 years:
# 50 variables a group; 100,000 draws: 5)
SUMMARY_BYTES = 64 * 2**20


@dataclass
class Streamed:
    """What a streamed run left: its rows, each draw's sampled inputs, the chunks that failed."""

    rows: int
    chunk_size: int
    drawn: dict[str, np.ndarray] = field(default_factory=dict)
    draw_index: np.ndarray = field(default_factory=lambda: np.arange(0))
    failed: list[Failure] = field(default_factory=list)
    shared: bool = False  # the workers saw the folder (and wrote their parts)


def part_files(folder: Path) -> list[Path]:
    """The parts of a streamed run, in draw order."""
    return sorted((Path(folder) / PARTS).glob("part-*.parquet"))


def write_part(
    folder: Path, years: np.ndarray, draw_index: np.ndarray, results: dict[str, np.ndarray]
) -> int:
    """One chunk's results as a Parquet part; returns its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    T, d = len(years), len(draw_index)
    cols = {"draw": np.repeat(np.asarray(draw_index, dtype=np.int64), T), "year": np.tile(years, d)}
    cols.update({n: np.asarray(results[n], dtype=float).reshape(-1) for n in sorted(results)})
    table = pa.table(cols)
    # written under a temporary name and renamed: a part is whole or absent
    final = Path(folder) / PARTS / f"part-{int(draw_index[0]):08d}.parquet"
    tmp = final.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(final)
    return table.num_rows


def check_disk(folder: Path, draws: int, years: int, variables: int = 250) -> None:
    """Refuse, before starting, a run whose parts would not fit on the disk that holds ``folder``."""
    import shutil

    need = 8 * draws * years * (variables + 2)  # float64 columns; random draws barely compress
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if need > 0.9 * free:
        raise UserError(
            f"{draws:,} draws would write about {need / 2**30:,.1f} GiB; {folder} has "
            f"{free / 2**30:,.1f} GiB free",
            key="--draws",
            hint="use fewer draws, or --out on a larger disk (a report uses the temporary folder: TMPDIR)",
        )


def _sees(target: tuple[str, str] | None) -> bool:
    if target is None:
        return False
    folder, token = target
    try:
        return (Path(folder) / TOKEN).read_text(encoding="ascii") == token
    except (OSError, UnicodeDecodeError):
        return False


def _stream_job(payload: tuple, target: tuple[str, str] | None, draw_index: np.ndarray) -> dict:
    """One chunk on a worker: run it, write its part where the folder is visible, else return it."""
    scenario, tables, options = payload
    ctx = simulate(scenario, tables, draw_index, options)
    out = {"drawn": {p: v for p, (_, v) in ctx.perturb.items()}, "draws": len(draw_index)}
    if _sees(target):
        out["rows"] = write_part(Path(target[0]), scenario.years, draw_index, ctx.results)
    else:
        out["results"] = ctx.results
    return out


def stream_draws(
    prep: Prepared,
    folder: Path,
    options: dict | None = None,
    executor=None,
    chunk_size: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Streamed:
    """Run every draw of ``prep`` in chunks into ``folder/results.parquet/``."""
    s = prep.scenario
    folder = Path(folder)
    check_disk(folder, s.draws, len(s.years))
    (folder / PARTS).mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    (folder / TOKEN).write_text(token, encoding="ascii")
    size = chunk_size_for(s.draws, options, executor, chunk_size, rows_per_draw(s, prep.tables, options))
    parts = chunks(s.draws, size)
    payload = share(executor, (s, prep.tables, dict(options or {})))
    got = Streamed(0, size)
    drawn: list[dict] = []
    done: list[np.ndarray] = []

    def sink(i: int, value: dict) -> None:
        if "results" in value:
            got.rows += write_part(folder, s.years, parts[i], value["results"])
        else:
            got.rows += value["rows"]
            got.shared = True
        drawn.append(value["drawn"])
        done.append(parts[i])

    try:
        _, got.failed = map_chunks(
            _stream_job, parts, executor, on_done=on_done, sink=sink, args=(payload, (str(folder), token))
        )
    finally:
        (folder / TOKEN).unlink(missing_ok=True)
    if not done:
        raise UserError(
            f"every chunk of draws failed; the first: {got.failed[0]}" if got.failed else "no draws ran"
        )
    got.draw_index = np.concatenate(done)
    got.drawn = {p: np.concatenate([x[p] for x in drawn]) for p in drawn[0]}
    return got


def read_columns(
    folder: Path, variables: list[str], years: np.ndarray, metadata: list | None = None
) -> dict[str, np.ndarray]:
    """Every draw of ``variables`` from the parts: {variable: (draws, years)}, draws in order.
    ``metadata``: the parts' Parquet footers, read once by a caller that reads many groups
    (parsing a footer costs more than reading a few columns of a part)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = part_files(folder)
    tables = []
    for f, md in zip(files, metadata or [None] * len(files), strict=True):
        pf = pq.ParquetFile(f, metadata=md)
        try:
            tables.append(pf.read(columns=list(variables)))
        finally:
            pf.close()
    table = pa.concat_tables(tables)
    # each part holds its draws one after another, each with its T years in order
    T = len(years)
    return {v: table.column(v).to_numpy().reshape(-1, T) for v in variables}


def variables_of(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    files = part_files(folder)
    if not files:
        return []
    return [n for n in pq.read_schema(files[0]).names if n not in ("draw", "year")]


def _summarise_job(
    folder: str, variables: list[str], years: np.ndarray, per_group: int, idx: np.ndarray
) -> dict:
    """Quantiles, mean and largest |value| of ``variables[idx]``, read ``per_group`` at a time."""
    import pyarrow.parquet as pq

    footers = [pq.read_metadata(f) for f in part_files(Path(folder))]
    out = {}
    for group in chunks(len(idx), per_group):
        names = [variables[i] for i in idx[group]]
        for v, x in read_columns(Path(folder), names, years, footers).items():
            out[v] = _stats(x)
    return out


def summarise(folder: Path, years: np.ndarray, executor=None, on_workers: bool = False):
    """The summary table of a streamed run: variable, year, q05 … q95, mean (exact quantiles).

    With ``on_workers`` (the workers see the folder), groups of variables are summarised
    through ``executor``; the table is the same either way.
    """
    variables = variables_of(folder)
    rows = sum(pq_rows(p) for p in part_files(folder))
    per_group = max(1, SUMMARY_BYTES // max(1, rows * 8))
    ex = executor if on_workers else None
    # two jobs a worker (each parses the parts' footers once, then reads its groups)
    jobs = 2 * worker_count(ex) if ex is not None else 1
    size = max(per_group, -(-len(variables) // jobs))
    parts, failed = map_chunks(
        _summarise_job, chunks(len(variables), size), ex, args=(str(folder), variables, years, per_group)
    )
    if failed:
        raise failed[0].error
    stats = {k: v for p in parts for k, v in p.items()}
    frame = _table(variables, years, stats)
    frame.attrs["largest"] = {v: stats[v][2] for v in variables}
    return frame


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def summary_of(results: dict[str, np.ndarray], years: np.ndarray):
    """The summary table of draws held in memory ({variable: (draws, years)}), as ``summarise``
    gives it for a streamed run; with one draw every quantile is that draw's value."""
    variables = sorted(results)
    stats = {v: _stats(results[v]) for v in variables}
    return _table(variables, years, stats)


def _stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Quantiles (5, T), mean (T,) and largest |value| of one variable's (draws, T) array."""
    return np.quantile(x, QUANTILES, axis=0), x.mean(axis=0), float(np.abs(x).max())


def _table(variables: list[str], years: np.ndarray, stats: dict):
    import pandas as pd

    T = len(years)
    return pd.DataFrame(
        {
            "variable": np.repeat(variables, T),
            "year": np.tile(years, len(variables)),
            **{c: np.concatenate([stats[v][0][i] for v in variables]) for i, c in enumerate(Q_COLUMNS)},
            "mean": np.concatenate([stats[v][1] for v in variables]),
        }
    )
