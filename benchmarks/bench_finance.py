"""Speed of the money stage. Prints figures.

    python benchmarks/bench_finance.py            # 10,000 draws
    python benchmarks/bench_finance.py --quick    # 1,000 draws
    python benchmarks/bench_finance.py --repeat 9 # more repeats of the many-draw figures (at least 5)

Target (issue): the stage adds < 5 ms to a deterministic run. Inputs are built by hand
(``tests/helpers.py: finance_context``: enrolment, teacher supply, 特岗, township subsidy) so the
figure is the finance stage alone; settings are the baseline's ``finance:`` section (four projects).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from timing import interleave, machine, measure, repeats

from sim.analysis.money_rules import breaches
from sim.core.context import StudentFlows, TeacherSupply
from sim.stages.finance import finance_stage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import finance_cfg, finance_context  # noqa: E402


def noisy(ctx, rng: np.random.Generator) -> None:
    """±10 % noise by draw on every input the stage reads, so draws differ."""
    D = ctx.draws
    f = ctx.need(StudentFlows)
    f.stock *= rng.uniform(0.9, 1.1, size=(D, 1, f.stock.shape[2], 1))
    f.preschool *= rng.uniform(0.9, 1.1, size=(D, 1, 1))
    s = ctx.need(TeacherSupply)
    ctx.put(
        replace(
            s,
            supply=s.supply * rng.uniform(0.9, 1.1, size=(D, 1, s.supply.shape[2])),
            tegang_in_contract=s.tegang_in_contract * rng.uniform(0.9, 1.1, size=(D, 1)),
            township_subsidy=s.township_subsidy * rng.uniform(0.9, 1.1, size=(D, 1)),
        )
    )


def main() -> None:
    draws = 1000 if "--quick" in sys.argv else 10_000
    rep = repeats(sys.argv)
    print(machine())
    cfg = finance_cfg()
    one = finance_context(draws=1, teachers=True)
    t1 = measure(lambda: finance_stage(cfg, one), 200, warm=True)
    print(
        f"finance stage, deterministic (1 draw, 16 years, {len(cfg.projects)} projects): {t1.line('ms')}"
        f"  (target < 5 ms, median: {'ok' if t1.wall_median < 0.005 else 'MISSED'})"
    )

    many = finance_context(draws=draws, teachers=True)
    noisy(many, np.random.default_rng(0))
    variants = {"required": cfg, "affordable": cfg.model_copy(update={"allocation": "affordable"})}
    assert cfg.allocation == "required", cfg.allocation
    tn = interleave({k: (lambda c=c: finance_stage(c, many)) for k, c in variants.items()}, rep, warm=True)
    for alloc, t in tn.items():
        print(f"finance stage, {draws:,} draws, allocation={alloc}: {t.line()}")
        print(f"    per draw: {t.line('µs', per=draws)}")
    out = finance_stage(cfg, many)
    tb = measure(lambda: breaches(out, many.years), rep, warm=True)
    print(f"breaches() over {draws:,} draws ({len(tb.result):,} breaches): {tb.line()}")


if __name__ == "__main__":
    main()
