"""Speed of the teacher engines.

    python benchmarks/bench_teachers.py            # full: includes the 10,000-draw aggregate run
    python benchmarks/bench_teachers.py --quick    # 1,000 draws instead

Prints: the discrete-event model's events per second on the whole baseline stock
2020-2035 against a bare simpy loop of timeouts in the same process (target ≥ 0.5×),
one DES run's wall time (target < 1 s), and the aggregate engine's time per
deterministic run (target < 5 ms) and for many draws.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.careers import STREAM, simulate_draw  # noqa: E402
from sim.teachers import (aggregate_supply, example_context, supply_inputs, teacher_demand,  # noqa: E402
                          teacher_stage)
from sim.teachers_schema import Teachers  # noqa: E402


class CountingEnvironment(simpy.Environment):
    """A simpy environment that counts the events it processes."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.processed = 0

    def step(self) -> None:
        self.processed += 1
        super().step()


def bare_loop(n_events: int) -> tuple[int, float]:
    """A bare simpy loop: one process yielding n timeouts; returns (events, seconds)."""
    env = CountingEnvironment()

    def ticker(env):
        for _ in range(n_events):
            yield env.timeout(1e-3)

    env.process(ticker(env))
    t = time.perf_counter()
    env.run()
    return env.processed, time.perf_counter() - t


def bare_processes(n_processes: int) -> tuple[int, float]:
    """The simpy floor of a process-per-teacher design: n processes, each one timeout then done."""
    env = CountingEnvironment()

    def one(env, delay):
        yield env.timeout(delay)

    t = time.perf_counter()
    for k in range(n_processes):
        env.process(one(env, 1.0 + k * 1e-6))
    env.run()
    return env.processed, time.perf_counter() - t


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main(quick: bool = False) -> None:
    stock = pd.read_csv(ROOT / "data" / "teachers-stock-2020.csv")
    cfg = Teachers()
    ctx = example_context(draws=1, stock=stock)
    demand, _, _ = teacher_demand(cfg, ctx)
    inp = supply_inputs(cfg, ctx, demand)

    # ---- DES: events/s (instrumented run) and wall time (plain run)
    counted: list[CountingEnvironment] = []

    def factory(t0):
        counted.append(CountingEnvironment(t0))
        return counted[-1]

    t = time.perf_counter()
    simulate_draw(inp, demand[0], np.random.default_rng(ctx.seed_sequence(0, STREAM)), env_factory=factory)
    t_counted = time.perf_counter() - t
    events = counted[-1].processed
    des_rate = events / t_counted
    des_wall = best(lambda: simulate_draw(inp, demand[0], np.random.default_rng(ctx.seed_sequence(0, STREAM))), 3)
    n_bare, t_bare = bare_loop(events)
    bare_rate = n_bare / t_bare
    teachers = int(stock["teachers"].sum())
    print(f"DES, whole baseline stock ({teachers:,} teachers at start), 2020-2035:")
    print(f"  events processed      {events:,}")
    print(f"  one run (wall)        {des_wall * 1e3:.0f} ms   (target < 1000 ms)")
    print(f"  events/s (model)      {des_rate:,.0f}  (whole run incl. setup, hiring rounds, records)")
    print(f"  events/s (bare simpy) {bare_rate:,.0f}  (one process yielding {n_bare:,} timeouts)")
    print(f"  ratio                 {des_rate / bare_rate:.2f}×  (target ≥ 0.5×)")
    n_p, t_p = bare_processes(events // 3)
    print(f"  events/s (bare, one process + one timeout each, {events // 3:,} processes) "
          f"{n_p / t_p:,.0f}  → model at {des_rate / (n_p / t_p):.2f}× of this floor")

    # ---- aggregate engine
    t_stage = best(lambda: teacher_stage(cfg, ctx), 50)
    t_engine = best(lambda: aggregate_supply(inp), 50)
    print("Aggregate engine:")
    print(f"  teacher_stage, 1 draw   {t_stage * 1e3:.2f} ms  (demand + input checks + engine; target < 5 ms)")
    print(f"  aggregate_supply only   {t_engine * 1e3:.2f} ms")
    D = 1000 if quick else 10_000
    ctxD = example_context(draws=D, stock=stock)
    rng = np.random.default_rng(0)
    for k in ctxD.results:   # enrolment differing by draw (±5 %), as in a Monte Carlo run
        ctxD.results[k] = ctxD.results[k] * rng.uniform(0.95, 1.05, (D, 1))
    t = time.perf_counter()
    out = teacher_stage(cfg, ctxD)
    tD = time.perf_counter() - t
    print(f"  teacher_stage, {D:,} draws  {tD:.2f} s  ({tD / D * 1e6:.0f} µs a draw; "
          f"{len(out)} variables × ({D}, {len(ctx.years)}))")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
