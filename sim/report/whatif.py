"""The what-if section of the static page: sliders over a precomputed grid of runs, no server.

``whatif_html(grid, lang)`` gives one ``<section id="whatif">``: the grid
(``sim/analysis/whatif.py: whatif_grid``) embedded once as JSON, a slider per lever, charts
(drawn with the page's global ``Plotly``) and a scorecard that are redrawn from the grid when
a slider moves. A slider picks a computed point; nothing is interpolated. The scenario's own
run is drawn dashed as the reference.

For tests and links: ``#whatif=2,3,1`` in the address opens that point (indices along each
lever); ``#whatif=2,3,1&slide=0:4`` then moves slider 0 to its stop 4 the way a user does (an
``input`` event); ``window.edusimWhatif`` has ``set(indices)`` and ``current()``. After each redraw the
drawn values (read back from the charts) are in ``<pre id="whatif-drawn">``; an error is written
to the section's ``data-error`` attribute.
"""

from __future__ import annotations

import html
import json

from .figures import FONT, unit_label

# charts: (key, variables); a variable of the grid in none of them is drawn in a last chart
CHARTS = (
    ("teachers", ("Teachers|Gap", "Teachers|Supply", "Teachers|Demand")),
    ("money", ("Spending|Total", "Budget|Envelope")),
    ("enrolment", ("Enrolment|Preschool", "Enrolment|Secondary vocational")),
    ("ger", ("GER|Preschool", "GER|Upper secondary")),
)
MAX_CHARTS = 4  # a 2 × 2 block; more variables than these charts hold are left out

TEXT = {
    "zh": {
        "title": "情景推演（拖动滑块）",
        "about": (
            "本节内嵌预先计算的 {runs} 次运行（{shape}），情景“{scenario}”按全市一个整体计算"
            "（不分区县、不抽样）。滑块只取已计算的点，不做插值；虚线为情景本身的取值。"
        ),
        "teachers": "教师供给、需求与余缺（+ 富余，− 短缺）",
        "money": "经费支出与预算",
        "enrolment": "在校生",
        "ger": "毛入学率",
        "other": "其他指标",
        "selected": "所选",
        "reference": "情景本身",
        "target": "目标",
        "goal": "目标值",
        "value": "所选取值",
        "ref_value": "情景本身",
        "status": "达成",
        "assumed": "（假设）",
        "scorecard": "目标达成情况（所选点）",
    },
    "en": {
        "title": "What if (move the sliders)",
        "about": (
            "A precomputed grid of {runs} runs ({shape}) of the scenario “{scenario}”, run as one city "
            "(no divisions, one deterministic draw). A slider picks the nearest computed point; nothing "
            "is interpolated. Dashed lines are the scenario as written."
        ),
        "teachers": "Teachers in post, needed, and surplus (+) or shortage (−)",
        "money": "Spending and budget",
        "enrolment": "Students",
        "ger": "Gross enrolment ratios",
        "other": "Other indicators",
        "selected": "selected",
        "reference": "scenario",
        "target": "Target",
        "goal": "Goal",
        "value": "Selected",
        "ref_value": "Scenario",
        "status": "Met",
        "assumed": " (by assumption)",
        "scorecard": "Targets at the selected point",
    },
}

STYLE = """
#whatif .wi-controls { display: grid; grid-template-columns: max-content 1fr max-content; gap: 6px 12px;
  align-items: center; max-width: 760px; margin: 8px 0 16px; }
#whatif .wi-controls input { width: 100%; }
#whatif .wi-value { font-variant-numeric: tabular-nums; min-width: 7em; }
#whatif .wi-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 8px; }
#whatif .wi-chart { min-height: 300px; }
#whatif table { border-collapse: collapse; font-size: 14px; margin-top: 8px; }
#whatif td, #whatif th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
#whatif td.num { text-align: right; font-variant-numeric: tabular-nums; }
#whatif .ok { color: #1a7f37; } #whatif .no { color: #c62828; }
#whatif-drawn { display: none; }
"""

