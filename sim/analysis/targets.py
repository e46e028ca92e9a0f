"""Targets evaluated on results: met or missed, by how much, from which year, how surely.

Per target: the value (median over draws), met or missed, the margin in the indicator's
unit and as a share of the target, the first year of the horizon in which the condition
holds, and the probability of meeting it (the share of draws that meet it).

>>> import numpy as np
>>> from sim.schema.targets import Target
>>> t = Target(id="ger", indicator="GER|Preschool", year=2025, comparison=">=", value=0.95,
...            kind="indicative", source="plan")
>>> row = evaluate_target(t, {"GER|Preschool": np.array([[0.90, 0.96]])}, np.array([2020, 2025]))
>>> row["met"], round(row["margin"], 3), row["first_year_met"], row["probability"]
(True, 0.01, 2025, 1.0)
"""

from __future__ import annotations

import numpy as np

from ..schema.targets import Target


def margin(values: np.ndarray, target: Target) -> np.ndarray:
    """Distance inside the target's bounds (≥ 0 means met), in the indicator's unit; values are
    first rounded to the precision the target is reported in, when it says so.

    >>> t = Target(id="n", indicator="NER|Junior", year=2025, value=0.99, rounding=0.01, source="plan")
    >>> margin(np.array([0.9882, 0.9849]), t).round(4).tolist()
    [0.0, -0.01]
    """
    lo, hi = target.bounds()
    if target.rounding:
        values = np.round(np.asarray(values) / target.rounding) * target.rounding
    return np.minimum(values - lo, hi - values)


def evaluate_target(target: Target, results: dict[str, np.ndarray], years: np.ndarray) -> dict:
    """One target against results {variable: (D, T)} → a row (dict)."""
    if target.indicator not in results:
        raise KeyError(f"target '{target.id}': this run did not compute '{target.indicator}'")
    series = np.asarray(results[target.indicator], dtype=float)  # (D, T)
    y0, y1 = target.years
    cols = (years >= y0) & (years <= y1)
    if not cols.any():
        raise KeyError(f"target '{target.id}': year {target.year} is outside the run's years")
    m_all = margin(series, target)  # (D, T)
    m = m_all[:, cols].min(axis=1)  # worst year in the range, per draw
    worst = np.argmin(m_all[:, cols], axis=1)
    value_at_worst = series[:, cols][np.arange(series.shape[0]), worst]
    med = float(np.median(m))
    yearly_met = np.median(m_all, axis=0) >= 0
    first = int(years[np.argmax(yearly_met)]) if yearly_met.any() else None
    held = np.median(m_all[:, cols], axis=0) >= 0
    breaches = [int(y) for y, ok in zip(years[cols], held, strict=True) if not ok]
    scale = abs(target.value) if target.value != 0 else 1.0
    return {
        "id": target.id,
        "indicator": target.indicator,
        "year": str(target.year),
        "comparison": target.comparison,
        "target": target.value,
        "tolerance": target.tolerance,
        "kind": target.kind,
        "source": target.source,
        "value": float(np.median(value_at_worst)),
        "met": bool(med >= 0),
        "status": ("by assumption" if target.holds_by else "met") if med >= 0 else "missed",
        "holds_by": target.holds_by or "",
        "margin": med,
        "margin_share": med / scale,
        "first_year_met": first,
        "breach_years": breaches,
        "probability": float((m >= 0).mean()),
    }


def evaluate(targets: list[Target], results: dict[str, np.ndarray], years: np.ndarray):
    """Every target → a table, one row each (pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame([evaluate_target(t, results, years) for t in targets])
