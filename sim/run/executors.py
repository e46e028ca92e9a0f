"""Where chunks of draws run: in this process, a local process pool, or a Dask cluster.

One interface: ``open_executor(workers, scheduler)`` gives a ``concurrent.futures``-style
executor (or None for serial), and ``map_chunks`` runs a function over chunks of draw
indices with it. A chunk that fails because of its input (a ``UserError``: the same input
fails again) stops the run at once; any other failure (a worker lost, a process killed) is
retried once, and a chunk that fails twice is reported with its draws while every other
chunk's result is kept. Results come back in chunk order, so what is built from them does
not depend on which worker finished first. An error raised by the ``sink`` (writing the
results) is never mistaken for a chunk's failure: it stops the run.

Large inputs the chunks share (the scenario and its tables) are sent to each worker once:
``share(executor, obj)`` scatters them to a Dask cluster and hands back a handle that ``map_chunks``
passes as an argument; a process pool and this process take the object itself.

>>> out, failed = map_chunks(lambda idx: idx * 2, chunks(5, 2), executor=None)
>>> [o.tolist() for o in out], failed
([[0, 2], [4, 6], [8]], [])
>>> auto_chunk(10_000, workers=2, engine="aggregate"), auto_chunk(200, workers=2, engine="des")
(500, 25)
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from ..core.errors import UserError

MAX_WORKERS_PER_CORE = 4
CONNECT_TIMEOUT = 8  # seconds to reach a scheduler
HANDSHAKE_TIMEOUT = 3  # seconds for a scheduler to greet a new connection
DEAD_CLUSTER_TIMEOUT = 60  # seconds without a worker before a run on a cluster fails
POLL_SECONDS = 5.0  # how often a waiting run checks that the cluster still has workers


class ExecutorError(UserError):
    """A back-end that cannot be reached or started; the message says which and why."""


# Draws per chunk. The aggregate model's arrays of a chunk stay in cache up to about 500 draws
# (10,000 draws: 2.7 s in chunks of 500, 6.2 s in one block); below about 100 draws a chunk's
# fixed cost (one model run: ~10 ms of Python, the same for 1 draw or 500) dominates. A
# discrete-event draw takes ~0.05-0.3 s on its own, so its chunks are small enough that every
# worker gets several (the last chunks to finish leave a worker idle for less time).
CHUNK_LIMITS = {"aggregate": (100, 500), "des": (1, 25)}
CHUNKS_PER_WORKER = 4


def auto_chunk(draws: int, workers: int = 1, engine: str = "aggregate", rows_per_draw: int = 1) -> int:
    """Draws per chunk from the number of draws, workers and the engine: at least
    ``CHUNKS_PER_WORKER`` chunks per worker where the engine's limits allow. The limits count model
    rows: a draw of a scenario with nine divisions is nine rows (``rows_per_draw``)."""
    lo, hi = CHUNK_LIMITS.get(engine, CHUNK_LIMITS["aggregate"])
    lo, hi = max(1, lo // rows_per_draw), max(1, hi // rows_per_draw)
    want = -(-int(draws) // (CHUNKS_PER_WORKER * max(1, int(workers))))
    return int(min(hi, max(lo, want, 1)))


def chunks(draws: int, size: int) -> list[np.ndarray]:
    """Draw indices 0..draws-1 in consecutive chunks of at most ``size``."""
    size = max(1, int(size))
    return [np.arange(a, min(a + size, draws)) for a in range(0, draws, size)]


def check_workers(workers: int | None) -> int | None:
    """``--workers``: None or 1 = this process; at most 4 per core of this machine."""
    if workers is None:
        return None
    cap = MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)
    if isinstance(workers, bool) or not 1 <= workers <= cap:
        raise ExecutorError(
            f"--workers must be from 1 to {cap} ({MAX_WORKERS_PER_CORE} per core of this "
            f"machine), got {workers}",
            hint="1 runs in this process; a cluster: --scheduler",
        )
    return workers


_ADDRESS = re.compile(r"^tcp://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$")


def check_scheduler(scheduler: str | None) -> str | None:
    """``--scheduler``: 'local' or tcp://HOST:PORT."""
    if scheduler is None or scheduler == "local":
        return scheduler
    m = _ADDRESS.match(scheduler)
    if not m or not 1 <= int(m.group(2)) <= 65535:
        raise ExecutorError(
            f"--scheduler must be 'local' or tcp://HOST:PORT, got {scheduler!r}",
            hint="e.g. --scheduler tcp://10.0.0.5:8786 (the address `dask scheduler` prints)",
        )
    return scheduler


