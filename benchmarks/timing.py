"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def timeit(fn, repeat: int, warm: bool = False) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls, in seconds (one unmeasured call first if ``warm``)."""
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