# plain JavaScript, no framework; reads the grid and the page's texts from the JSON above it
SCRIPT = r"""
(function () {
  var section = document.getElementById("whatif");
  function fail(e) {
    var prev = section.getAttribute("data-error");
    section.setAttribute("data-error", (prev ? prev + "; " : "") + String(e && e.message || e));
  }
  window.addEventListener("error", function (e) { fail(e.message || e); });
  try {
    var box = JSON.parse(document.getElementById("whatif-data").textContent);
    var G = box.grid, T = box.text, C = box.charts, lang = box.lang;
    var nY = G.years.length, nK = G.targets.length, shape = G.shape;
    var strides = shape.map(function (_, i) {
      var s = 1; for (var j = i + 1; j < shape.length; j++) s *= shape[j]; return s;
    });
    var idx = G.levers.map(function (l) { return l.default; });
    var varByName = {};
    G.variables.forEach(function (v) { varByName[v.name] = v; });

    function fmtNumber(x, unit) {
      if (x === null || x === undefined) return "–";
      if (unit === "fraction") return (x * 100).toFixed(1) + " %";
      return x.toLocaleString(lang === "zh" ? "zh-CN" : "en-US", {maximumFractionDigits: 4});
    }
    function fmtLever(l, v) {
      if (l.percent) return (v * 100).toLocaleString(undefined, {maximumFractionDigits: 2}) + " %";
      var u = l.unit[lang];
      return v.toLocaleString(undefined, {maximumFractionDigits: 6}) + (u ? " " + u : "");
    }
    function offset(ix) {
      var o = 0; for (var i = 0; i < ix.length; i++) o += ix[i] * strides[i]; return o;
    }
    function seriesAt(name, ix) {
      var o = offset(ix) * nY; return G.series[name].slice(o, o + nY);
    }

    var controls = section.querySelector(".wi-controls");
    var sliders = G.levers.map(function (l, i) {
      var lab = document.createElement("label");
      lab.textContent = l.label[lang];
      lab.htmlFor = "whatif-lever-" + i;
      var input = document.createElement("input");
      input.type = "range"; input.min = 0; input.max = l.values.length - 1; input.step = 1;
      input.value = idx[i]; input.id = "whatif-lever-" + i;
      input.setAttribute("data-path", l.path);
      var out = document.createElement("span");
      out.className = "wi-value"; out.id = "whatif-value-" + i;
      input.addEventListener("input", function () {
        var next = idx.slice(); next[i] = parseInt(input.value, 10); set(next);
      });
      controls.appendChild(lab); controls.appendChild(input); controls.appendChild(out);
      return {input: input, out: out};
    });

    var charts = section.querySelector(".wi-charts");
    var divs = C.map(function (c, k) {
      var d = document.createElement("div");
      d.className = "wi-chart"; d.id = "whatif-chart-" + k;
      charts.appendChild(d);
      return d;
    });
    var palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    function drawCharts(ix) {
      var drawn = {};
      C.forEach(function (c, k) {
        var traces = [];
        c.variables.forEach(function (name, n) {
          var v = varByName[name], colour = palette[n % palette.length];
          var scaled = function (ys) { return ys.map(function (y) { return y / c.scale; }); };
          traces.push({x: G.years, y: scaled(seriesAt(name, ix)), name: v.label[lang], legendgroup: name,
                       mode: "lines+markers", marker: {size: 4}, line: {color: colour, width: 2.5},
                       meta: name});
          traces.push({x: G.years, y: scaled(G.reference[name]), name: v.label[lang] + " · " + T.reference,
                       legendgroup: name, showlegend: false, hoverinfo: "skip",
                       mode: "lines", line: {color: colour, dash: "dash", width: 1.5}, meta: name + "#ref"});
        });
        var rate = c.unit === "fraction";
        var layout = {title: {text: c.title, font: {size: 15}}, font: box.font, height: 380,
                      margin: {l: 60, r: 16, t: 44, b: 20}, legend: {orientation: "h", y: -0.12, x: 0},
                      hovermode: "x unified", xaxis: {dtick: 5},
                      yaxis: {title: {text: c.unitLabel}, tickformat: rate ? ".1%" : ",", automargin: true}};
        Plotly.react(divs[k], traces, layout, {responsive: true, displayModeBar: false});
        // what the chart now holds, read back from it
        drawn[c.key] = {};
        (divs[k].data || []).forEach(function (t) {
          drawn[c.key][t.meta] = Array.prototype.slice.call(t.y);
          drawn.scales = drawn.scales || {};
          drawn.scales[c.key] = c.scale;
        });
      });
      return drawn;
    }

    var tbody = section.querySelector(".wi-scorecard tbody");
    function drawScorecard(ix) {
      var o = offset(ix) * nK, rows = [], out = [];
      G.targets.forEach(function (t, k) {
        var value = G.target_values[o + k], status = G.statuses[G.target_status[o + k]];
        var ok = status !== "missed";
        var sign = t.comparison === ">=" ? "≥ " : t.comparison === "<=" ? "≤ " : "= ";
        var goal = sign + fmtNumber(t.target, t.unit);
        rows.push("<tr data-id=\"" + esc(t.id) + "\">"
          + "<td>" + esc(t.label[lang]) + " (" + esc(t.year) + ")</td>"
          + "<td class=\"num\">" + esc(goal) + "</td>"
          + "<td class=\"num\">" + esc(fmtNumber(value, t.unit)) + "</td>"
          + "<td class=\"num\">" + esc(fmtNumber(t.reference_value, t.unit)) + "</td>"
          + "<td class=\"" + (ok ? "ok" : "no") + "\">"
          + (ok ? "✓" : "✗") + (status === "by assumption" ? esc(T.assumed) : "") + "</td></tr>");
        out.push({id: t.id, value: value, status: status});
      });
      tbody.innerHTML = rows.join("");
      return out;
    }
    function esc(s) {
      return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;");
    }

    function set(indices) {
      try {
        var t0 = performance.now();
        if (!Array.isArray(indices) || indices.length !== shape.length) {
          throw new Error("whatif: " + shape.length + " indices expected, got " + JSON.stringify(indices));
        }
        var ix = indices.map(function (v, i) {
          var n = parseInt(v, 10);
          if (!(n >= 0 && n < shape[i])) {
            throw new Error("whatif: index " + v + " of lever " + i + " is outside 0.." + (shape[i] - 1));
          }
          return n;
        });
        idx = ix;
        ix.forEach(function (n, i) {
          sliders[i].input.value = n;
          sliders[i].out.textContent = fmtLever(G.levers[i], G.levers[i].values[n]);
        });
        var drawn = drawCharts(ix);
        var card = drawScorecard(ix);
        section.setAttribute("data-point", ix.join(","));
        section.setAttribute("data-redraw-ms", Math.round(performance.now() - t0));
        document.getElementById("whatif-drawn").textContent =
          JSON.stringify({point: ix, charts: drawn, scorecard: card});
      } catch (e) { fail(e); }
    }
    function fromHash() {
      var m = /(?:^#|[#&])whatif=([0-9,\s]+)/.exec(location.hash || "");
      return m ? m[1].split(",").map(function (s) { return parseInt(s, 10); }) : null;
    }
    window.edusimWhatif = {
      set: set,
      current: function () {
        return {indices: idx.slice(), values: idx.map(function (n, i) { return G.levers[i].values[n]; })};
      }
    };
    window.addEventListener("hashchange", function () { var h = fromHash(); if (h) set(h); });
    set(fromHash() || idx);
    // `&slide=0:2,1:0` moves those sliders as a user would (an input event each): for tests
    var moves = /[#&]slide=([0-9:,]+)/.exec(location.hash || "");
    if (moves) {
      moves[1].split(",").forEach(function (m) {
        var p = m.split(":"), s = sliders[parseInt(p[0], 10)];
        if (!s) throw new Error("whatif: no slider " + p[0]);
        s.input.value = p[1];
        s.input.dispatchEvent(new Event("input", {bubbles: true}));
      });
    }
  } catch (e) { fail(e); }
})();
"""


