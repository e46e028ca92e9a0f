"""Cost of the aggregate model stage by stage: per run and per draw (issue #13). Prints figures.

    python benchmarks/bench_stages.py             # 500, 2,000 and 10,000 draws; 10,000 through the runner
    python benchmarks/bench_stages.py --quick     # 200 and 1,000 draws; 2,000 through the runner
    python benchmarks/bench_stages.py --repeat 9  # repeats of every figure (≥ 5)

Prints, with CPU time beside wall time (min and median of interleaved repeats) and the load average:

1. the deterministic baseline 2020-2035, the whole model in-process (``simulate``; target ≤ 5 ms
   CPU), and each stage's own time (its ``run`` alone; what is left is ``simulate``'s per-result
   handling: the shape and finiteness checks);
2. per draw, each stage run in ONE block of 500, 2,000 and 10,000 draws (students, attainment,
   teachers with the aggregate engine, finance; target: flat from 500 to 10,000);
3. 10,000 draws of the whole model through the runner (``sim.run.simulate.run``, chunks of 500;
   target ≤ 3 s CPU on one core);
4. the student-flow core (``simulate_students``, the cohort transition of the students stage) beside
   a plain numpy matrix product of the same size: per year, one (n × n) matrix per draw times the
   state vector (``np.matmul`` (D, n, n) @ (D, n, 1)), and one shared matrix times all draws
   ((n, n) @ (n, D)); n = grades × lags.

BLAS runs on one thread (OPENBLAS/OMP/MKL_NUM_THREADS=1 unless set), so every figure is one core's.
"""

# ruff: noqa: E402  (the BLAS threads are set before numpy is imported)
from __future__ import annotations

import os
import sys
from copy import copy

# one core: BLAS (the plain matrix products below) on one thread, unless the caller says otherwise
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
from timing import interleave, machine, measure, repeats

from sim.core.context import Population, StageContext
from sim.core.levels import N_GRADES, N_LAGS
from sim.run.sampling import sample
from sim.run.simulate import active_stages, prepare, run, simulate
from sim.stages.population import population_stage
from sim.stages.students import simulate_students, student_params


def context(prep, draws: int) -> StageContext:
    """A fresh context for ``draws`` draws (one block), as ``simulate`` builds it."""
    sc = prep.scenario
    ctx = StageContext(
        years=sc.years, draws=draws, seed=sc.seed, draw_index=np.arange(draws), tables=prep.tables
    )
    drawn = sample(sc.uncertainty, sc.seed, ctx.draw_index) if draws > 1 else {}
    ctx.perturb = {p: (sc.uncertainty[p].apply, v) for p, v in drawn.items()}
    return ctx


def fork(ctx: StageContext) -> StageContext:
    """A copy of the context a stage may add to without touching the original."""
    c = copy(ctx)
    c.results, c.outputs, c.warnings = dict(ctx.results), dict(ctx.outputs), list(ctx.warnings)
    c.undefined, c.consumed = set(ctx.undefined), set(ctx.consumed)
    return c


def stage_runs(prep, draws: int) -> dict:
    """{stage name: a function running that stage alone on the outputs of the stages before it}."""
    sc = prep.scenario
    ctx = context(prep, draws)
    out = {}
    with np.errstate(all="ignore"):
        for stage in active_stages(sc):
            before = fork(ctx)
            section = getattr(sc, stage.section)

            def one(stage=stage, section=section, before=before):
                with np.errstate(all="ignore"):
                    return stage.run(section, fork(before))

            out[stage.name] = one
            ctx.results.update(stage.run(section, ctx))
    return out


def deterministic(prep, rep: int) -> None:
    sc, tables = prep.scenario, prep.tables
    fns = {"whole model (simulate)": lambda: simulate(sc, tables)}
    fns.update({f"  {k}": f for k, f in stage_runs(prep, 1).items()})
    t = interleave(fns, max(rep, 50), warm=True)
    whole = t["whole model (simulate)"].cpu_median
    stages = sum(v.cpu_median for k, v in t.items() if k.startswith("  "))
    print("1. deterministic baseline 2020-2035, in-process (target ≤ 5 ms CPU):")
    for k, v in t.items():
        share = f" ({v.cpu_median / whole:5.1%} of the whole, CPU median)" if k.startswith("  ") else ""
        print(f"{k:28s} {v.line('ms')}{share}")
    print(f"  {'simulate overhead':26s} {1e3 * (whole - stages):.3f} ms CPU median (whole − stages)")
    ok = t["whole model (simulate)"].cpu_median <= 0.005
    print(f"  (target ≤ 5 ms CPU, median: {'ok' if ok else 'MISSED'})")


