"""Monte Carlo, executors and sweeps: speed and memory. Prints figures (issue 6).

    python benchmarks/bench_montecarlo.py [--quick] [--only 1,3] [--repeat N] [--stream 10000,100000]

1. 10,000 aggregate draws of the full model (population, students, attainment, teachers,
   money) with four uncertain inputs, on one core (--quick: 2,000).
2. 10,000 and 100,000 draws streamed to a run folder in chunks: wall and CPU time and peak memory
   (a child process per repeat, so its peak is its own; --stream sets the sizes, --quick 1,000 and
   5,000), and the cost a draw at the largest size against the smallest (linear: 1.00).
3. 200 discrete-event (simpy) draws held in memory: serial vs a 2-worker Dask LocalCluster, timed
   in turn (--quick: 20). CPU time includes the workers'. (A real cluster of separate processes,
   with run folders: bench_cluster.py.)
4. Dask overhead per chunk: tiny chunks of one draw each (200 chunks; --quick: 50).
5. How cost grows with draws, years and lever points (--quick: 200 and 1,000 draws).

Every figure: wall and CPU time, min and median over --repeat (at least 5) repeats, and the load
average while it ran; variants that are compared run in turn (A B A B ...). The full run takes
about 10 minutes on 2 cores (section 2 alone: 5 × ~45 s; section 3: 5 × ~70 s); --quick about 1.5.
In sections 3 and 4 the serial runs' "child processes" CPU is the idle Dask workers' (heartbeats),
which stay alive beside them. "One core" is the model's: numpy's OpenBLAS may add a second busy
thread (CPU above wall); OPENBLAS_NUM_THREADS=1 shows the single-threaded CPU.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys

import numpy as np
from timing import Timing, interleave, machine, measure, repeats

from sim.analysis.sweep import design, sweep
from sim.run.executors import open_executor
from sim.run.simulate import Prepared, prepare, simulate_draws
from sim.schema.scenario import Scenario
from sim.schema.uncertainty import Uncertainty
from sim.stages import can_vary

UNC = {
    "population.births": Uncertainty(dist="truncnorm", params={"a": -2, "b": 2, "loc": 1.0, "scale": 0.1}),
    "population.net_migration": Uncertainty(dist="uniform", params={"loc": 0.6, "scale": 0.8}),
    "teachers.tegang.retention": Uncertainty(dist="beta", params={"a": 17, "b": 3}),
    "students.transitions.vocational_share": Uncertainty(
        dist="triang", params={"c": 0.5, "loc": 0.9, "scale": 0.2}
    ),
}
assert all(can_vary(p) for p in UNC), [p for p in UNC if not can_vary(p)]

# section 2, in a child process: argv = draws, uncertainty as JSON; prints wall s, CPU s, peak MB
# (Linux: /proc/self/status)
STREAM_CODE = """
import json, resource, shutil, sys, tempfile, time
from pathlib import Path
from sim.run.simulate import prepare
from sim.run.write import write_monte_carlo
from sim.schema.uncertainty import Uncertainty
prep = prepare("baseline", draws=int(sys.argv[1]))
unc = {k: Uncertainty(**v) for k, v in json.loads(sys.argv[2]).items()}
prep.loaded.scenario = prep.scenario.model_copy(update={"uncertainty": unc})
out = Path(tempfile.mkdtemp())
try:
    c0, t0 = time.process_time(), time.perf_counter()
    folder, _, failed = write_monte_carlo(prep, out / "run")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert not failed, failed
    # VmHWM: this process image's own peak (ru_maxrss keeps the parent's across fork and exec)
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print(wall, cpu, int(hwm) / 1024)
finally:
    shutil.rmtree(out, ignore_errors=True)