def _charts(grid: dict, lang: str) -> list[dict]:
    have = {v["name"]: v for v in grid["variables"]}
    t = TEXT[lang]
    out, used = [], set()
    for key, names in CHARTS:
        present = [n for n in names if n in have]
        if not present:
            continue
        used.update(present)
        out.append({"key": key, "title": t[key], "variables": present})
    rest = [n for n in have if n not in used]
    if rest:
        out.append({"key": "other", "title": t["other"], "variables": rest})
    out = out[:MAX_CHARTS]
    for c in out:
        units = {have[n]["unit"] for n in c["variables"]}
        first = c["variables"][0]
        c["unit"] = have[first]["unit"] if len(units) == 1 else ""
        c["unitLabel"] = unit_label(first, lang) if len(units) == 1 else ""
        c["scale"] = 1.0
        if c["unit"] in ("yuan", "yuan per year"):  # money in 亿元, as the rest of the page
            c["scale"] = 1e8
            c["unitLabel"] = "亿元" if lang == "zh" else "100 million yuan"
    return out


def whatif_html(grid: dict, lang: str = "zh") -> str:
    """The what-if section (HTML with its own style, data and script); the page must load plotly.js."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}' is not offered; use one of {', '.join(TEXT)}")
    t = TEXT[lang]
    charts = _charts(grid, lang)
    shape = " × ".join(str(n) for n in grid["shape"])
    about = t["about"].format(
        runs=f"{grid['runs']:,}", shape=shape, scenario=grid["title"].get(lang, grid["scenario"])
    )
    shown = {k: v for k, v in t.items() if k != "about"}  # the script's texts
    data = {"grid": grid, "text": shown, "charts": charts, "lang": lang, "font": FONT}
    # `</` inside a script element would end it; JSON allows `<\/`
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace(
        "</", "<\\/"
    )
    esc = html.escape
    head = "".join(f"<th>{esc(t[k])}</th>" for k in ("target", "goal", "value", "ref_value", "status"))
    return f"""<section id="whatif" data-runs="{grid["runs"]}">
<style>{STYLE}</style>
<h2>{esc(t["title"])}</h2>
<p class="small">{esc(about)}</p>
<div class="wi-controls"></div>
<div class="wi-charts"></div>
<h3>{esc(t["scorecard"])}</h3>
<table class="wi-scorecard"><thead><tr>{head}</tr></thead><tbody></tbody></table>
<pre id="whatif-drawn"></pre>
<script type="application/json" id="whatif-data">{payload}</script>
<script>{SCRIPT}</script>
</section>"""
