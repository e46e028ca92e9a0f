"""The report: end-to-end time on three scenarios, page size, and drawing time in headless Chromium.

    python benchmarks/bench_report.py [--repeat N]    # N ≥ 5 (the default)

Targets (issue 5): `edusim report` on three scenarios < 5 s end to end; the page < 8 MB and drawn
by the browser in < 3 s. The drawing time is what the page itself records (performance.now()
around every Plotly.newPlot call) in Debian's headless chromium. Wall and CPU time (the child
process's) are min and median over the repeats, with the load average while they ran. Chromium's
CPU time counts only the helper processes chromium itself waits for (its zygote-forked renderers
may be missing), so read it as a lower bound.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import command, machine, measure, repeats

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    rep = repeats(sys.argv)
    print(machine())
    exe = shutil.which("edusim") or str(Path(sys.executable).parent / "edusim")
    tmp = Path(tempfile.mkdtemp())
    try:
        out = tmp / "report.html"
        argv = [exe, "report", "baseline", "tegang-300", "no-tegang", "--out", str(out)]
        t = measure(command(argv, cwd=ROOT), rep)
        print(f"edusim report, three scenarios, end to end: {t.line('s')}")
        print(f"  (target < 5 s, median: {'ok' if t.wall_median < 5 else 'MISSED'})")
        print(f"page size: {out.stat().st_size / 1e6:.2f} MB (target < 8 MB)")
        browser = shutil.which("chromium")
        if browser is None:
            print("chromium not installed: no drawing time")
            return
        draws: list[float] = []

        def draw() -> None:
            i = len(draws)
            dom = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={tmp / f'u{i}'}",
                    "--dump-dom",
                    out.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
            m = re.search(r'data-draw-ms="(\d+)"', dom)
            draws.append(int(m.group(1)) if m else float("nan"))

        tc = measure(draw, rep)
        print(
            f"drawn by the page's scripts: min {min(draws):.0f} ms, median {statistics.median(draws):.0f} ms "
            f"(n={len(draws)}; target < 3000 ms)"
        )
        print(f"chromium start to DOM dump: {tc.line('s')}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
