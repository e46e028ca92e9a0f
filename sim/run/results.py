"""The tidy result table (``scenario, region, draw, year, variable, value``) and its IAMC wide form.

>>> df = tidy("s", {"GER|Preschool": np.array([[0.9, 0.95]])}, np.array([2020, 2021]), np.array([0]))
>>> df[["region", "draw", "year", "variable", "value"]].values.tolist()
[['吉林市', 0, 2020, 'GER|Preschool', 0.9], ['吉林市', 0, 2021, 'GER|Preschool', 0.95]]

A division's results (``<variable>@<division>``, sim/core/regions.py) are rows with its name in
``region``; the city's rows come first.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.catalogue import known, label, unit
from ..core.regions import CITY, split

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("scenario", "region", "draw", "year", "variable", "value")
FLOAT_FORMAT = "%.10g"  # results.csv and summary.csv


def tidy_columns(
    scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray
) -> tuple[list[str], dict[str, np.ndarray]]:
    """{variable: (D, T)} → the variables and regions in order and the tidy table's columns
    (variable and region as indices into them), rows ordered by region (the city first),
    variable, draw, year. Returns (variables, columns); ``columns["regions"]`` lists the regions."""
    parts = {k: split(k) for k in results}
    regions = sorted({r for _, r in parts.values()}, key=lambda r: (r != CITY, r))
    order = sorted(results, key=lambda k: (regions.index(parts[k][1]), parts[k][0]))
    variables = sorted({v for v, _ in parts.values()})
    missing = [v for v in variables if not known(v)]
    if missing:
        raise KeyError(f"result variables without a catalogue entry: {missing}")
    stacked = np.stack([np.asarray(results[n], dtype=float) for n in order])  # (V, D, T)
    V, D, T = stacked.shape
    vcode = np.array([variables.index(parts[n][0]) for n in order], dtype=np.int64)
    rcode = np.array([regions.index(parts[n][1]) for n in order], dtype=np.int64)
    return variables, {
        "regions": regions,
        "region": np.repeat(rcode, D * T),
        "draw": np.tile(np.repeat(np.asarray(draw_index, dtype=np.int64), T), V),
        "year": np.tile(np.asarray(years, dtype=np.int64), V * D),
        "variable": np.repeat(vcode, D * T),
        "value": stacked.reshape(-1),
    }


def tidy(
    scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray
) -> pd.DataFrame:
    """{variable: (D, T)} → long table with columns scenario, draw, year, variable, value."""
    import pandas as pd

    names, cols = tidy_columns(scenario, results, years, draw_index)
    n = len(cols["value"])
    return pd.DataFrame(
        {
            "scenario": pd.Categorical([scenario] * n),
            "region": pd.Categorical.from_codes(cols["region"], categories=cols["regions"]),
            "draw": cols["draw"],
            "year": cols["year"],
            "variable": pd.Categorical.from_codes(cols["variable"], categories=names),
            "value": cols["value"],
        }
    )


def write_results(
    scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray, folder: Path
) -> int:
    """results.csv and results.parquet in ``folder`` straight from the arrays, without pandas
    (~0.2 s to import: most of a one-draw ``edusim run``); the same files, byte for byte, as
    pandas writes from ``tidy(...)`` (a test). Returns the number of rows."""
    folder = Path(folder)
    names, cols = tidy_columns(scenario, results, years, draw_index)
    n = len(cols["value"])
    # each text field quoted (where csv would) once, not once a row: a run with divisions writes
    # ~45,000 rows
    quote = _csv_fields
    scen = quote([scenario])[0]
    var_text = quote(names)
    reg_text = quote(cols["regions"])
    lines = [
        f"{scen},{reg_text[r]},{d},{y},{var_text[v]},{FLOAT_FORMAT % x if x == x else ''}"  # NaN: empty
        for r, d, y, v, x in zip(
            cols["region"].tolist(),
            cols["draw"].tolist(),
            cols["year"].tolist(),
            cols["variable"].tolist(),
            cols["value"].tolist(),
            strict=True,
        )
    ]
    with open(folder / "results.csv", "w", encoding="utf-8", newline="") as f:
        f.write(",".join(COLUMNS) + "\n")
        if lines:
            f.write("\n".join(lines) + "\n")
    _write_parquet(folder / "results.parquet", scenario, names, cols)
    return n


def _csv_fields(texts: list[str]) -> list[str]:
    """Each text as the csv module writes it in a row (quoted where it holds a comma, a quote or a
    line break)."""
    import io

    out = []
    for t in texts:
        if t == "":  # alone in a row csv would quote it; among other fields it is empty
            out.append("")
            continue
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([t])
        out.append(buf.getvalue())
    return out


def _write_parquet(path: Path, scenario: str, names: list[str], cols: dict) -> None:
    """The tidy table as pandas' ``to_parquet(index=False)`` writes it: the same column types, NaN
    as null, and the ``pandas`` schema metadata (so ``to_pandas()`` rebuilds the same frame). The
    arrays are built from their buffers: ``pa.array`` would import pandas to look for its types."""
    from importlib.metadata import PackageNotFoundError, version

    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pandas_version = version("pandas")
    except PackageNotFoundError:  # pragma: no cover - pandas is a dependency
        pandas_version = None
    types = {
        "scenario": "object",
        "region": "object",
        "draw": "int64",
        "year": "int64",
        "variable": "object",
        "value": "float64",
    }
    meta = {
        "index_columns": [],
        "column_indexes": [],
        "columns": [
            {
                "name": c,
                "field_name": c,
                "pandas_type": t,
                "numpy_type": "str" if t == "object" else t,
                "metadata": None,
            }
            for c, t in types.items()
        ],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": pandas_version,
    }
    n = len(cols["value"])
    table = pa.table(
        {
            "scenario": _strings(pa, [scenario], np.zeros(n, dtype=np.int64)),
            "region": _strings(pa, cols["regions"], cols["region"]),
            "draw": _numbers(pa, cols["draw"], pa.int64()),
            "year": _numbers(pa, cols["year"], pa.int64()),
            "variable": _strings(pa, names, cols["variable"]),
            "value": _numbers(pa, cols["value"], pa.float64()),
        }
    ).replace_schema_metadata({b"pandas": json.dumps(meta).encode()})
    pq.write_table(table, path)


def _numbers(pa, values: np.ndarray, type_):
    """A numeric Arrow array over a numpy array; NaN becomes null."""
    values = np.ascontiguousarray(values)
    bad = np.isnan(values) if values.dtype.kind == "f" else None
    nulls = int(bad.sum()) if bad is not None else 0
    valid = pa.py_buffer(np.packbits(~bad, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(type_, len(values), [valid, pa.py_buffer(values)], null_count=nulls)


def _strings(pa, names: list[str], codes: np.ndarray):
    """A large_string Arrow array of ``names[codes]``."""
    encoded = [s.encode("utf-8") for s in names]
    size = np.array([len(e) for e in encoded], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    lengths = size[codes]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # every row's bytes gathered from the names laid end to end (a run with divisions writes
    # ~45,000 rows: a Python join over them took 16 ms)
    pool = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    index = np.repeat(start[codes] - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
    data = pool[index].tobytes()
    return pa.Array.from_buffers(
        pa.large_string(), len(codes), [None, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=0
    )


def wide(df: pd.DataFrame, years: list[int] | None = None, labels: bool = True) -> pd.DataFrame:
    """IAMC wide format: one row per scenario × draw × variable, one column per year, with unit
    (and the Chinese and English labels)."""
    index = [c for c in ("scenario", "region", "draw", "variable") if c in df.columns]
    w = df.pivot_table(index=index, columns="year", values="value", observed=True)
    if years is not None:
        w = w[[y for y in years if y in w.columns]]
    w = w.reset_index()
    at = index.index("variable") + 1
    w.insert(at, "unit", [unit(v) for v in w["variable"]])
    if labels:
        w.insert(at + 1, "label_zh", [label(v, "zh") for v in w["variable"]])
        w.insert(at + 2, "label_en", [label(v, "en") for v in w["variable"]])
    return w
