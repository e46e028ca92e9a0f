"""Speed of the teacher engines.

    python benchmarks/bench_teachers.py             # full: includes the 10,000-draw aggregate run
    python benchmarks/bench_teachers.py --quick     # 1,000 draws instead
    python benchmarks/bench_teachers.py --repeat 9  # repeats of the DES and many-draw figures (≥ 5)

Prints: the discrete-event model's events per second on the whole baseline stock
2020-2035 against a bare simpy loop of timeouts in the same process (target ≥ 0.5×),
one DES run's wall time (target < 1 s), and the aggregate engine's time per
deterministic run (target < 5 ms) and for many draws. The model and the bare loops are
timed in turn (model, loop, model, loop, ...), so both see the same machine.
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
from sim.stages.teachers import teacher_stage
from sim.stages.teachers.aggregate import aggregate_supply
from sim.stages.teachers.demand import teacher_demand
from sim.stages.teachers.des import STREAM, simulate_draw
from sim.stages.teachers.supply import supply_inputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import teacher_context  # noqa: E402


class CountingEnvironment(simpy.Environment):
    """A simpy environment that counts the events it processes."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.processed = 0

    def step(self) -> None:
        self.processed += 1
        super().step()


def bare_loop(n_events: int) -> int:
    """A bare simpy loop: one process yielding n timeouts; returns the events processed."""
    env = CountingEnvironment()

    def ticker(env):
        for _ in range(n_events):
            yield env.timeout(1e-3)

    env.process(ticker(env))
    env.run()
    return env.processed


def bare_processes(n_processes: int) -> int:
    """The simpy floor of a process-per-teacher design: n processes, each one timeout then done."""
    env = CountingEnvironment()

    def one(env, delay):
        yield env.timeout(delay)

    for k in range(n_processes):
        env.process(one(env, 1.0 + k * 1e-6))
    env.run()
    return env.processed


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

    # ---- DES: events/s (instrumented run) and wall time (plain run), beside bare simpy loops
    rng = lambda: np.random.default_rng(ctx.seed_sequence(0, STREAM))  # noqa: E731

    def counted_run() -> int:
        envs: list[CountingEnvironment] = []

        def factory(t0):
            envs.append(CountingEnvironment(t0))
            return envs[-1]

        simulate_draw(inp, demand[0], rng(), env_factory=factory)
        return envs[-1].processed

    events = counted_run()
    n_floor = events // 3
    t = interleave(
        {
            "model (counted)": counted_run,
            "model (plain)": lambda: simulate_draw(inp, demand[0], rng()),
            "bare loop": lambda: bare_loop(events),
            "bare processes": lambda: bare_processes(n_floor),
        },
        rep,
    )
    n_bare, n_p = t["bare loop"].result, t["bare processes"].result
    rate = lambda n, tm: f"{n / tm.wall_median:,.0f} (best {n / tm.wall_min:,.0f})"  # noqa: E731
    teachers = int(stock["teachers"].sum())
    print(f"DES, whole baseline stock ({teachers:,} teachers at start), 2020-2035:")
    print(f"  events processed      {events:,}")
    print(f"  one run               {t['model (plain)'].line('ms')}   (target < 1000 ms)")
    print(f"  one run, counted      {t['model (counted)'].line('ms')}")
    print(f"  bare simpy loop       {t['bare loop'].line('ms')}")
    print(f"                        (one process yielding {n_bare:,} timeouts)")
    print(f"  bare processes        {t['bare processes'].line('ms')}")
    print(f"                        ({n_floor:,} processes, one timeout each)")
    print(
        f"  events/s (model)      {rate(events, t['model (counted)'])}  (whole run: setup, hiring, records)"
    )
    print(f"  events/s (bare simpy) {rate(n_bare, t['bare loop'])}")
    model_rate = events / t["model (counted)"].wall_median
    bare_rate = n_bare / t["bare loop"].wall_median
    print(f"  ratio                 {model_rate / bare_rate:.2f}×  (medians; target ≥ 0.5×)")
    floor_rate = n_p / t["bare processes"].wall_median
    print(
        f"  events/s (bare, one process + one timeout each) {floor_rate:,.0f}"
        f"  → model at {model_rate / floor_rate:.2f}× of this floor"
    )

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
