"""The tidy result table (``scenario, draw, year, variable, value``) and its IAMC wide form.

>>> df = tidy("s", {"GER|Preschool": np.array([[0.9, 0.95]])}, np.array([2020, 2021]), np.array([0]))
>>> df[["draw", "year", "variable", "value"]].values.tolist()
[[0, 2020, 'GER|Preschool', 0.9], [0, 2021, 'GER|Preschool', 0.95]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.catalogue import known, label, unit


def tidy(
    scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray
) -> pd.DataFrame:
    """{variable: (D, T)} → long table with columns scenario, draw, year, variable, value."""
    names = sorted(results)
    missing = [n for n in names if not known(n)]
    if missing:
        raise KeyError(f"result variables without a catalogue entry: {missing}")
    stacked = np.stack([np.asarray(results[n], dtype=float) for n in names])  # (V, D, T)
    V, D, T = stacked.shape
    return pd.DataFrame(
        {
            "scenario": pd.Categorical([scenario] * (V * D * T)),
            "draw": np.tile(np.repeat(np.asarray(draw_index, dtype=np.int64), T), V),
            "year": np.tile(np.asarray(years, dtype=np.int64), V * D),
            "variable": pd.Categorical(np.repeat(names, D * T), categories=names),
            "value": stacked.reshape(-1),
        }
    )


def write_tables(df: pd.DataFrame, folder: Path) -> None:
    """results.csv and results.parquet in ``folder``."""
    folder = Path(folder)
    out = df.copy()
    out["scenario"] = out["scenario"].astype(str)
    out["variable"] = out["variable"].astype(str)
    out.to_csv(folder / "results.csv", index=False, float_format="%.10g")
    out.to_parquet(folder / "results.parquet", index=False)


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