def per_draw(prep, sizes, rep: int) -> None:
    print("2. per draw, each stage in ONE block (µs a draw; target: flat from the smallest to the largest)")
    keep = ("students", "attainment", "teachers", "finance")
    table = {}
    for n in sizes:
        runs = {k: f for k, f in stage_runs(prep, n).items() if k in keep}
        t = interleave(runs, rep)
        for k, v in t.items():
            table.setdefault(k, {})[n] = v
            print(f"  {k:10s} {n:>6,} draws: {v.line('µs', per=n, per_unit='a draw')}")
        del runs, t
    lo, hi = sizes[0], sizes[-1]
    for k, row in table.items():
        r = row[hi].cpu_median / hi / (row[lo].cpu_median / lo)
        print(f"  {k:10s} CPU a draw at {hi:,} / at {lo:,}: {r:.2f}×")


def runner(draws: int, rep: int) -> None:
    prep = prepare("baseline", draws=draws)
    t = measure(lambda: run(prep), rep)
    ok = t.cpu_median <= 3.0 * draws / 10_000
    print(f"3. {draws:,} draws, whole model through the runner (chunks of 500): {t.line('s')}")
    print(f"   per draw: {t.line('µs', per=draws, per_unit='a draw')}")
    print(f"   (target ≤ {3.0 * draws / 10_000:g} s CPU, median: {'ok' if ok else 'MISSED'})")


def matmul_compare(prep, sizes, rep: int) -> None:
    print("4. student-flow core (simulate_students) beside a plain matrix product of the same size")
    for D in sizes:
        matmul_one(prep, D, rep)


def matmul_one(prep, D: int, rep: int) -> None:
    n = N_GRADES * N_LAGS
    ctx = context(prep, D)
    with np.errstate(all="ignore"):  # the population stage gives the core its inputs
        population_stage(prep.scenario.population, ctx)
        pop = ctx.need(Population)
        p = student_params(prep.scenario.students, ctx, pop.persons[:, 0])
    T = len(ctx.years)
    rng = np.random.default_rng(0)
    M, x0 = rng.random((D, n, n)) / n, rng.random((D, n, 1))
    Ms, xs0 = rng.random((n, n)) / n, rng.random((n, D))

    def per_draw_matrix():
        x = x0
        for _ in range(T - 1):
            x = np.matmul(M, x)
        return x

    def shared_matrix():
        x = xs0
        for _ in range(T - 1):
            x = Ms @ x
        return x

    t = interleave(
        {
            "core": lambda: simulate_students(pop.persons, pop.migration_factor, p),
            "matmul (D,n,n)@(D,n,1)": per_draw_matrix,
            "matmul (n,n)@(n,D)": shared_matrix,
        },
        rep,
        warm=True,
    )
    print(f"  {D:,} draws, n = {n} states, {T - 1} years:")
    for k, v in t.items():
        print(f"    {k:24s} {v.line('µs', per=D, per_unit='a draw')}")
    core = t["core"].cpu_median
    for k in ("matmul (D,n,n)@(D,n,1)", "matmul (n,n)@(n,D)"):
        print(f"    core / {k}: {core / t[k].cpu_median:.1f}× (CPU median)")


def main() -> None:
    quick = "--quick" in sys.argv
    rep = repeats(sys.argv)
    sizes = (200, 1_000) if quick else (500, 2_000, 10_000)
    print(machine())
    prep = prepare("baseline")
    deterministic(prep, rep)
    per_draw(prep, sizes, rep)
    runner(2_000 if quick else 10_000, rep)
    matmul_compare(prep, (sizes[0], sizes[-1]), rep)
    print(machine())


if __name__ == "__main__":
    main()
