"""Speed of the teacher engines.

    python benchmarks/bench_teachers.py             # full: 200 DES draws, the 10,000-draw aggregate run
    python benchmarks/bench_teachers.py --quick     # 20 DES draws, 1,000 aggregate draws
    python benchmarks/bench_teachers.py --repeat 9  # repeats of every figure (≥ 5)

Prints, for the discrete-event engine on the whole baseline stock 2020-2035: one run (target
≤ 0.1 s) and 200 draws on one core (target ≤ 20 s), each beside the engine it replaced, one simpy
process per teacher (``tests/reference/des_v1.py``), timed in turn (new, reference, new, ...) so
both see the same machine; the simpy events each processes. Then the aggregate engine's time per
deterministic run (target < 5 ms) and for many draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import simpy
from timing import interleave, machine, measure, repeats

from sim.core.context import StudentFlows
from sim.run.tables import read_tables
from sim.schema.load import load
from sim.stages.teachers import des, teacher_stage
from sim.stages.teachers.aggregate import aggregate_supply
from sim.stages.teachers.demand import teacher_demand
from sim.stages.teachers.des import STREAM
from sim.stages.teachers.supply import supply_inputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import teacher_context  # noqa: E402
from reference import des_v1  # noqa: E402


class CountingEnvironment(simpy.Environment):
    """A simpy environment that counts the events it processes."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.processed = 0

    def step(self) -> None:
        self.processed += 1
        super().step()


def simpy_events(engine, inp, demand: np.ndarray, rng: np.random.Generator) -> int:
    """The simpy events one run of ``engine`` processes."""
    envs: list[CountingEnvironment] = []

    def factory(t0):
        envs.append(CountingEnvironment(t0))
        return envs[-1]

    engine.simulate_draw(inp, demand, rng, env_factory=factory)
    return envs[-1].processed


def speedup(new, ref, n_new: int = 1, n_ref: int = 1) -> str:
    """How many times faster the new engine is per draw (``n_*`` draws a call): medians of wall and
    of CPU time."""
    wall = (ref.wall_median / n_ref) / (new.wall_median / n_new)
    cpu = (ref.cpu_median / n_ref) / (new.cpu_median / n_new)
    return f"{wall:.1f}× wall, {cpu:.1f}× cpu (medians)"


def main(quick: bool = False) -> None:
    rep = repeats(sys.argv)
    print(machine())
    loaded = load("baseline")
    cfg = loaded.scenario.teachers
    tables, _ = read_tables(loaded)
    stock = tables[cfg.stock]  # the shipped stock, checked as a run reads it
    ctx = teacher_context(draws=1, stock=stock)
    demand, _, _ = teacher_demand(cfg, ctx)
    inp = supply_inputs(cfg, ctx, demand)

    # ---- DES: the new engine beside the reference (one simpy process per teacher), interleaved
    rng = lambda: np.random.default_rng(ctx.seed_sequence(0, STREAM))  # noqa: E731
    same = all(
        np.array_equal(a, b)
        for a, b in zip(
            des.simulate_draw(inp, demand[0], rng()).values(),
            des_v1.simulate_draw(inp, demand[0], rng()).values(),
            strict=True,
        )
    )
    teachers = int(stock["teachers"].to_numpy(dtype=float).sum())
    print(f"DES, whole baseline stock ({teachers:,} teachers at start), 2020-2035:")
    print(f"  same records as the reference, bit for bit: {same}")
    ev_new, ev_ref = (simpy_events(e, inp, demand[0], rng()) for e in (des, des_v1))
    print(f"  simpy events a run    {ev_new:,} (reference {ev_ref:,})")
    t = interleave(
        {
            "new": lambda: des.simulate_draw(inp, demand[0], rng()),
            "reference": lambda: des_v1.simulate_draw(inp, demand[0], rng()),
        },
        rep,
        warm=True,
    )
    ok = t["new"].wall_median <= 0.1
    print(f"  one run, new          {t['new'].line('ms')}")
    print(f"      (target ≤ 100 ms, median: {'ok' if ok else 'MISSED'})")
    print(f"  one run, reference    {t['reference'].line('ms')}")
    print(f"  speed-up              {speedup(t['new'], t['reference'])}")
    n_new = 20 if quick else 200
    n_ref = 5 if quick else 20  # the reference takes ≈ 0.3 s a draw: fewer draws, figures per draw
    ctxN = teacher_context(draws=n_new, stock=stock)
    demN, _, _ = teacher_demand(cfg, ctxN)
    inpN = supply_inputs(cfg, ctxN, demN)
    ctxR = teacher_context(draws=n_ref, stock=stock)
    inpR = supply_inputs(cfg, ctxR, demN[:n_ref])
    tN = interleave(
        {"new": lambda: des.des_supply(inpN, ctxN), "reference": lambda: des_v1.des_supply(inpR, ctxR)}, rep
    )
    ok = tN["new"].wall_median * 200 / n_new <= 20
    print(f"  {n_new} draws, new        {tN['new'].line('s')}")
    print(f"      per draw: {tN['new'].line('ms', per=n_new)}")
    print(f"      (target ≤ 20 s for 200 draws on one core, median: {'ok' if ok else 'MISSED'})")
    print(f"  {n_ref} draws, reference   {tN['reference'].line('s')}")
    print(f"      per draw: {tN['reference'].line('ms', per=n_ref)}")
    print(f"  speed-up per draw     {speedup(tN['new'], tN['reference'], n_new, n_ref)}")

    # ---- aggregate engine
    agg = interleave({"stage": lambda: teacher_stage(cfg, ctx), "engine": lambda: aggregate_supply(inp)}, 50)
    print("Aggregate engine:")
    print(f"  teacher_stage, 1 draw   {agg['stage'].line('ms')}")
    ok = agg["stage"].wall_min < 0.005
    print(f"      (demand + input checks + engine; target < 5 ms, best: {'ok' if ok else 'MISSED'})")
    print(f"  aggregate_supply only   {agg['engine'].line('ms')}")
    D = 1000 if quick else 10_000
    ctxD = teacher_context(draws=D, stock=stock)
    r = np.random.default_rng(0)
    f = ctxD.need(StudentFlows)  # enrolment differing by draw (±5 %), as in a Monte Carlo run
    f.stock *= r.uniform(0.95, 1.05, (D, 1, f.stock.shape[2], 1))
    f.preschool *= r.uniform(0.95, 1.05, (D, 1, 1))
    tD = measure(lambda: teacher_stage(cfg, ctxD), rep)
    print(f"  teacher_stage, {D:,} draws  {tD.line('s')}")
    print(f"      per draw: {tD.line('µs', per=D)}; {len(tD.result)} variables × ({D}, {len(ctx.years)})")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
