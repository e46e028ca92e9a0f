"""What start-up costs: whole commands run as subprocesses, and the model alone in this process.

    python benchmarks/bench_startup.py                 # 5 repeats of each command, 200 model runs
    python benchmarks/bench_startup.py --repeat 9      # more repeats of each command (at least 5)
    python benchmarks/bench_startup.py --model 500     # model runs in this process (at least 5)

The commands (`python -c pass`, `python -c "import numpy"`, `python -c "import sim"`,
`edusim list`, `edusim validate baseline`, `edusim run baseline --out <tmp>`) are run in turn,
round after round, so each sees the same machine. Wall time is from start to exit; CPU time is the
child's (user + system, ``getrusage(RUSAGE_CHILDREN)``). Then the deterministic full model in
this process: the baseline prepared once, then ``simulate(prep.scenario, prep.tables)`` timed
many times (and ``prepare("baseline")`` itself, for scale). Last, one ``python -X importtime``
run per command: the five packages with the largest cumulative import time (a package's
largest entry, which includes what it imported first; "in X" marks one imported from inside
another listed package, "from M" the project module that imported it, "at run time" one imported
inside a function after the command started working), which of the heavy packages (pandas,
pyarrow, scipy, ruamel, plotly, simpy) it imported, the time spent importing
beyond what `python -c pass` imports, and the self time of the project's own modules. The import
figures come from one run under ``-X importtime``, which itself slows importing a little: a guide
to where the time goes, not a measurement.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import command, fmt, interleave, machine, measure, repeats

from sim.run.simulate import prepare, simulate

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EDUSIM = str(Path(sys.executable).parent / "edusim")
OWN = {"cli", "sim"}  # the project's own modules: their self time is reported apart
# packages a quick command should not need (issue #13): each command's line says which it imported
HEAVY = ("pandas", "pyarrow", "scipy", "ruamel", "plotly", "simpy")


def commands(out: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": [PY, "-c", "pass"],
        'python -c "import numpy"': [PY, "-c", "import numpy"],
        'python -c "import sim"': [PY, "-c", "import sim"],
        "edusim list": [EDUSIM, "list"],
        "edusim validate baseline": [EDUSIM, "validate", "baseline"],
        "edusim run baseline --out <tmp>": [EDUSIM, "run", "baseline", "--out", str(out)],
    }


def importtime(argv: list[str]) -> tuple[float, str]:
    """One ``-X importtime`` run: seconds importing in all, and a line naming the top five packages
    by cumulative import time."""
    if argv[0] == EDUSIM:  # the console script is a Python file: run it under this interpreter
        argv = [PY, *argv]
    err = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True, cwd=ROOT, check=True
    ).stderr
    rows = []  # (depth, name, self µs, cumulative µs), in the order printed (children before parent)
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, name.strip(), int(self_us), int(cum_us)))
    total = sum(r[2] for r in rows)
    own = sum(r[2] for r in rows if r[1].split(".")[0] in OWN)
    # the parent of each row: the next row printed after it with a smaller depth
    parent: dict[int, int | None] = {}
    stack: list[int] = []
    for i in range(len(rows) - 1, -1, -1):
        while stack and rows[stack[-1]][0] >= rows[i][0]:
            stack.pop()
        parent[i] = stack[-1] if stack else None
        stack.append(i)
    best: dict[str, int] = {}  # root package → its row with the largest cumulative time
    for i, (_, name, _, cum) in enumerate(rows):
        root = name.split(".")[0]
        if root in OWN or root.startswith("_") or root in {"encodings", "site"}:
            continue
        if root not in best or cum > rows[best[root]][3]:
            best[root] = i
    top = sorted(best.values(), key=lambda i: -rows[i][3])[:5]
    # rows printed after the script's own top module finished were imported by a function while running
    script_done = next((i for i, r in enumerate(rows) if r[0] == 0 and r[1] == "cli"), len(rows))
    chosen = {rows[i][1].split(".")[0] for i in top}
    parts = []
    for i in top:
        root, where, j = rows[i][1].split(".")[0], "", parent[i]
        while j is not None:  # the nearest enclosing listed package, or else the project module importing it
            r = rows[j][1].split(".")[0]
            if r != root and r in chosen:
                where = f" (in {r})"
                break
            if r in OWN and not where:
                where = f" (from {rows[j][1]})"
            j = parent[j]
        if not where and i > script_done:
            k = i
            while parent[k] is not None:
                k = parent[k]
            where = f" (at run time, by {rows[k][1]})" if k != i else " (at run time)"
        parts.append(f"{rows[i][1]} {rows[i][3] / 1e3:.0f} ms{where}")
    heavy = sorted({r[1].split(".")[0] for r in rows} & set(HEAVY))
    return total / 1e6, (
        "top 5 cumulative: "
        + (", ".join(parts) or "none")
        + f"; cli + sim's own modules {own / 1e3:.0f} ms self"
        + f"; of {', '.join(HEAVY)}: {', '.join(heavy) or 'none'} imported"
    )


def main() -> None:
    rep = repeats(sys.argv)
    n_model = max(5, int(sys.argv[sys.argv.index("--model") + 1])) if "--model" in sys.argv else 200
    print(machine())
    tmp = Path(tempfile.mkdtemp())
    try:
        cmds = commands(tmp / "runs")
        t = interleave({k: command(v, cwd=ROOT) for k, v in cmds.items()}, rep, warm=True)
        prep = prepare("baseline")
        t["prepare('baseline'), in this process"] = measure(
            lambda: prepare("baseline"), max(rep, 20), warm=True
        )
        t["simulate(baseline), full model, 1 draw, in this process"] = measure(
            lambda: simulate(prep.scenario, prep.tables), n_model, warm=True
        )
        rows = [(k, x) for k, x in t.items()]
        print()
        print("| what | wall min | wall median | CPU min | CPU median | n | load (1 min) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for k, x in rows:
            print(
                f"| `{k}` | {fmt(x.wall_min, 'ms')} | {fmt(x.wall_median, 'ms')} | {fmt(x.cpu_min, 'ms')} "
                f"| {fmt(x.cpu_median, 'ms')} | {x.n} | {x.load_range()} |"
            )
        base = t["python -c pass"].wall_median
        base_imports, _ = importtime(cmds["python -c pass"])
        print()
        print(
            f"interpreter start (`python -c pass`): {base * 1e3:.0f} ms wall (median); per command, the rest:"
        )
        for k, argv in cmds.items():
            if k == "python -c pass":
                continue
            extra = t[k].wall_median - base
            imports, top = importtime(argv)
            imports -= base_imports
            print(
                f"- `{k}`: +{extra * 1e3:.0f} ms, of which importing ≈ {imports * 1e3:.0f} ms (self times "
                f"summed) and the rest ≈ {max(extra - imports, 0) * 1e3:.0f} ms; {top}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
