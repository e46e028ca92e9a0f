"""The tidy result table (``scenario, draw, year, variable, value``) and its IAMC wide form.

>>> df = tidy("s", {"GER|Preschool": np.array([[0.9, 0.95]])}, np.array([2020, 2021]), np.array([0]))
>>> df[["draw", "year", "variable", "value"]].values.tolist()
[[0, 2020, 'GER|Preschool', 0.9], [0, 2021, 'GER|Preschool', 0.95]]
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..core.catalogue import known, label, unit

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("scenario", "draw", "year", "variable", "value")
FLOAT_FORMAT = "%.10g"  # results.csv and summary.csv


def tidy_columns(
    scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray
) -> tuple[list[str], dict[str, np.ndarray]]:
    """{variable: (D, T)} → the variables in order and the tidy table's columns (variable as
    indices into them), rows ordered by variable, draw, year."""
    names = sorted(results)
    missing = [n for n in names if not known(n)]
    if missing:
        raise KeyError(f"result variables without a catalogue entry: {missing}")
    stacked = np.stack([np.asarray(results[n], dtype=float) for n in names])  # (V, D, T)
    V, D, T = stacked.shape
    return names, {
        "draw": np.tile(np.repeat(np.asarray(draw_index, dtype=np.int64), T), V),
        "year": np.tile(np.asarray(years, dtype=np.int64), V * D),
        "variable": np.repeat(np.arange(V), D * T),
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
    variable = [names[i] for i in cols["variable"].tolist()]
    with open(folder / "results.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(
            zip(
                [scenario] * n,
                cols["draw"].tolist(),
                cols["year"].tolist(),
                variable,
                [FLOAT_FORMAT % v if v == v else "" for v in cols["value"].tolist()],  # NaN: empty
                strict=True,
            )
        )
    _write_parquet(folder / "results.parquet", scenario, names, cols)
    return n


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
    types = {"scenario": "object", "draw": "int64", "year": "int64", "variable": "object", "value": "float64"}
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
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)[codes]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = b"".join(encoded[i] for i in codes.tolist())
    return pa.Array.from_buffers(
        pa.large_string(), len(codes), [None, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=0
    )


def wide(df: pd.DataFrame, years: list[int] | None = None, labels: bool = True) -> pd.DataFrame:
    """IAMC wide format: one row per scenario × draw × variable, one column per year, with unit
    (and the Chinese and English labels)."""
    index = [c for c in ("scenario", "draw", "variable") if c in df.columns]
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
