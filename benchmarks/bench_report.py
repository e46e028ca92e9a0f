"""The report: end-to-end time on three scenarios, page size, and drawing time in headless Chromium.

    python benchmarks/bench_report.py

Targets (issue 5): `edusim report` on three scenarios < 5 s end to end; the page < 8 MB and drawn
by the browser in < 3 s. The drawing time is what the page itself records (performance.now()
around every Plotly.newPlot call) in Debian's headless chromium.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    exe = shutil.which("edusim") or str(Path(sys.executable).parent / "edusim")
    out = Path(tempfile.mkdtemp()) / "report.html"
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([exe, "report", "baseline", "tegang-300", "no-tegang", "--out", str(out)],
                       check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
    print(f"edusim report, three scenarios, end to end: {statistics.median(walls):.2f} s (median of 3)")
    print(f"page size: {out.stat().st_size / 1e6:.2f} MB")
    browser = shutil.which("chromium")
    if browser is None:
        print("chromium not installed: no drawing time")
        return
    draws, walls = [], []
    for i in range(3):
        t0 = time.perf_counter()
        dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              f"--user-data-dir={out.parent / f'u{i}'}", "--dump-dom", out.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        walls.append(time.perf_counter() - t0)
        m = re.search(r'data-draw-ms="(\d+)"', dom)
        draws.append(int(m.group(1)) if m else float("nan"))
    print(f"drawn by the page's scripts: {statistics.median(draws):.0f} ms (median of 3); "
          f"chromium start to DOM dump: {statistics.median(walls):.2f} s")


if __name__ == "__main__":
    main()
