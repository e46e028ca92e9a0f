"""Monte Carlo, executors and sweeps: speed and memory. Prints figures (issue 6).

    python benchmarks/bench_montecarlo.py [--quick]

1. 10,000 aggregate draws of the full model (population, students, attainment, teachers,
   money) with four uncertain inputs, on one core.
2. 100,000 draws streamed to a run folder in chunks: wall time and peak memory (a child
   process, so its peak is its own).
3. 200 discrete-event (simpy) draws: serial vs a 2-worker Dask LocalCluster.
4. Dask overhead per chunk: tiny chunks of one draw each.
5. How cost grows with draws, years and lever points.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.executors import open_executor  # noqa: E402
from sim.runner import prepare, simulate_draws  # noqa: E402
from sim.scenario import Scenario  # noqa: E402
from sim.sweep import design, sweep  # noqa: E402
from sim.uncertainty import Uncertainty  # noqa: E402

UNC = {
    "population.births": Uncertainty(dist="truncnorm", params={"a": -2, "b": 2, "loc": 1.0, "scale": 0.1}),
    "population.net_migration": Uncertainty(dist="uniform", params={"loc": 0.6, "scale": 0.8}),
    "teachers.tegang.retention": Uncertainty(dist="beta", params={"a": 17, "b": 3}),
    "students.transitions.vocational_share": Uncertainty(dist="triang", params={"c": 0.5, "loc": 0.9, "scale": 0.2}),
}


def scenario(draws: int, end: int = 2035) -> tuple[Scenario, dict]:
    loaded, tables, _ = prepare("baseline")
    s = loaded.scenario.model_copy(update={"draws": draws, "uncertainty": UNC})
    if end != 2035:
        s = s.model_copy(update={"horizon": s.horizon.model_copy(update={"end": end}), "targets": []})
    return s, tables


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(quick: bool, only: set[int]) -> None:
    want = lambda k: not only or k in only  # noqa: E731
    s, tables = scenario(10_000)
    if want(1):
        simulate_draws(s, tables, 200)                          # warm up
        t, _ = timed(lambda: simulate_draws(s, tables, 10_000, chunk_size=500))
        print(f"1. 10,000 aggregate draws, full model, one core: {t:.2f} s")

    if not quick and want(2):
        code = ("import resource, sys, time; sys.path.insert(0, %r)\n"
                "from pathlib import Path; import tempfile\n"
                "from sim.runner import prepare, write_monte_carlo\n"
                "from sim.uncertainty import Uncertainty\n"
                "loaded, tables, paths = prepare('baseline', draws=100000)\n"
                "loaded.scenario = loaded.scenario.model_copy(update={'uncertainty': %r})\n"
                "t0 = time.perf_counter()\n"
                "folder, _, failed = write_monte_carlo(loaded, tables, paths, Path(tempfile.mkdtemp()), chunk_size=500)\n"
                "print(f'{time.perf_counter() - t0:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}')\n"
                ) % (str(ROOT), {k: v.model_dump() for k, v in UNC.items()})
        code = code.replace("'uncertainty': {", "'uncertainty': {k: Uncertainty(**v) for k, v in {").replace("}})\n", "}.items()}})\n", 1)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        print(f"2. 100,000 draws streamed to a run folder (chunks of 500): {out[0]} s, peak memory {out[1]} MB")

    if not (want(3) or want(4)):
        return _growth(tables) if want(5) else None
    n_des = 40 if quick else 200
    sd, _ = scenario(n_des)
    opts = {"engine": "des"}
    t_serial, a = timed(lambda: simulate_draws(sd, tables, n_des, opts, chunk_size=10))
    with open_executor(workers=2, scheduler="local") as ex:
        simulate_draws(sd, tables, 4, opts, executor=ex, chunk_size=2)   # warm the workers
        t_dask, b = timed(lambda: simulate_draws(sd, tables, n_des, opts, executor=ex, chunk_size=10))
        same = all(np.array_equal(a[0][k], b[0][k]) for k in a[0])
        tiny, _ = scenario(1)
        small = 200
        t1, _ = timed(lambda: simulate_draws(tiny, tables, small, executor=None, chunk_size=1))
        t2, _ = timed(lambda: simulate_draws(tiny, tables, small, executor=ex, chunk_size=1))
    print(f"3. {n_des} DES draws: serial {t_serial:.1f} s, 2-worker LocalCluster {t_dask:.1f} s "
          f"→ {t_serial / t_dask:.2f}× (identical: {same})")
    print(f"4. Dask overhead per chunk (1 draw per chunk, 2 workers): "
          f"{(t2 - t1 / 2) / small * 1e3:.1f} ms (serial {t1 / small * 1e3:.1f} ms a draw, Dask {t2 / small * 1e3:.1f} ms a chunk)")

    if want(5):
        _growth(tables)


def _growth(tables) -> None:
    print("5. cost by draws, years and lever points (aggregate, one core):")
    print("   | draws | years | lever points | seconds | µs per draw-year |")
    print("   |---|---|---|---|---|")
    for draws, end in ((1_000, 2035), (10_000, 2035), (1_000, 2045), (10_000, 2045)):
        sx, _ = scenario(draws, end)
        t, _ = timed(lambda: simulate_draws(sx, tables, draws, chunk_size=500))
        print(f"   | {draws:,} | {end - 2020 + 1} | 1 | {t:.2f} | {t / draws / (end - 2019) * 1e6:.1f} |")
    for n_points in (5, 10):
        sx, _ = scenario(200)
        pts = design([("teachers.tegang.hires", list(np.linspace(0, 400, n_points)))])
        t, _ = timed(lambda: sweep(sx, tables, pts))
        print(f"   | 200 | 16 | {n_points} | {t:.2f} | {t / 200 / n_points / 16 * 1e6:.1f} |")


if __name__ == "__main__":
    # --only 1,3 runs those sections
    only = set()
    if "--only" in sys.argv:
        only = {int(x) for x in sys.argv[sys.argv.index("--only") + 1].split(",")}
    main("--quick" in sys.argv, only)
