"""Speed and memory of the foundation (population + students + attainment). Prints figures.

    python benchmarks/bench_foundation.py            # 1,000 and 10,000 draws
    python benchmarks/bench_foundation.py --quick    # 200 and 1,000 draws
    python benchmarks/bench_foundation.py --repeat 9 # repeats of the draw and end-to-end figures (≥ 5)

Targets (issue 2): one deterministic 2020-2035 baseline < 20 ms (model alone); 10,000 draws
< 2 s on one core; `edusim run scenarios/baseline.yaml` end to end, start-up included, < 2 s.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import command, interleave, machine, measure, repeats

from sim.run.simulate import prepare, simulate

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sizes = (200, 1_000) if "--quick" in sys.argv else (1_000, 10_000)
    rep = repeats(sys.argv)
    print(machine())
    prep = prepare("baseline")
    tables, full = prep.tables, prep.scenario
    s = full.model_copy(update={"teachers": None, "finance": None})  # the foundation's stages only
    det = interleave(
        {
            "population+students+attainment": lambda: simulate(s, tables, np.arange(1)),
            "full model (+teachers, money)": lambda: simulate(full, tables, np.arange(1)),
        },
        50,
        warm=True,
    )
    for what, t in det.items():
        print(f"deterministic baseline 2020-2035, {what}: {t.line('ms')}")
    ok = det["population+students+attainment"].wall_median < 0.02
    print(f"  (target < 20 ms for the foundation, median: {'ok' if ok else 'MISSED'})")
    many = interleave({n: (lambda n=n: simulate(s, tables, np.arange(n))) for n in sizes}, rep)
    for n, t in many.items():
        print(f"{n:>6,} draws, population+students+attainment: {t.line()}")
        print(f"        per draw: {t.line('µs', per=n)}")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    exe = shutil.which("edusim") or str(Path(sys.executable).parent / "edusim")
    out = tempfile.mkdtemp()
    try:
        t = measure(
            command([exe, "run", str(ROOT / "scenarios" / "baseline.yaml"), "--out", out], cwd=ROOT), rep
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"`edusim run scenarios/baseline.yaml` end to end (start-up included): {t.line('s')}")
    print(f"  (target < 2 s, median: {'ok' if t.wall_median < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