def _probe(scheduler: str) -> None:
    """Refuse an address where nothing listens, or where something other than a Dask scheduler
    does, before Dask reads a stranger's bytes as a frame length (or waits for ever). A Dask
    scheduler greets every connection at once with its handshake, a msgpack map naming
    ``compression``, ``python`` and ``pickle-protocol``."""
    m = _ADDRESS.match(scheduler)
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as s:
            s.settimeout(HANDSHAKE_TIMEOUT)
            try:
                greeting = s.recv(1024)
            except TimeoutError:
                greeting = b""
    except OSError as e:
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {scheduler}: {e.strerror or e}",
            hint="start one with `dask scheduler`, or use --scheduler local",
        ) from None
    if b"pickle-protocol" not in greeting:
        raise ExecutorError(
            f"{scheduler} did not answer as a Dask scheduler",
            hint="check the address `dask scheduler` printed (its port is 8786 by default)",
        )


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor | None]:
    """Serial (None), ``workers`` local processes, or Dask: ``scheduler`` = "local" (a LocalCluster
    of ``workers`` single-threaded processes) or "tcp://HOST:PORT" (an existing cluster; a clear
    error within about 10 s if it cannot be reached or does not answer as a Dask scheduler)."""
    workers, scheduler = check_workers(workers), check_scheduler(scheduler)
    if scheduler:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(
                "--scheduler needs dask.distributed, an optional part of edusim",
                hint="pip install 'edusim[dask]'",
            ) from None
        cluster = None
        try:
            if scheduler == "local":
                import dask

                # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, so glibc hands
                # freed memory back to the system at once; the model allocates and frees many
                # arrays of a few hundred kB each step and ran 2× slower per chunk (measured:
                # 1.4-1.8 s against 0.7 s for 25 discrete-event draws). The default is restored.
                with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                    cluster = LocalCluster(
                        n_workers=workers or 2, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                client = Client(cluster)
            else:
                _probe(scheduler)
                client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT}s")
        except ExecutorError:
            raise
        except Exception as e:  # a non-Dask service answers with bytes Dask cannot read
            if cluster is not None:
                cluster.close()
            raise ExecutorError(
                f"{scheduler} did not answer as a Dask scheduler: {type(e).__name__}",
                hint="check the address `dask scheduler` printed",
            ) from None
        try:
            yield _DaskExecutor(client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers and workers > 1:
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            yield pool
        finally:
            # Ctrl-C must not wait for every queued chunk: drop what has not started
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield None


def worker_count(executor: Executor | None) -> int:
    """How many chunks run at once on this executor (1 in this process)."""
    if executor is None:
        return 1
    if isinstance(executor, _DaskExecutor):
        return max(1, executor.workers())
    return int(getattr(executor, "_max_workers", 1) or 1)


def share(executor: Executor | None, obj):
    """``obj`` as every chunk should receive it: scattered once to each Dask worker (a handle
    Dask resolves on the worker), or the object itself for a pool or this process (a pool pickles
    it with each chunk: the baseline's scenario and tables are ~90 kB, ~1 ms)."""
    if isinstance(executor, _DaskExecutor):
        return executor.client.scatter(obj, broadcast=True, hash=False)
    return obj


class _DaskExecutor:
    """A Dask client's executor that fails, instead of waiting for ever, when the cluster has no worker."""

    def __init__(self, client):
        self.client = client
        # not pure: a chunk sent again after a failure must run again, not return the failed result
        self.inner = client.get_executor(pure=False)

    def submit(self, fn, *args):
        return self.inner.submit(fn, *args)

    def workers(self) -> int:
        try:
            return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except Exception:
            return 1

    def alive(self) -> bool:
        try:
            return bool(self.client.scheduler_info(n_workers=-1).get("workers"))
        except Exception:
            return False


@dataclass
class Failure:
    draws: list[int]
    error: BaseException

    def __str__(self) -> str:
        return f"draws {self.draws[0]}-{self.draws[-1]}: {type(self.error).__name__}: {self.error}"


def map_chunks(
    fn: Callable[[np.ndarray], object],
    parts: list[np.ndarray],
    executor: Executor | None,
    on_done: Callable[[int], None] | None = None,
    sink: Callable[[int, object], None] | None = None,
    args: tuple = (),
) -> tuple[list, list[Failure]]:
    """``fn(*args, chunk)`` over every chunk; see the module docstring for what is retried.

    Without ``sink`` the results are returned in chunk order. With it, ``sink(i, result)`` is
    called in chunk order as results arrive (out-of-order ones wait), and nothing is kept, so
    memory stays bounded by the chunks in flight.
    """
    results: list = [None] * len(parts)
    failed: list[Failure] = []
    ready: dict[int, object] = {}
    done_upto = 0
    skipped: set[int] = set()

    def flush():
        nonlocal done_upto
        while done_upto < len(parts) and (done_upto in ready or done_upto in skipped):
            if done_upto in ready:
                sink(done_upto, ready.pop(done_upto))  # an error here stops the run
            done_upto += 1

    def finish(i, value):
        if sink is None:
            results[i] = value
        else:
            ready[i] = value
            flush()
        if on_done is not None:
            on_done(len(parts[i]))

    def give_up(i, e):
        failed.append(Failure([int(d) for d in parts[i]], e))
        skipped.add(i)
        if sink is not None:
            flush()

    if executor is None:
        for i, idx in enumerate(parts):
            for attempt in (1, 2):
                try:
                    value = fn(*args, idx)
                except UserError:
                    raise
                except Exception as e:  # a chunk's failure must not lose the others
                    if attempt == 2:
                        give_up(i, e)
                    continue
                finish(i, value)
                break
        return results, failed

    futures = {executor.submit(fn, *args, idx): (i, 1) for i, idx in enumerate(parts)}
    pending = set(futures)
    idle = 0.0
    try:
        while pending:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if not done:
                idle += POLL_SECONDS
                alive = getattr(executor, "alive", None)
                if alive is not None and not alive() and idle >= DEAD_CLUSTER_TIMEOUT:
                    raise ExecutorError(
                        f"the Dask cluster has had no worker for {DEAD_CLUSTER_TIMEOUT} s; "
                        f"{len(pending)} chunk(s) were not run",
                        hint="restart the workers (`dask worker ADDRESS`) and run again",
                    )
                continue
            idle = 0.0
            for fut in done:
                i, attempt = futures.pop(fut)
                try:
                    value = fut.result()
                except UserError:
                    raise
                except Exception as e:
                    if attempt == 1:
                        again = executor.submit(fn, *args, parts[i])
                        futures[again] = (i, 2)
                        pending.add(again)
                    else:
                        give_up(i, e)
                    continue
                finish(i, value)
    finally:
        for fut in pending:
            fut.cancel()
    return results, failed
