"""Divisions (issue 14): the model with the scenario's nine county-level divisions beside the city
alone. Prints figures.

    python benchmarks/bench_regions.py             # 10,000 draws in section 3
    python benchmarks/bench_regions.py --quick     # 1,000 draws in section 3
    python benchmarks/bench_regions.py --repeat 9  # repeats of every figure (≥ 5)

Goal (issue 14): the deterministic run with nine divisions ≤ 4× the city-only run; 10,000 draws
with nine divisions ≤ 4× the city-only cost a draw. "divisions" is the scenario ``baseline`` as
written (its ``regions:`` section: every stage runs on draws × 9 rows, then the city is folded back
from its divisions); "city" is the same scenario with ``regions: None``, the model as it ran before
divisions. The two are timed interleaved (city, divisions, city, ...), with CPU time beside wall
time (min and median) and the load average:

1. the deterministic run in this process, ``simulate(scenario, tables)`` (``prepare("baseline")``):
   the whole model, and each stage's own time as ``simulate`` records it (``timings=``: wall time,
   ``perf_counter`` around the stage), with the divisions' extra steps, the set-up of the divisions
   (``run_divisions``) and the fold back to the city (``fold``), timed where ``simulate`` calls
   them (wall); the rest of the whole is ``simulate``'s per-result checks;
2. ``edusim run`` end to end as a subprocess (CPU time: the child's), writing its run folder into a
   temporary folder (``--out``): ``baseline`` beside a temporary scenario file that ``extends:
   baseline`` with ``regions: null``;
3. Monte Carlo, per draw: ``simulate_draws(scenario, tables, N, executor=None)`` in this process
   with the scenario's uncertainty (``prepare("baseline", draws=N)``, chunks chosen by the runner),
   N = 10,000 (--quick: 1,000); µs a draw and a draw-year; each part's wall time in one chunk of
   the runner's size (``simulate`` on draws 0 to chunk − 1, as section 1); then the peak memory of
   each case run once in a child process (VmHWM from /proc/self/status at its end: the child's own
   peak; its one timed run there includes first-call costs, so it is not the figure above).

No figure is checked against the goal by an assert; the last lines print the ratios beside it.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from timing import command, fmt, interleave, machine, repeats

import sim.run.simulate as S
from sim.run.simulate import prepare, simulate, simulate_draws

ROOT = Path(__file__).resolve().parent.parent
EDUSIM = str(Path(sys.executable).parent / "edusim")
GOAL = 4.0  # issue 14: divisions / city, deterministic run and per draw
CASES = ("city", "divisions")

CITY_YAML = """\
# city-only: the baseline without its divisions (benchmarks/bench_regions.py, a temporary file)
extends: baseline
name: city-only
title: {zh: 全市（不分县级行政区）, en: City only (no divisions)}
regions: null
"""

# section 3, in a child process: argv = draws, "city" or "divisions"; prints wall s, CPU s, peak MB
MEMORY_CODE = """
import sys, time
from sim.run.simulate import prepare, simulate_draws
n, case = int(sys.argv[1]), sys.argv[2]
prep = prepare("baseline", draws=n)
sc = prep.scenario if case == "divisions" else prep.scenario.model_copy(update={"regions": None})
c0, t0 = time.process_time(), time.perf_counter()
results, failed = simulate_draws(sc, prep.tables, n, executor=None)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
assert not failed, failed
# VmHWM: this process image's own peak (ru_maxrss keeps the parent's across fork and exec)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(wall, cpu, int(hwm) / 1024)
"""


def scenarios(prep) -> dict:
    """{"city": the scenario without its divisions, "divisions": the scenario as written}."""
    assert prep.scenario.regions is not None, "baseline has no regions: section"
    return {"city": prep.scenario.model_copy(update={"regions": None}), "divisions": prep.scenario}


@contextmanager
def spied(names: tuple[str, ...], seconds: dict[str, float]):
    """Wrap the module-level functions ``names`` of sim.run.simulate (called by ``simulate``) so
    that each call adds its wall seconds to ``seconds[name]``; restored on leaving."""
    saved = {n: getattr(S, n) for n in names}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0

        return timed

    for n, fn in saved.items():
        setattr(S, n, wrap(n, fn))
    try:
        yield
    finally:
        for n, fn in saved.items():
            setattr(S, n, fn)


def ms(values: list[float], unit: str = "ms") -> str:
    return f"{fmt(min(values), unit):>9s} {fmt(statistics.median(values), unit):>9s}"


REST = "rest (checks etc.)"


def by_part(sc: dict, tables: dict, rep: int, draw_index=None) -> tuple[dict, dict]:
    """``simulate`` of each case timed interleaved, with the wall seconds of each part of every run:
    (Timing by case, {case: [{part: seconds}, one a repeat]})."""
    parts: dict[str, list[dict]] = {k: [] for k in CASES}

    def one(case):
        def run():
            seconds: dict[str, float] = {}
            with spied(("run_divisions", "fold"), seconds):
                simulate(sc[case], tables, draw_index, timings=seconds)
            parts[case].append(seconds)

        return run

    t = interleave({k: one(k) for k in CASES}, rep, warm=True)
    for k in CASES:
        del parts[k][0]  # the warm-up round's
    return t, parts


def parts_table(t: dict, parts: dict, unit: str = "ms", per: float = 1.0) -> None:
    """Each part's wall time (min, median; divided by ``per``) for both cases, divisions / city
    (medians) and the part's share of the divisions' whole run."""
    names = list(parts["divisions"][0])  # run_divisions first, the stages in order, fold last
    names.sort(key=lambda n: (n == "fold", n != "run_divisions"))
    whole = {k: t[k].wall for k in CASES}
    print(
        f"   {'part':18s} {'city min':>9s} {'median':>9s} | {'divisions min':>13s} {'median':>9s} "
        "| ratio | share of divisions"
    )
    div_whole = statistics.median(whole["divisions"])
    for n in [*names, REST]:
        row = {}
        for k in CASES:
            if n == REST:
                row[k] = [(w - sum(p.values())) / per for w, p in zip(whole[k], parts[k], strict=True)]
            else:
                row[k] = [p.get(n, 0.0) / per for p in parts[k]]
        c, d = statistics.median(row["city"]), statistics.median(row["divisions"])
        r = f"{d / c:5.2f}×" if c > 0 else "    —"
        city = ms(row["city"], unit) if c > 0 else f"{'—':>9s} {'—':>9s}"
        print(
            f"   {n:18s} {city} | {fmt(min(row['divisions']), unit):>13s} "
            f"{fmt(d, unit):>9s} | {r} | {d * per / div_whole:6.1%}"
        )


def deterministic(prep, rep: int) -> float:
    """Section 1; returns divisions / city, CPU medians of the whole model."""
    t, parts = by_part(scenarios(prep), prep.tables, max(rep, 50))
    ratio = t["divisions"].cpu_median / t["city"].cpu_median
    wall = t["divisions"].wall_median / t["city"].wall_median
    print("1. deterministic baseline 2020-2035, whole model in-process (simulate):")
    for k in CASES:
        print(f"   {k:10s} {t[k].line('ms')}")
    print(f"   divisions / city: {ratio:.2f}× CPU median, {wall:.2f}× wall median")
    print("   each part, wall time as simulate records it (min, median), and divisions / city (medians):")
    parts_table(t, parts)
    return ratio


def end_to_end(rep: int, tmp: Path) -> float:
    """Section 2; returns divisions / city, CPU medians."""
    city_file = tmp / "city-only.yaml"
    city_file.write_text(CITY_YAML, encoding="utf-8")
    argv = {
        "city": [EDUSIM, "run", str(city_file), "--out", str(tmp / "runs")],
        "divisions": [EDUSIM, "run", "baseline", "--out", str(tmp / "runs")],
    }
    t = interleave({k: command(v, cwd=ROOT) for k, v in argv.items()}, rep, warm=True)
    ratio = t["divisions"].cpu_median / t["city"].cpu_median
    print("2. edusim run, end to end as a subprocess (--out <tmp>; CPU: the child's):")
    print("   city: `edusim run city-only.yaml` (extends: baseline, regions: null)")
    print("   divisions: `edusim run baseline`")
    for k in CASES:
        print(f"   {k:10s} {t[k].line('ms')}")
    print(
        f"   divisions / city: {ratio:.2f}× CPU median; divisions − city: "
        f"{fmt(t['divisions'].cpu_median - t['city'].cpu_median, 'ms')} CPU median"
    )
    return ratio


def per_draw(draws: int, rep: int) -> float:
    """Section 3; returns divisions / city, CPU medians a draw."""
    prep = prepare("baseline", draws=draws)
    sc, tables = scenarios(prep), prep.tables
    years = len(prep.scenario.years)
    unc = f"{len(prep.scenario.uncertainty)} uncertain inputs: " + ", ".join(prep.scenario.uncertainty)
    for k in CASES:  # warm up
        simulate_draws(sc[k], tables, 200, executor=None)

    def one(case):
        def run():
            results, failed = simulate_draws(sc[case], tables, draws, executor=None)
            assert not failed, failed
            return len(results)

        return run

    t = interleave({k: one(k) for k in CASES}, rep)
    chunk = S.chunk_size_for(draws, None, None, None)
    print(f"3. {draws:,} draws in-process (simulate_draws, executor=None, chunks of {chunk}), {unc}")
    for k in CASES:
        print(f"   {k:10s} {t[k].line('s')}")
        print(f"   {'':10s} {t[k].line('µs', per=draws, per_unit='a draw')}")
        print(f"   {'':10s} {t[k].line('µs', per=draws * years, per_unit='a draw-year')}")
    ratio = t["divisions"].cpu_median / t["city"].cpu_median
    nvar = f"{t['city'].result} and {t['divisions'].result} variables"
    print(f"   divisions / city: {ratio:.2f}× CPU median a draw ({years} years; {nvar})")
    tc, parts = by_part(sc, tables, rep, np.arange(chunk))
    print(
        f"   one chunk of {chunk} draws (simulate, draws 0-{chunk - 1}): each part, wall µs a draw "
        "(min, median), divisions / city (medians):"
    )
    for k in CASES:
        print(f"   {k:10s} {tc[k].line('µs', per=chunk, per_unit='a draw')}")
    parts_table(tc, parts, "µs", per=chunk)
    peaks = {}
    for k in CASES:  # a child process each: its own peak memory
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_CODE, str(draws), k],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.split()
        peaks[k] = float(out[2])
        print(
            f"   peak memory, {k:9s} in a child process: {peaks[k]:.0f} MB "
            f"(one run there: wall {float(out[0]):.2f} s, CPU {float(out[1]):.2f} s)"
        )
    print(f"   divisions / city: {peaks['divisions'] / peaks['city']:.2f}× peak memory")
    return ratio


def main() -> None:
    quick = "--quick" in sys.argv
    rep = repeats(sys.argv)
    draws = 1_000 if quick else 10_000
    print(machine())
    tmp = Path(tempfile.mkdtemp())
    try:
        det = deterministic(prepare("baseline"), rep)
        e2e = end_to_end(rep, tmp)
        draw = per_draw(draws, rep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(machine())
    ok = lambda r: "ok" if r <= GOAL else "MISSED"  # noqa: E731
    print(
        f"deterministic model: divisions/city = {det:.2f}× ({ok(det)}); "
        f"per draw ({draws:,} draws): {draw:.2f}× ({ok(draw)}) (goal ≤ {GOAL:g}×, CPU medians); "
        f"edusim run end to end: {e2e:.2f}×"
    )


if __name__ == "__main__":
    main()
