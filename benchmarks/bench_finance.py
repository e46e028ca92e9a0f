"""Speed of the money stage. Prints figures.

    python benchmarks/bench_finance.py            # 10,000 draws
    python benchmarks/bench_finance.py --quick    # 1,000 draws

Target (issue): the stage adds < 5 ms to a deterministic run. Inputs are built by hand
(``sim.finance.example_context``: enrolment, teacher supply, 特岗, township subsidy) so the
figure is the finance stage alone; settings are the baseline's ``finance:`` block (four projects).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import timeit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.finance import breaches, example_context, finance_stage  # noqa: E402
from sim.finance_schema import Finance  # noqa: E402


def settings() -> Finance:
    from ruamel.yaml import YAML
    base = YAML(typ="safe", pure=True).load((ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8"))
    return Finance.model_validate(base["finance"])




def main() -> None:
    draws = 1000 if "--quick" in sys.argv else 10_000
    cfg = settings()
    one = example_context(draws=1, teachers=True)
    t1 = timeit(lambda: finance_stage(cfg, one), 200, warm=True)
    print(f"finance stage, deterministic (1 draw, 16 years, {len(cfg.projects)} projects): {t1 * 1e3:.3f} ms"
          f"  (target < 5 ms: {'ok' if t1 < 0.005 else 'MISSED'})")

    many = example_context(draws=draws, teachers=True)
    rng = np.random.default_rng(0)
    for k in list(many.results):  # ±10 % noise so draws differ
        many.results[k] = many.results[k] * rng.uniform(0.9, 1.1, size=(draws, 1))
    tn = timeit(lambda: finance_stage(cfg, many), 5, warm=True)
    print(f"finance stage, {draws:,} draws: {tn * 1e3:.1f} ms ({tn / draws * 1e6:.2f} µs per draw)")
    for alloc in ("affordable",):
        c2 = cfg.model_copy(update={"allocation": alloc})
        ta = timeit(lambda: finance_stage(c2, many), 5, warm=True)
        print(f"finance stage, {draws:,} draws, allocation={alloc}: {ta * 1e3:.1f} ms")
    out = finance_stage(cfg, many)
    tb = timeit(lambda: breaches(out, many.years), 3, warm=True)
    print(f"breaches() over {draws:,} draws: {tb * 1e3:.1f} ms ({len(breaches(out, many.years)):,} breaches)")


if __name__ == "__main__":
    main()
