"""A real Dask cluster on this machine: a scheduler and workers as separate processes, against serial.

    python benchmarks/bench_cluster.py                 # 10,000 aggregate draws and 200 DES draws
    python benchmarks/bench_cluster.py --quick         # 2,000 and 40
    python benchmarks/bench_cluster.py --repeat 7      # repeats (at least 5)
    python benchmarks/bench_cluster.py --workers 2     # dask workers to start (default 2)
    python benchmarks/bench_cluster.py --nanny         # workers under a nanny process (Dask's default)

Starts ``dask scheduler`` and ``dask worker`` processes (one thread each, no dashboard) on a free
local port, waits for the workers, and stops every process it started by PID at the end (also on
Ctrl-C or an error). Then, for each job, times in turn (serial, local 2-process pool, the
cluster, serial, ...) the whole of a Monte Carlo run as ``edusim run --draws N`` does it: the draws
streamed to a run folder, the summary, targets and inputs tables, the manifest. The scenario and
tables go to each worker once; workers write their Parquet parts into the run folder (it is on
storage they share here) and return only the chunk's sampled inputs. CPU time is this process's
plus every process it started (scheduler and workers included, read while they run). Last, the
figures the runs wrote are compared bit for bit across the back-ends.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from timing import interleave, machine, repeats

from sim.run.executors import open_executor
from sim.run.simulate import prepare
from sim.run.stream import read_columns, variables_of
from sim.run.write import write_monte_carlo

PY = sys.executable
DASK = str(Path(PY).parent / "dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(n_workers: int, nanny: bool) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    for _ in range(n_workers):
        procs.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-dashboard"]
                + ([] if nanny else ["--no-nanny"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    from distributed import Client

    deadline = time.time() + 60
    while True:
        try:
            with Client(address, timeout="5s") as c:
                c.wait_for_workers(n_workers, timeout=60)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    return address, procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):  # workers first, then the scheduler
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main() -> None:
    quick = "--quick" in sys.argv
    rep = repeats(sys.argv)
    n_workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    nanny = "--nanny" in sys.argv
    jobs = {
        "aggregate": (2_000 if quick else 10_000, {"engine": "aggregate"}),
        "des": (40 if quick else 200, {"engine": "des"}),
    }
    print(machine())
    address, procs = start_cluster(n_workers, nanny)
    print(
        f"cluster: scheduler {address} (PID {procs[0].pid}), {n_workers} workers "
        f"(PIDs {', '.join(str(p.pid) for p in procs[1:])}), one thread each, "
        f"{'with' if nanny else 'without'} nanny"
    )
    out = Path(tempfile.mkdtemp(prefix="edusim-bench-"))
    try:
        with open_executor(scheduler=address) as dask, open_executor(workers=n_workers) as pool:
            for job, (draws, options) in jobs.items():
                prep = prepare("baseline", draws=draws)
                folders: dict[str, list[Path]] = {"serial": [], "pool": [], "cluster": []}

                def run(name, executor, prep=prep, options=options, folders=folders):
                    folder, _, failed = write_monte_carlo(prep, out / name, options, executor)
                    assert not failed, failed
                    folders[name].append(folder)
                    return folder

                # warm: imports and the model's first run on every worker
                small = prepare("baseline", draws=8)
                write_monte_carlo(small, out / "warm", options, dask, chunk_size=1)
                write_monte_carlo(small, out / "warm", options, pool, chunk_size=1)
                t = interleave(
                    {
                        "serial": lambda run=run: run("serial", None),
                        "pool": lambda run=run: run("pool", pool),
                        "cluster": lambda run=run: run("cluster", dask),
                    },
                    rep,
                    workers=True,
                )
                print(f"\n{job}: {draws:,} draws, the whole `edusim run --draws {draws}` after loading")
                for name, label in (
                    ("serial", "serial (this process)"),
                    ("pool", f"local pool, {n_workers} processes"),
                    ("cluster", f"Dask cluster, {n_workers} workers"),
                ):
                    print(f"   {label:<32} {t[name].line('s')}")
                base = t["serial"].wall_median
                print(
                    f"   → speed-up (wall medians): pool {base / t['pool'].wall_median:.2f}×, "
                    f"cluster {base / t['cluster'].wall_median:.2f}×"
                )
                same = identical(folders, prep)
                print(f"   results, summary and inputs identical bit for bit across the three: {same}")
                for fs in folders.values():
                    for f in fs:
                        shutil.rmtree(f, ignore_errors=True)
    finally:
        stop(procs)
        shutil.rmtree(out, ignore_errors=True)
        alive = [p.pid for p in procs if p.poll() is None]
        print(f"\ncluster stopped (PIDs still alive: {alive or 'none'})")


def identical(folders: dict[str, list[Path]], prep) -> bool:
    first = {k: v[-1] for k, v in folders.items()}
    ref = first["serial"]
    names = variables_of(ref)
    want = read_columns(ref, names, prep.scenario.years)
    for folder in first.values():
        got = read_columns(folder, names, prep.scenario.years)
        if not all(np.array_equal(got[k], want[k], equal_nan=True) for k in names):
            return False
        for f in ("summary.csv", "targets.csv"):
            if (ref / f).is_file() and (folder / f).read_bytes() != (ref / f).read_bytes():
                return False
        if not pd.read_parquet(folder / "inputs.parquet").equals(pd.read_parquet(ref / "inputs.parquet")):
            return False
    return True


if __name__ == "__main__":
    main()
