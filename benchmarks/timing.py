"""Timing shared by the benchmark scripts: wall and CPU time, min and median over at least 5
repeats, with the load average beside every figure.

CPU time is this process's (``time.process_time``, all its threads) plus its child processes':
those that finished during the repeat (``resource.getrusage(RUSAGE_CHILDREN)``, which counts a
child once it has been waited for) and, with ``workers=True``, those still running (Dask workers,
process pools: read with psutil, when it is installed). CPU above wall time means more than one
core was busy; CPU well below wall time means waiting (I/O, a sleeping process, another
program holding the core: see the load average).

Variants are timed interleaved (A B A B ...), so a change in the machine's load during the run
falls on all of them alike::

    t = interleave({"a": f, "b": g}, repeat=5)
    print(t["a"].line(), t["b"].line(), sep="\\n")
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

try:  # installed with dask[distributed]; only needed to see CPU of child processes still running
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

MIN_REPEAT = 5


def load1() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def machine() -> str:
    """One line: cores and the load average now (1, 5, 15 minutes)."""
    a, b, c = os.getloadavg()
    return f"machine: {os.cpu_count()} cores; load average now {a:.2f} {b:.2f} {c:.2f} (1, 5, 15 min)"


@dataclass
class Timing:
    """Repeats of one measurement: wall and CPU seconds, and the 1-minute load after each."""

    label: str = ""
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process + child processes
    child: list[float] = field(default_factory=list)  # of which child processes
    load: list[float] = field(default_factory=list)
    result: Any = None  # what the last call returned

    def add(self, wall: float, cpu: float, child: float = 0.0) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.child.append(child)
        self.load.append(load1())

    @property
    def n(self) -> int:
        return len(self.wall)

    @property
    def wall_min(self) -> float:
        return min(self.wall)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_min(self) -> float:
        return min(self.cpu)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def load_range(self) -> str:
        """The 1-minute load average over the repeats: ``0.98`` or ``0.98–1.10``."""
        lo, hi = min(self.load), max(self.load)
        return f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"

    def load_text(self) -> str:
        return f"load {self.load_range()}"

    def line(self, unit: str | None = None, per: float = 1.0, per_unit: str = "") -> str:
        """``wall min … median … | cpu min … median … | n=5 | load …``; ``per`` divides every figure
        (e.g. by draws, with ``per_unit`` 'a draw')."""
        unit = unit or pick_unit(self.wall_median / per)
        f = lambda x: fmt(x / per, unit)  # noqa: E731
        tail = f" {per_unit}" if per_unit else ""
        text = (
            f"wall min {f(self.wall_min)} median {f(self.wall_median)}{tail} | "
            f"cpu min {f(self.cpu_min)} median {f(self.cpu_median)}{tail}"
        )
        if any(c > 0 for c in self.child):
            text += f" (child processes: median {f(statistics.median(self.child))})"
        return text + f" | n={self.n} | {self.load_text()}"


UNITS = {"s": 1.0, "ms": 1e3, "µs": 1e6}


def pick_unit(seconds: float) -> str:
    return "s" if seconds >= 1 else "ms" if seconds >= 1e-3 else "µs"


def fmt(seconds: float, unit: str) -> str:
    v = seconds * UNITS[unit]
    digits = 3 if v < 10 else 2 if v < 100 else 1 if v < 1000 else 0
    return f"{v:.{digits}f} {unit}"


def _live_children() -> dict[int, float]:
    """CPU seconds so far of every process below this one that is still running (psutil)."""
    if psutil is None:
        return {}
    out = {}
    for p in psutil.Process().children(recursive=True):
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def _reaped_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def interleave(
    variants: dict[str, Callable[[], Any]],
    repeat: int = MIN_REPEAT,
    warm: bool = False,
    workers: bool = False,
) -> dict[str, Timing]:
    """Time each variant ``repeat`` times (at least 5), in turn: A B A B ... (one unmeasured round
    first if ``warm``). ``workers=True`` also counts the CPU of child processes that stay alive."""
    repeat = max(repeat, MIN_REPEAT)
    out = {name: Timing(name) for name in variants}
    if warm:
        for fn in variants.values():
            fn()
    for _ in range(repeat):
        for name, fn in variants.items():
            live0 = _live_children() if workers else {}
            reaped0 = _reaped_children()
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = fn()
            t1 = time.perf_counter()
            c1 = time.process_time()
            reaped1 = _reaped_children()
            live1 = _live_children() if workers else {}
            child = reaped1 - reaped0
            child += sum(v - live0.get(pid, 0.0) for pid, v in live1.items())
            # a child alive at the start that finished since: its earlier CPU is in the reaped figure
            child -= sum(v for pid, v in live0.items() if pid not in live1)
            out[name].add(t1 - t0, (c1 - c0) + max(child, 0.0), max(child, 0.0))
            out[name].result = res
    return out


def measure(
    fn: Callable[[], Any], repeat: int = MIN_REPEAT, warm: bool = False, workers: bool = False
) -> Timing:
    """One variant: ``repeat`` (at least 5) timed calls of ``fn()``."""
    return interleave({"": fn}, repeat, warm, workers)[""]


def command(argv: list[str], **kwargs) -> Callable[[], subprocess.CompletedProcess]:
    """A function that runs ``argv`` as a subprocess to its end (output captured, failure raised)."""

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(argv, check=True, capture_output=True, **kwargs)

    return run


def repeats(argv: list[str], default: int = MIN_REPEAT) -> int:
    """``--repeat N`` from the command line (at least 5)."""
    if "--repeat" in argv:
        return max(MIN_REPEAT, int(argv[argv.index("--repeat") + 1]))
    return max(MIN_REPEAT, default)
