"""Each uncertain input's value for each draw, from the seed and the draw's number alone.

Draw d's values come from ``numpy.random.SeedSequence(seed, spawn_key=(d,))`` alone —
the same stream ``SeedSequence(seed).spawn(draws)[d]`` gives — so they do not depend on
how draws are chunked or which worker runs them. Every uncertain input is drawn up front
and stored beside the outputs (``inputs.parquet`` in a Monte Carlo run folder).

>>> from sim.schema.uncertainty import Uncertainty
>>> u = {"population.births": Uncertainty(dist="uniform", params={"loc": 0.9, "scale": 0.2})}
>>> v = sample(u, seed=1, draw_index=np.arange(3))["population.births"]
>>> v.shape, bool(((v >= 0.9) & (v <= 1.1)).all())
((3,), True)
"""

from __future__ import annotations

import numpy as np

from ..schema.uncertainty import Uncertainty, frozen


def sample(uncertainties: dict[str, Uncertainty], seed: int, draw_index: np.ndarray) -> dict[str, np.ndarray]:
    """Each uncertain input's value for each draw: {path: (D,)}."""
    if not uncertainties:
        return {}
    paths = sorted(uncertainties)
    u = np.empty((len(draw_index), len(paths)))
    for row, d in enumerate(draw_index):
        u[row] = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(d),))).random(len(paths))
    return {p: frozen(uncertainties[p]).ppf(u[:, i]) for i, p in enumerate(paths)}
