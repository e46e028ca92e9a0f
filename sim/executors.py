"""Where chunks of draws run: in this process, a local process pool, or a Dask cluster.

One interface: ``open_executor(workers, scheduler)`` gives a ``concurrent.futures``-style
executor (or None for serial), and ``map_chunks`` runs a function over chunks of draw
indices with it, retrying a failed chunk once and reporting the draws of any chunk that
fails twice, while keeping every other chunk's result. Results come back in chunk order,
so what is built from them does not depend on which worker finished first.

>>> out, failed = map_chunks(lambda idx: idx * 2, chunks(5, 2), executor=None)
>>> [o.tolist() for o in out], failed
([[0, 2], [4, 6], [8]], [])
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np


class ExecutorError(Exception):
    """A back-end that cannot be reached or started; the message says which and why."""


def chunks(draws: int, size: int) -> list[np.ndarray]:
    """Draw indices 0..draws-1 in consecutive chunks of at most ``size``."""
    size = max(1, int(size))
    return [np.arange(a, min(a + size, draws)) for a in range(0, draws, size)]


@contextlib.contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor | None]:
    """Serial (None), ``workers`` local processes, or Dask: ``scheduler`` = "local" (a LocalCluster
    of ``workers`` single-threaded processes) or "tcp://HOST:PORT" (an existing cluster; a clear
    error within 10 s (an 8 s connect timeout) if it cannot be reached)."""
    if scheduler:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--scheduler needs dask.distributed: pip install -e '.[dask]'") from None
        cluster = None
        try:
            if scheduler == "local":
                cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
                client = Client(cluster)
            else:
                client = Client(scheduler, timeout="8s")
        except (OSError, TimeoutError) as e:
            if cluster is not None:
                cluster.close()
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers and workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    else:
        yield None


@dataclass
class Failure:
    draws: list[int]
    error: str


def map_chunks(fn: Callable[[np.ndarray], object], parts: list[np.ndarray], executor: Executor | None,
               on_done: Callable[[int], None] | None = None,
               sink: Callable[[int, object], None] | None = None) -> tuple[list, list[Failure]]:
    """``fn`` over every chunk; a chunk that raises is retried once, then reported.

    Without ``sink`` the results are returned in chunk order. With it, ``sink(i, result)`` is
    called in chunk order as results arrive (out-of-order ones wait), and nothing is kept, so
    memory stays bounded by the chunks in flight.
    """
    results: list = [None] * len(parts)
    failed: list[Failure] = []
    ready: dict[int, object] = {}
    state = {"next": 0}
    skipped: set[int] = set()

    def flush():
        while state["next"] < len(parts) and (state["next"] in ready or state["next"] in skipped):
            i = state["next"]
            if i in ready:
                sink(i, ready.pop(i))
            state["next"] += 1

    def finish(i, value):
        if sink is None:
            results[i] = value
        else:
            ready[i] = value
            flush()
        if on_done is not None:
            on_done(len(parts[i]))

    def give_up(i, e):
        failed.append(Failure([int(d) for d in parts[i]], f"{type(e).__name__}: {e}"))
        if sink is not None:
            skipped.add(i)
            flush()

    if executor is None:
        for i, idx in enumerate(parts):
            for attempt in (1, 2):
                try:
                    finish(i, fn(idx))
                    break
                except Exception as e:  # a chunk's failure must not lose the others
                    if attempt == 2:
                        give_up(i, e)
        return results, failed

    futures = {executor.submit(fn, idx): (i, 1) for i, idx in enumerate(parts)}
    from concurrent.futures import wait, FIRST_COMPLETED

    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            i, attempt = futures.pop(fut)
            try:
                finish(i, fut.result())
            except Exception as e:
                if attempt == 1:
                    again = executor.submit(fn, parts[i])
                    futures[again] = (i, 2)
                    pending.add(again)
                else:
                    give_up(i, e)
    return results, failed
