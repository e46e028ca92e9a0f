"""The report: end-to-end time on three scenarios, page size, and drawing time in headless Chromium.

    python benchmarks/bench_report.py [--repeat N]    # N ≥ 5 (the default)
    python benchmarks/bench_report.py --draws 10000   # the report of draws: 10,000 (default 1,000)

Targets (issue 5): `edusim report` on three scenarios < 5 s end to end; the page < 8 MB and drawn by
the browser in < 3 s. Issue 13: the same three scenarios with 10,000 draws each in ≤ 1 GB peak
memory and ≤ 30 s (the draws are streamed through a temporary folder and read back as quantiles; the
peak is the child process's own maximum resident set, printed by a wrapper around the CLI). The
drawing time is what the page itself records (performance.now() around every Plotly.newPlot call) in
Debian's headless chromium. Wall and CPU time (the child process's) are min and median over the
repeats, with the load average while they ran. Chromium's CPU time counts only the helper processes
chromium itself waits for (its zygote-forked renderers may be missing), so read it as a lower bound.
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
SCENARIOS = ["baseline", "tegang-300", "no-tegang"]
# the CLI in a child process that prints its own peak memory (MB) as its last line on stderr
PEAK = (
    "import sys\n"
    "sys.argv = ['edusim', *sys.argv[1:]]\n"
    "import cli\n"
    "try:\n    cli.app()\nexcept SystemExit as e:\n    code = e.code\n"
    # VmHWM: this process image's own peak (ru_maxrss keeps the parent's across fork and exec)
    "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0].split()[1]\n"
    "print(int(hwm) / 1024, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def with_draws(out: Path, draws: int, rep: int) -> None:
    """The report of three scenarios with ``draws`` draws each: time, peak memory, page size."""
    peaks: list[float] = []
    argv = [sys.executable, "-c", PEAK, "report", *SCENARIOS, "--draws", str(draws), "--out", str(out)]
    run = command(argv, cwd=ROOT, text=True)

    def once():
        r = run()
        peaks.append(float(r.stderr.strip().splitlines()[-1]))
        return r

    t = measure(once, rep)
    print(f"edusim report, three scenarios × {draws:,} draws, end to end: {t.line('s')}")
    print(
        f"  peak memory of the child: max {max(peaks):.0f} MB, median {statistics.median(peaks):.0f} MB; "
        f"page {out.stat().st_size / 1e6:.2f} MB (targets: ≤ 30 s, ≤ 1 GB)"
    )


def main() -> None:
    rep = repeats(sys.argv)
    print(machine())
    exe = shutil.which("edusim") or str(Path(sys.executable).parent / "edusim")
    tmp = Path(tempfile.mkdtemp())
    try:
        out = tmp / "report.html"
        argv = [exe, "report", *SCENARIOS, "--out", str(out)]
        t = measure(command(argv, cwd=ROOT), rep)
        print(f"edusim report, three scenarios, end to end: {t.line('s')}")
        print(f"  (target < 5 s, median: {'ok' if t.wall_median < 5 else 'MISSED'})")
        print(f"page size: {out.stat().st_size / 1e6:.2f} MB (target < 8 MB)")
        draws = int(sys.argv[sys.argv.index("--draws") + 1]) if "--draws" in sys.argv else 1_000
        with_draws(tmp / "draws.html", draws, rep)
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
