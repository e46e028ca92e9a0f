"""Speed and memory of the foundation (population + students + attainment). Prints figures.

    python benchmarks/bench_foundation.py

Targets (issue 2): one deterministic 2020-2035 baseline < 20 ms (model alone); 10,000 draws
< 2 s on one core; `edusim run scenarios/baseline.yaml` end to end, start-up included, < 2 s.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import timeit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.runner import read_tables, simulate  # noqa: E402
from sim.scenario import load  # noqa: E402




def main() -> None:
    loaded = load("baseline")
    tables, _ = read_tables(loaded)
    full = loaded.scenario
    s = full.model_copy(update={"teachers": None, "finance": None})   # the foundation's stages only
    one = timeit(lambda: simulate(s, tables, np.arange(1)), 50)
    print(f"deterministic baseline 2020-2035, population+students+attainment: {one * 1e3:.2f} ms (median of 50)")
    one_full = timeit(lambda: simulate(full, tables, np.arange(1)), 50)
    print(f"deterministic baseline 2020-2035, full model (+teachers, money): {one_full * 1e3:.2f} ms (median of 50)")
    for n in (1_000, 10_000):
        t = timeit(lambda: simulate(s, tables, np.arange(n)), 3)
        print(f"{n:>6} draws, population+students+attainment: {t:.3f} s ({t / n * 1e6:.1f} µs/draw)")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    exe = shutil.which("edusim") or str(Path(sys.executable).parent / "edusim")
    out = tempfile.mkdtemp()
    walls = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([exe, "run", str(ROOT / "scenarios" / "baseline.yaml"), "--out", out],
                       check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
    shutil.rmtree(out, ignore_errors=True)
    print(f"`edusim run scenarios/baseline.yaml` end to end: {statistics.median(walls):.2f} s (median of 5, start-up included)")


if __name__ == "__main__":
    main()
