"""The tidy result table, the variable catalogue, and exports.

Every result is a row ``scenario, draw, year, variable, value``; variables are
named in the IAMC style with ``|`` and each has a catalogue entry (unit,
Chinese and English label, description) in ``sim/variables*.csv``.

>>> cat = catalogue()
>>> cat.loc["GER|Preschool", ["unit", "zh"]].tolist()
['fraction', '学前三年毛入园率']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def catalogue():
    """All catalogue rows (sim/variables.csv and the per-module sim/variables_*.csv), indexed by variable."""
    import pandas as pd

    frames = [pd.read_csv(p) for p in sorted(HERE.glob("variables*.csv"))]
    cat = pd.concat(frames, ignore_index=True)
    dup = cat["variable"][cat["variable"].duplicated()]
    if len(dup):
        raise ValueError(f"variables catalogued twice: {sorted(set(dup))}")
    return cat.set_index("variable")


def label(variable: str, lang: str = "zh") -> str:
    cat = catalogue()
    return str(cat.at[variable, lang]) if variable in cat.index else variable


def unit(variable: str) -> str:
    cat = catalogue()
    return str(cat.at[variable, "unit"]) if variable in cat.index else ""


def tidy(scenario: str, results: dict[str, np.ndarray], years: np.ndarray, draw_index: np.ndarray):
    """{variable: (D, T)} → long table with columns scenario, draw, year, variable, value.

    >>> df = tidy("s", {"GER|Preschool": np.array([[0.9, 0.95]])}, np.array([2020, 2021]), np.array([0]))
    >>> df[["draw", "year", "variable", "value"]].values.tolist()
    [[0, 2020, 'GER|Preschool', 0.9], [0, 2021, 'GER|Preschool', 0.95]]
    """
    import pandas as pd

    names = sorted(results)
    missing = [n for n in names if n not in catalogue().index]
    if missing:
        raise KeyError(f"result variables without a catalogue entry: {missing}")
    stacked = np.stack([np.asarray(results[n], dtype=float) for n in names])   # (V, D, T)
    V, D, T = stacked.shape
    return pd.DataFrame({
        "scenario": pd.Categorical([scenario] * (V * D * T)),
        "draw": np.tile(np.repeat(np.asarray(draw_index, dtype=np.int64), T), V),
        "year": np.tile(np.asarray(years, dtype=np.int64), V * D),
        "variable": pd.Categorical(np.repeat(names, D * T), categories=names),
        "value": stacked.reshape(-1),
    })


def write_tables(df, folder: Path) -> None:
    """results.csv and results.parquet in ``folder``."""
    folder = Path(folder)
    out = df.copy()
    out["scenario"] = out["scenario"].astype(str)
    out["variable"] = out["variable"].astype(str)
    out.to_csv(folder / "results.csv", index=False, float_format="%.10g")
    out.to_parquet(folder / "results.parquet", index=False)


def wide(df, years: list[int] | None = None):
    """IAMC wide format: one row per scenario × draw × variable, one column per year, with unit."""
    w = df.pivot_table(index=["scenario", "draw", "variable"], columns="year", values="value", observed=True)
    if years is not None:
        w = w[[y for y in years if y in w.columns]]
    w = w.reset_index()
    w.insert(3, "unit", [unit(v) for v in w["variable"]])
    return w
