"""The what-if grid (sim/analysis/whatif.py) and its page section (sim/report/whatif.py)."""

import json
import re
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import CHROMIUM_FLAGS, chromium

from sim.analysis.targets import evaluate
from sim.analysis.whatif import MAX_LEVERS, MAX_RUNS, STATUSES, choose_levers, round_sig, whatif_grid
from sim.report.whatif import TEXT, whatif_html
from sim.run.simulate import prepare, simulate
from sim.schema.paths import set_leaf
from sim.schema.uncertainty import Lever

HIRES = "teachers.tegang.hires"
VOC = "students.transitions.vocational_share"
LEVERS = [f"{HIRES}=0:300", f"{VOC}=0.25:0.35"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def prep():
    return prepare("baseline")


@pytest.fixture(scope="module")
def small(prep):
    return whatif_grid(prep, LEVERS, points=2)


def at(grid: dict, name: str, ix: tuple[int, ...]) -> list:
    """A series of the grid at lever indices ``ix`` (C order over the levers, then the years)."""
    T = len(grid["years"])
    o = int(np.ravel_multi_index(ix, grid["shape"])) * T
    return grid["series"][name][o : o + T]


def targets_at(grid: dict, ix: tuple[int, ...]) -> tuple[list, list]:
    K = len(grid["targets"])
    o = int(np.ravel_multi_index(ix, grid["shape"])) * K
    return grid["target_values"][o : o + K], [grid["statuses"][s] for s in grid["target_status"][o : o + K]]


def test_small_grid_equals_separate_runs(prep, small):
    assert small["shape"] == [2, 2] and small["runs"] == 4 and small["city"] is True
    assert [lv["path"] for lv in small["levers"]] == [HIRES, VOC]
    assert small["levers"][0]["values"] == [0.0, 300.0]
    assert small["levers"][1]["values"] == [0.25, 0.35]
    # the scenario's own values (150 hires, 28.5 %) are nearest 0 → index 0 ... and 0.25 → index 0
    assert [lv["default"] for lv in small["levers"]] == [0, 0]
    city = prep.scenario.model_copy(update={"regions": None, "draws": 1})
    for i, hires in enumerate([0.0, 300.0]):
        for j, share in enumerate([0.25, 0.35]):
            s = set_leaf(set_leaf(city, HIRES, hires), VOC, share)  # the sweep's way, by hand
            res = simulate(s, prep.tables).results
            for v in small["series"]:
                assert at(small, v, (i, j)) == round_sig(res[v][0]), (v, hires, share)
            table = evaluate([t for t in s.targets if t.indicator in res], res, s.years)
            values, status = targets_at(small, (i, j))
            assert values == round_sig(table["value"].to_numpy())
            assert status == list(table["status"])
    # hand checks: the hires lever moves the teachers in post (a little: the baseline places 特岗
    # teachers only where there are vacancies), a larger vocational share gives more vocational students
    assert at(small, "Teachers|Supply", (1, 0)) != at(small, "Teachers|Supply", (0, 0))
    assert (
        at(small, "Enrolment|Secondary vocational", (0, 1))[5]
        > at(small, "Enrolment|Secondary vocational", (0, 0))[5]
    )
    # the reference is the scenario as written (150 hires, 28.5 %), on the city
    ref = simulate(city, prep.tables).results
    assert small["reference"]["Teachers|Gap"] == round_sig(ref["Teachers|Gap"][0])
    assert json.loads(json.dumps(small, allow_nan=False)) == small  # JSON-able as it is


def test_levers_come_from_the_scenario_block(prep):
    levers = {
        HIRES: Lever(min=0, max=400),
        VOC: Lever(min=0.25, max=0.45),
        "finance.envelope_growth": Lever(min=0, max=0.05),
        "teachers.hiring.public_funded": Lever(min=0, max=120, label="公费师范生"),
        "teachers.hiring.max_hires": Lever(min=0, max=2000),
    }
    s = prep.scenario.model_copy(update={"levers": levers})
    chosen = choose_levers(s, None, 3)
    assert [p for p, _ in chosen] == list(levers)[:MAX_LEVERS]
    assert chosen[0][1] == [0.0, 200.0, 400.0] and chosen[1][1] == [0.25, 0.35, 0.45]
    # a lever named by its path takes the block's range; PATH=LO:HI:STEP keeps its own grid
    assert choose_levers(s, [VOC, f"{HIRES}=0:300:150"], 5) == [
        (VOC, [0.25, 0.3, 0.35, 0.4, 0.45]),
        (HIRES, [0.0, 150.0, 300.0]),
    ]
    grid = whatif_grid(SimpleNamespace(scenario=s, tables=prep.tables), [HIRES], points=2)
    assert grid["shape"] == [2] and grid["levers"][0]["default"] in (0, 1)


def test_the_cap_and_bad_levers_are_refused(prep):
    s = prep.scenario
    four = [
        f"{HIRES}=0:400",
        f"{VOC}=0.25:0.45",
        "finance.envelope_growth=0:0.05",
        "teachers.hiring.public_funded=0:100",
    ]
    # 6^4 = 1,296 runs > the cap: refused before anything runs, with what to change
    with pytest.raises(ValueError, match=rf"1,296 runs; at most {MAX_RUNS}.*lower points"):
        whatif_grid(prep, four, points=6)
    assert len(choose_levers(s, four, 5)) == 4  # 625 runs fit
    with pytest.raises(ValueError, match=f"at most {MAX_LEVERS} levers"):
        choose_levers(s, four + ["teachers.hiring.max_hires=0:2000"], 2)
    no_levers = prep.scenario.model_copy(update={"levers": {}})
    with pytest.raises(ValueError, match="names no levers: add a `levers:` block"):
        choose_levers(no_levers, None, 5)
    with pytest.raises(ValueError, match="points must be"):
        choose_levers(s, four[:2], 1)
    with pytest.raises(ValueError, match="did you mean 'teachers.tegang'"):
        choose_levers(s, ["teachers.tegan.hires=0:1"], 2)
    with pytest.raises(ValueError, match="named twice"):
        choose_levers(s, [f"{HIRES}=0:1", f"{HIRES}=0:2"], 2)
    many = [
        v
        for v in simulate(s.model_copy(update={"regions": None}), prep.tables).results
        if v.startswith("Teachers|")
    ]
    with pytest.raises(ValueError, match="at most 120,000.*keep fewer variables"):
        whatif_grid(prep, four, points=5, variables=many)  # 625 runs fit, but not of every teacher series
    with pytest.raises(ValueError, match="none of the variables"):
        whatif_grid(prep, LEVERS, 2, variables=["No|Such"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_section_builds_in_both_languages(small, lang):
    assert set(TEXT["zh"]) == set(TEXT["en"])
    page = whatif_html(small, lang)
    assert page.startswith('<section id="whatif"') and page.endswith("</section>")
    assert page.count('type="application/json"') == 1 and "http" not in page.replace("http-equiv", "")
    payload = re.search(r'<script type="application/json" id="whatif-data">(.*?)</script>', page, re.S)
    data = json.loads(payload.group(1))
    assert data["grid"] == small and data["lang"] == lang
    assert [c["key"] for c in data["charts"]] == ["teachers", "money", "enrolment", "ger"]
    shown = re.sub(r"<script.*?</script>|<style>.*?</style>", "", page, flags=re.S)
    texts = [c["title"] for c in data["charts"]] + [c["unitLabel"] for c in data["charts"]]
    texts += [lv["label"][lang] for lv in small["levers"]] + [lv["unit"][lang] for lv in small["levers"]]
    texts += [v["label"][lang] for v in small["variables"]] + list(data["text"].values())
    # a target's label is the scenario's text (its English may name 特岗): present, not checked for Chinese
    assert all(t["label"][lang] for t in small["targets"]) and all(t is not None for t in texts)
    # nothing untranslated: no text key or variable id shown, and the English page shows no Chinese
    for t in texts + [shown]:
        assert "{" not in t and "|" not in t
        if lang == "en":
            assert not CJK.search(t), t
    assert "4 runs (2 × 2)" in shown if lang == "en" else "4 次运行（2 × 2）" in shown


def test_a_title_cannot_end_the_script(small):
    grid = {**small, "title": {"zh": "</script><b>x", "en": "</script><b>x"}}
    page = whatif_html(grid, "en")
    assert page.count("</script>") == 2  # the data's and the code's
    assert "&lt;/script&gt;&lt;b&gt;x" in page  # escaped where it is shown


def open_page(exe: str, page, tmp_path, fragment: str, n: int) -> tuple[str, str]:
    done = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / f'u{n}'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout, done.stderr


@pytest.mark.slow
def test_sliders_redraw_in_a_real_browser(tmp_path, prep):
    exe = chromium()
    from plotly.offline import get_plotlyjs  # as sim/report/page.py: render inlines it

    grid = whatif_grid(
        prep, [f"{HIRES}=0:300", f"{VOC}=0.25:0.35", "finance.envelope_growth=0:0.05"], points=3
    )
    page = tmp_path / "whatif.html"
    page.write_text(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<script>{get_plotlyjs()}</script></head><body>{whatif_html(grid, 'zh')}</body></html>",
        encoding="utf-8",
    )
    for n, point in enumerate([(1, 0, 2), (2, 2, 0), (0, 1, 1)]):
        dom, stderr = open_page(exe, page, tmp_path, "#whatif=" + ",".join(map(str, point)), n)
        assert "Uncaught" not in stderr, stderr[-2000:]
        head = re.search(r'<section id="whatif"[^>]*>', dom).group(0)
        assert "data-error" not in head, head
        assert f'data-point="{",".join(map(str, point))}"' in head
        drawn = json.loads(re.search(r'<pre id="whatif-drawn">(.*?)</pre>', dom, re.S).group(1))
        assert drawn["point"] == list(point)
        n_traces = 0
        for key, chart in drawn["charts"].items():
            scale = drawn["charts"].get("scales", {}).get(key, 1.0) if key != "scales" else None
            if key == "scales":
                continue
            for name, ys in chart.items():
                want = grid["reference"][name[:-4]] if name.endswith("#ref") else at(grid, name, point)
                # money is drawn in 亿元: the grid's yuan ÷ 1e8
                assert ys == pytest.approx([w / scale for w in want], rel=1e-12), (name, point)
                n_traces += 1
        assert n_traces == 2 * len(grid["variables"])
        values, status = targets_at(grid, point)
        assert [r["value"] for r in drawn["scorecard"]] == values
        assert [r["status"] for r in drawn["scorecard"]] == status
        assert set(status) <= set(STATUSES)
        # every slider shows the point, and every chart is drawn by plotly
        for i in range(len(point)):
            assert re.search(rf'id="whatif-lever-{i}"[^>]*', dom)
        assert dom.count('class="main-svg"') >= len(drawn["charts"])
        rows = re.search(r'<table class="wi-scorecard">.*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
        assert rows.count("<tr") == len(grid["targets"]) and rows.count("✓") + rows.count("✗") == len(
            grid["targets"]
        )
    # the sliders themselves: moved by input events after the page opened at (1, 0, 2)
    dom, stderr = open_page(exe, page, tmp_path, "#whatif=1,0,2&slide=0:2,2:0", 5)
    assert "Uncaught" not in stderr and "data-error" not in re.search(
        r'<section id="whatif"[^>]*>', dom
    ).group(0)
    drawn = json.loads(re.search(r'<pre id="whatif-drawn">(.*?)</pre>', dom, re.S).group(1))
    assert drawn["point"] == [2, 0, 0]
    money = drawn["charts"]["money"]["Spending|Total"]
    assert money == pytest.approx([v / 1e8 for v in at(grid, "Spending|Total", (2, 0, 0))], rel=1e-12)
    assert re.search(r'id="whatif-value-0"[^>]*>300 人/年<', dom)  # the slider's value, with its unit
    # an index outside the grid is reported on the section, not thrown at the page
    dom, stderr = open_page(exe, page, tmp_path, "#whatif=9,0,0", 9)
    assert "outside 0..2" in re.search(r'<section id="whatif"[^>]*>', dom).group(0)
