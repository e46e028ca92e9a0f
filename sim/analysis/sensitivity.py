"""Which unknowns matter most: Sobol indices or Morris elementary effects, with SALib.

The problem is the scenario's ``uncertainty:`` block. SALib samples each input on [0, 1]
(its quantile) and the model sees the distribution's value at that quantile, so any
scipy distribution works; the model runs every sample row as one draw, vectorised.

>>> from SALib.test_functions import Ishigami
>>> ishigami = lambda u: Ishigami.evaluate(-np.pi + 2 * np.pi * u)
>>> res = analyse("sobol", ["x1", "x2", "x3"], ishigami, n=1024, seed=1)
>>> [round(v, 1) for v in res["S1"]]
[0.3, 0.4, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..run.executors import chunks, map_chunks, share
from ..run.simulate import simulate
from ..schema.uncertainty import frozen


def analyse(
    method: str,
    names: list[str],
    model: Callable[[np.ndarray], np.ndarray],
    n: int,
    seed: int = 0,
    levels: int = 4,
) -> pd.DataFrame:
    """Indices of ``model`` (rows of quantiles in [0, 1] → outputs) for inputs ``names``.

    sobol: first-order (S1) and total (ST) indices with 95 % confidence intervals, from
    n × (2k + 2) model runs (Saltelli's scheme); morris: mu*, mu and sigma of the elementary
    effects over n trajectories (n × (k + 1) runs).
    """
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    if method == "sobol":
        from SALib.analyze import sobol
        from SALib.sample import sobol as sobol_sample

        u = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
        y = np.asarray(model(u), dtype=float)
        si = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        return pd.DataFrame(
            {
                "input": names,
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
    if method == "morris":
        from SALib.analyze import morris
        from SALib.sample import morris as morris_sample

        u = morris_sample.sample(problem, n, num_levels=levels, seed=seed)
        y = np.asarray(model(u), dtype=float)
        si = morris.analyze(problem, u, y, num_levels=levels, seed=seed)
        return pd.DataFrame(
            {
                "input": names,
                "mu_star": si["mu_star"],
                "mu_star_conf": si["mu_star_conf"],
                "mu": si["mu"],
                "sigma": si["sigma"],
            }
        )
    raise ValueError(f"method must be sobol or morris, got '{method}'")


def model_output(
    scenario,
    tables: dict,
    variable: str,
    year: int,
    options: dict | None = None,
    executor=None,
    chunk_size: int = 2000,
) -> tuple[list[str], Callable[[np.ndarray], np.ndarray]]:
    """The scenario as a function of its uncertain inputs' quantiles → ``variable`` in ``year``."""
    names = sorted(scenario.uncertainty)
    if not names:
        raise ValueError("the scenario has no uncertainty: block to analyse")
    years = list(scenario.years)
    if year not in years:
        raise ValueError(f"year {year} is outside the horizon {years[0]}-{years[-1]}")

    def model(u: np.ndarray) -> np.ndarray:
        values = {p: frozen(scenario.uncertainty[p]).ppf(u[:, i]) for i, p in enumerate(names)}
        # the inputs of every row travel once to each worker; each chunk takes its rows by index
        payload = share(
            executor, (scenario, tables, dict(options or {}), values, variable, years.index(year))
        )
        out, failed = map_chunks(_rows, chunks(len(u), chunk_size), executor, args=(payload,))
        if failed:
            raise failed[0].error
        return np.concatenate(out)

    return names, model


def _rows(payload: tuple, idx: np.ndarray) -> np.ndarray:
    scenario, tables, options, values, variable, t = payload
    ctx = simulate(scenario, tables, idx, options, drawn={p: v[idx] for p, v in values.items()})
    if variable not in ctx.results:
        raise KeyError(f"the model does not produce '{variable}'")
    return ctx.results[variable][:, t]
