"""Forecast error by lead time, as US NCES publishes for its projections.

Every scenario ``scenarios/backtest-YYYY.yaml`` starts the model in YYYY from what was known
then; the baseline starts in its own base year. Each is run and compared with every observed
value (``data/observed.csv``) after its base year and within its horizon. Per indicator and lead
time: the error (model − observed), the absolute percentage error, and with draws whether the
observation fell inside the model's 50 % and 90 % intervals. Summaries: mean absolute percentage
error (MAPE) by lead time, and the share of observations inside each interval.

>>> import pandas as pd
>>> obs = pd.DataFrame({"year": [2020], "variable": ["GER|Preschool"], "value": [0.9], "source": ["x"]})
>>> rows = compare(2015, {"GER|Preschool": np.array([[0.8, 0.85, 0.95]]).T.repeat(6, axis=1)},
...                np.arange(2015, 2021), obs)
>>> rows[["lead", "error", "ape"]].round(3).values.tolist()
[[5.0, -0.05, 0.056]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.paths import data_dir, scenario_dir


def base_years() -> dict[int, str]:
    """Base year → scenario for every back-test the data allow (and the baseline)."""
    out = {
        int(p.stem.split("-")[1]): p.stem
        for p in scenario_dir().glob("backtest-*.yaml")
        if p.stem.split("-")[1].isdigit()
    }
    out.setdefault(2020, "baseline")
    return dict(sorted(out.items()))


def observed(path: Path | None = None) -> pd.DataFrame:
    return pd.read_csv(path or data_dir() / "observed.csv", comment="#")


def compare(base: int, results: dict[str, np.ndarray], years: np.ndarray, obs: pd.DataFrame) -> pd.DataFrame:
    """Rows for every observation after ``base`` and within ``years``; results are {variable: (D, T)}.
    An observation used to calibrate the run that starts in ``base`` (``calibrates == base``) is
    never scored for it."""
    rows = []
    if "calibrates" in obs.columns:
        obs = obs[pd.to_numeric(obs["calibrates"], errors="coerce") != base]
    for _, o in obs[(obs["year"] > base) & (obs["year"] <= years[-1])].iterrows():
        if o["variable"] not in results:
            continue
        x = np.asarray(results[o["variable"]])[:, int(np.searchsorted(years, o["year"]))]
        med = float(np.median(x))
        q = np.quantile(x, [0.05, 0.25, 0.75, 0.95])
        many = x.size > 1
        rows.append(
            {
                "base": base,
                "year": int(o["year"]),
                "lead": int(o["year"]) - base,
                "variable": o["variable"],
                "observed": float(o["value"]),
                "model": med,
                "error": med - float(o["value"]),
                "ape": abs(med - float(o["value"])) / abs(float(o["value"])),
                "in50": bool(q[1] <= o["value"] <= q[2]) if many else None,
                "in90": bool(q[0] <= o["value"] <= q[3]) if many else None,
                "source": o["source"],
            }
        )
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """MAPE by lead time (over indicators), with the share of observations inside the intervals."""
    g = table.groupby("lead")
    out = pd.DataFrame({"n": g.size(), "MAPE": g["ape"].mean()})
    if table["in50"].notna().any():
        out["inside 50 %"] = g["in50"].mean()
        out["inside 90 %"] = g["in90"].mean()
    return out.reset_index()
