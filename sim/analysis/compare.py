"""Scenarios side by side: key indicators for chosen years, with differences against the first.

>>> import numpy as np
>>> from types import SimpleNamespace as NS
>>> run = lambda name, v: NS(scenario=NS(name=name), years=np.array([2025]),
...                         results={"Enrolment|Primary": np.array([[v]])})
>>> comparison_table([run("a", 100.0), run("b", 90.0)], ["Enrolment|Primary"], [2025]).iloc[0, 2:].tolist()
[100.0, 90.0, -10.0]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.catalogue import entry
from ..core.regions import CITY, of_region
from ..run.folders import write_file


def comparison_table(runs, variables: list[str], years: list[int], region: str = CITY) -> pd.DataFrame:
    """One row per indicator; columns ``<scenario> <year>`` (mean over draws) and ``Δ <scenario> <year>``;
    ``region``: the city or one of its divisions."""
    ref = runs[0]
    rows = []
    results = {id(r): of_region(r.results, region) for r in runs}
    for v in variables:
        if not all(v in results[id(r)] for r in runs):
            continue
        e = entry(v)
        row = {"indicator": f"{e.zh} {e.en}", "unit": e.unit}
        for y in years:
            base = None
            for r in runs:
                if y not in set(r.years.tolist()):
                    raise ValueError(f"{y} is outside {r.scenario.name}'s horizon")
                val = float(np.mean(results[id(r)][v][:, list(r.years).index(y)]))
                row[f"{r.scenario.name} {y}"] = val
                if r is ref:
                    base = val
                else:
                    row[f"Δ {r.scenario.name} {y}"] = val - base
        rows.append(row)
    return pd.DataFrame(rows)


def write_comparison(df: pd.DataFrame, out: Path) -> list[Path]:
    """FILE.csv and FILE.xlsx (for planners), each written whole or not at all."""
    out = Path(out)
    return [
        write_file(lambda p: df.to_csv(p, index=False), out.with_suffix(".csv")),
        write_file(lambda p: df.to_excel(p, index=False, sheet_name="compare"), out.with_suffix(".xlsx")),
    ]
