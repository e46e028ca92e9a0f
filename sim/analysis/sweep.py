"""Lever sweeps (a grid or a Latin hypercube over the bureau's levers) and goal-seeking.

Each lever point is the scenario with the lever's leaf set to a constant; each point runs
its own Monte Carlo draws (the same seeds at every point, so differences between points are
the lever's, not sampling noise) and gives the probability of meeting each target.

>>> parse_lever("teachers.tegang.hires=0:400:100")
('teachers.tegang.hires', [0.0, 100.0, 200.0, 300.0, 400.0])
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..run.simulate import simulate, simulate_draws
from ..schema.paths import set_leaf
from .targets import evaluate


class LeverError(ValueError):
    """A lever written in a way that cannot be used; the message says how to write it."""


def parse_lever(text: str, levers: dict | None = None, max_points: int = 10_000) -> tuple[str, list[float]]:
    """``PATH=LO:HI:STEP`` (a grid), ``PATH=LO:HI`` (a range, for --samples or solve) or ``PATH``
    (the range given in the scenario's ``levers:`` block)."""
    path, _, spec = text.partition("=")
    path = path.strip()
    if not path:
        raise LeverError(
            f"lever {text!r} names no path: write PATH=LO:HI[:STEP], e.g. teachers.tegang.hires=0:300:50"
        )
    if not spec:
        if levers and path in levers:
            return path, [levers[path].min, levers[path].max]
        raise LeverError(f"lever '{path}' has no range: write {path}=LO:HI[:STEP] or add it to `levers:`")
    try:
        parts = [float(x) for x in spec.split(":")]
    except ValueError:
        raise LeverError(f"lever range '{spec}' is not LO:HI or LO:HI:STEP numbers") from None
    if len(parts) not in (2, 3):
        raise LeverError(f"lever range '{spec}' is not LO:HI or LO:HI:STEP")
    if not all(np.isfinite(parts)):
        raise LeverError(f"lever range '{spec}' must hold finite numbers")
    lo, hi = parts[0], parts[1]
    if lo > hi:
        raise LeverError(f"lever {path}: lower bound {lo:g} > upper bound {hi:g}")
    if len(parts) == 2:
        return path, [lo, hi]
    step = parts[2]
    if step <= 0:
        raise LeverError(f"lever {path}: step must be > 0, got {step:g}")
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    if n > max_points:
        raise LeverError(f"lever {path}: {lo:g}:{hi:g}:{step:g} is {n:,} points; at most {max_points:,}")
    return path, [lo + i * step for i in range(n)]


def design(levers: list[tuple[str, list[float]]], samples: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The lever points: the full grid, or ``samples`` Latin-hypercube points over each range."""
    names = [p for p, _ in levers]
    if samples:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(levers), seed=seed).random(samples)
        lo = np.array([min(v) for _, v in levers])
        hi = np.array([max(v) for _, v in levers])
        return pd.DataFrame(lo + u * (hi - lo), columns=names)
    return pd.DataFrame(list(itertools.product(*[v for _, v in levers])), columns=names)


def run_point(scenario, tables, values: dict[str, float], options=None, executor=None, chunk_size=None):
    """One lever point → (results {variable: (D, T)}, target table)."""
    s = scenario
    for path, v in values.items():
        s = set_leaf(s, path, v)
    if s.draws == 1 and executor is None:
        results = simulate(s, tables, options=options).results
    else:
        results, failed = simulate_draws(s, tables, s.draws, options, executor, chunk_size)
        if failed:
            raise failed[0].error
    return results, evaluate(s.targets, results, s.years)


def sweep(scenario, tables, points: pd.DataFrame, options=None, executor=None, on_point=None) -> pd.DataFrame:
    """Probability of meeting each target (and its median margin) at every lever point: a long table."""
    rows = []
    for _, point in points.iterrows():
        _, tt = run_point(scenario, tables, point.to_dict(), options, executor)
        for _, t in tt.iterrows():
            rows.append(
                {
                    **point.to_dict(),
                    "target": t["id"],
                    "probability": t["probability"],
                    "margin": t["margin"],
                    "value": t["value"],
                }
            )
        if on_point is not None:
            on_point(1)
    return pd.DataFrame(rows)


def solve(
    scenario,
    tables,
    path: str,
    target_id: str,
    lo: float,
    hi: float,
    probability: float | None = None,
    options=None,
    executor=None,
    scan: int = 9,
) -> dict:
    """The smallest (or largest) lever value in [lo, hi] at which the target is met.

    The response is the target's margin (one draw) or P(met) − probability (with draws).
    It is scanned at ``scan`` points; it must be monotone there, and then scipy's brentq
    brackets the crossing. Raises LeverError when the response is not monotone or no value
    in the range meets the target.
    """
    from scipy.optimize import brentq

    ids = [t.id for t in scenario.targets]
    if target_id not in ids:
        import difflib

        close = difflib.get_close_matches(target_id, ids, n=1)
        raise LeverError(
            f"no target '{target_id}'"
            + (f"; did you mean '{close[0]}'?" if close else f"; targets: {', '.join(ids)}")
        )
    if lo > hi:
        raise LeverError(f"lever {path}: lower bound {lo:g} > upper bound {hi:g}")

    def response(x: float) -> float:
        _, tt = run_point(scenario, tables, {path: x}, options, executor)
        row = tt[tt["id"] == target_id].iloc[0]
        if probability is None:
            return float(row["margin"])
        return float(row["probability"]) - probability

    xs = np.linspace(lo, hi, scan)
    ys = np.array([response(x) for x in xs])
    diffs = np.diff(ys)
    tol = 1e-9 * max(1.0, np.abs(ys).max())
    rising, falling = (diffs >= -tol).all(), (diffs <= tol).all()
    if not (rising or falling):
        raise LeverError(
            f"the response of '{target_id}' to {path} is not monotone over {lo:g}..{hi:g} "
            f"(scanned: {', '.join(f'{x:g}→{y:+.3g}' for x, y in zip(xs, ys, strict=True))}); "
            "narrow the range"
        )
    met = ys >= 0
    if not met.any():
        raise LeverError(
            f"no value of {path} in {lo:g}..{hi:g} meets '{target_id}' "
            f"(best: {ys.max():+.3g} at {xs[ys.argmax()]:g})"
        )
    if met.all():
        x = lo if rising else hi
        return {
            "lever": path,
            "value": x,
            "target": target_id,
            "response": float(ys[0] if rising else ys[-1]),
            "note": "met across the whole range",
            "direction": "smallest" if rising else "largest",
        }
    k = int(np.argmax(met)) if rising else int(len(met) - 1 - np.argmax(met[::-1]))
    a, b = (xs[k - 1], xs[k]) if rising else (xs[k], xs[k + 1])
    xtol = 1e-6 * max(1.0, abs(hi - lo))
    root = brentq(response, a, b, xtol=xtol)
    # on a step (a probability) the root may sit just on the missed side: nudge it across
    x = root
    for _ in range(4):
        if response(x) >= 0:
            break
        x = min(x + 2 * xtol, b) if rising else max(x - 2 * xtol, a)
        xtol *= 4
    return {
        "lever": path,
        "value": float(x),
        "target": target_id,
        "response": response(x),
        "note": "",
        "direction": "smallest" if rising else "largest",
    }