"""


def scenario(prep: Prepared, draws: int, end: int = 2035) -> Scenario:
    s = prep.scenario.model_copy(update={"draws": draws, "uncertainty": UNC})
    if end != 2035:
        s = s.model_copy(update={"horizon": s.horizon.model_copy(update={"end": end}), "targets": []})
    return s


def option_text(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main(quick: bool, only: set[int]) -> None:
    want = lambda k: not only or k in only  # noqa: E731
    rep = repeats(sys.argv)
    print(machine())
    prep = prepare("baseline")
    tables = prep.tables
    if want(1):
        n = 2_000 if quick else 10_000
        s = scenario(prep, n)
        simulate_draws(s, tables, 200)  # warm up
        t = measure(lambda: simulate_draws(s, tables, n, chunk_size=500), rep)
        print(f"1. {n:,} aggregate draws, full model, one core: {t.line('s')}")

    if want(2):
        sizes = [int(x) for x in option_text("--stream", "1000,5000" if quick else "10000,100000").split(",")]
        unc = json.dumps({k: v.model_dump() for k, v in UNC.items()})
        print("2. draws streamed to a run folder (chunks chosen: 500), timed in the child after loading:")
        per = {}
        for n in sizes:
            t, peaks = Timing("stream"), []
            for _ in range(rep):
                out = subprocess.run(
                    [sys.executable, "-c", STREAM_CODE, str(n), unc],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                t.add(float(out[0]), float(out[1]))
                peaks.append(float(out[2]))
            per[n] = t.wall_median / n
            print(f"   {n:>7,} draws: {t.line('s')}")
            print(
                f"            peak memory of the child: max {max(peaks):.0f} MB, median "
                f"{statistics.median(peaks):.0f} MB; {per[n] * 1e3:.3f} ms a draw (wall median)"
            )
        if len(per) > 1:
            a, b = min(per), max(per)
            print(f"   cost a draw at {b:,} / at {a:,}: {per[b] / per[a]:.2f} (1.00 = linear in draws)")

    if want(3) or want(4):
        n_des = 20 if quick else 200
        small = 50 if quick else 200
        sd, tiny = scenario(prep, n_des), scenario(prep, 1)
        opts = {"engine": "des"}
        with open_executor(workers=2, scheduler="local") as ex:
            simulate_draws(sd, tables, 4, opts, executor=ex, chunk_size=2)  # warm the workers
            if want(3):
                t3 = interleave(
                    {
                        "serial": lambda: simulate_draws(sd, tables, n_des, opts),
                        "dask": lambda: simulate_draws(sd, tables, n_des, opts, executor=ex),
                    },
                    rep,
                    workers=True,
                )
                a, b = t3["serial"].result[0], t3["dask"].result[0]
                same = all(
                    np.array_equal(a[k], b[k], equal_nan=True) for k in a
                )  # NaN: undefined in the base year
                ratio = t3["serial"].wall_median / t3["dask"].wall_median
                print(f"3. {n_des} DES draws (chunks chosen: 25), identical results: {same}")
                print(f"   serial                   {t3['serial'].line('s')}")
                print(f"   2-worker LocalCluster    {t3['dask'].line('s')}")
                print(f"   → {ratio:.2f}× faster (wall medians)")
            if want(4):
                t4 = interleave(
                    {
                        "serial": lambda: simulate_draws(tiny, tables, small, executor=None, chunk_size=1),
                        "dask": lambda: simulate_draws(tiny, tables, small, executor=ex, chunk_size=1),
                    },
                    rep,
                    workers=True,
                )
                t1, t2 = t4["serial"].wall_median, t4["dask"].wall_median
                print(
                    f"4. Dask overhead per chunk (1 draw per chunk, {small} chunks, 2 workers): "
                    f"{(t2 - t1 / 2) / small * 1e3:.1f} ms (from wall medians)"
                )
                print(f"   serial, a draw     {t4['serial'].line('ms', per=small)}")
                print(f"   Dask, a chunk      {t4['dask'].line('ms', per=small)}")

    if want(5):
        _growth(prep, quick, rep)


def _growth(prep: Prepared, quick: bool, rep: int) -> None:
    tables = prep.tables
    small, big = (200, 1_000) if quick else (1_000, 10_000)
    print("5. cost by draws, years and lever points (aggregate, one core; all cases timed in turn):")
    cases, what = {}, {}
    for draws, end in ((small, 2035), (big, 2035), (small, 2045), (big, 2045)):
        sx = scenario(prep, draws, end)
        key = f"{draws} draws to {end}"
        cases[key] = lambda sx=sx, draws=draws: simulate_draws(sx, tables, draws, chunk_size=500)
        what[key] = (draws, end - 2020 + 1, 1)
    for n_points in (5, 10):
        sx = scenario(prep, 200)
        pts = design([("teachers.tegang.hires", list(np.linspace(0, 400, n_points)))])
        key = f"sweep {n_points}"
        cases[key] = lambda sx=sx, pts=pts: sweep(sx, tables, pts)
        what[key] = (200, 16, n_points)
    t = interleave(cases, rep)
    print(
        "   | draws | years | lever points | wall min s | wall median s | CPU median s | µs per draw-year "
        "| load (1 min) |"
    )
    print("   |---|---|---|---|---|---|---|---|")
    for key, (draws, years, points) in what.items():
        x = t[key]
        per = x.wall_median / draws / years / points * 1e6
        print(
            f"   | {draws:,} | {years} | {points} | {x.wall_min:.3f} | {x.wall_median:.3f} "
            f"| {x.cpu_median:.3f} | {per:.1f} | {x.load_range()} |"
        )
    print(
        f"   peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    # --only 1,3 runs those sections
    only = set()
    if "--only" in sys.argv:
        only = {int(x) for x in sys.argv[sys.argv.index("--only") + 1].split(",")}
    main("--quick" in sys.argv, only)
