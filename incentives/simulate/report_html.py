"""The HTML report of a what-if simulation: one self-contained file, readable offline.

`render_report(summary)` takes plain data (`Simulation.report_data()` builds it: floats for the
charts, preformatted strings for the amounts in the tables) and gives one HTML page: plotly.js
embedded once, inline (no CDN, no network), one plotly chart per section, tables as plain escaped
HTML.  Amounts in the tables are shown exactly as given, never re-formatted through float.
Sections whose data is missing are skipped, saying so in one line.

`write_report(summary, path)` writes it whole (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

TOP = 20  # bars in the winners-and-losers chart
WIN, LOSE = "#00cc96", "#ef553b"  # plotly's own green and red
CONFIG = {"displaylogo": False, "responsive": True}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff;
       max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #e3e3e3; padding-bottom: .25rem; }
p.what { color: #555; margin: .3rem 0 .6rem; }
p.skip { color: #777; font-style: italic; }
nav a { margin-right: .9rem; color: #2a5db0; text-decoration: none; font-size: .92rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f6f7f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.up { color: #0a7d5a; } .down { color: #b3261e; }
ul.reasons { margin: 0; padding-left: 1.1rem; font-size: .88rem; color: #444; }
div.chart { width: 100%; height: 420px; }
.muted { color: #777; font-size: .85rem; }
"""

SECTIONS = [("cost", "Cost by scenario"), ("payouts", "Payout distribution"),
            ("attainment", "Attainment distribution"), ("curve", "Pay curve"),
            ("winners", "Winners and losers"), ("sweep", "Sweep"), ("montecarlo", "Monte Carlo")]


# ---- small pieces ----
def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _chart(div_id: str, fig: go.Figure, top: int = 30) -> str:
    """A figure's div and the script that draws it.  The figure's JSON has every `<` written as
    `\\u003c`, so no text in it (a payee id, a scenario name) can end the script or open a tag."""
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": top, "b": 50},
                      legend={"orientation": "h", "y": -0.18})
    figure = pio.to_json(fig, validate=False).replace("<", "\\u003c")
    config = json.dumps(CONFIG)
    height = int(fig.layout.height or 420)
    return (f'<div class="chart" id="{div_id}" style="height: {height}px"></div>\n'
            f'<script>(function () {{ var f = {figure};\n'
            f'Plotly.newPlot("{div_id}", f.data, f.layout, {config}); }})();</script>')


def _section(key: str, what: str, body: str) -> str:
    title = dict(SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{_e(title)}</h2>\n<p class="what">{_e(what)}</p>\n{body}\n</section>'


def _skipped(key: str, why: str) -> str:
    title = dict(SECTIONS)[key]
    return f'<section id="{key}">\n<h2>{_e(title)}</h2>\n<p class="skip">{_e(why)}</p>\n</section>'


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """Cells are HTML already (callers escape text); `numeric` columns align right."""
    cls = (lambda i: ' class="num"' if i in numeric else "")
    th = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(head))
    body = "\n".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _floats(values: Any) -> np.ndarray:
    return np.asarray(list(values or []), dtype=float)


def _shown(value: Any) -> str:
    """A value as given: a string (an exact amount) stays exactly as it is, a count is a count; only
    a float (the payout percentiles, which come as floats) is written with two decimals."""
    if value is None:
        return "-"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _position(text: Any, given: Any = None) -> float | None:
    """Where a preformatted amount (`1,500,000.00`) goes on a chart's axis (a float is fine here:
    it only places a line; the label shows the string)."""
    if isinstance(given, (int, float)):
        return float(given)
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return float(str(text).replace(",", "").replace("\u00a0", "").replace(" ", ""))
    except (TypeError, ValueError):
        return None


# ---- the sections ----
def _cost(scenarios: list[dict], currency: str) -> str:
    if not scenarios:
        return _skipped("cost", "No scenarios were given.")
    names = [str(s["name"]) for s in scenarios]
    components: list[str] = []
    for s in scenarios:
        components += [c for c in (s.get("by_component") or {}) if c not in components]
    fig = go.Figure([go.Bar(name=str(c), x=names, y=[float((s.get("by_component") or {}).get(c, 0.0))
                                                        for s in scenarios]) for c in components])
    if not components:
        fig.add_bar(name="total", x=names, y=[float(s.get("total_value") or 0.0) for s in scenarios])
    fig.update_layout(barmode="stack", yaxis_title=f"cost ({currency})", xaxis={"type": "category"})
    rows = []
    for s in scenarios:
        pct = s.get("payout_percentiles") or {}
        rows.append([_e(s["name"]), _e(_shown(s.get("total"))), _e(_shown(s.get("cost_of_sales"))),
                     _e(s.get("payees", "-"))] + [_e(_shown(pct.get(p))) for p in ("p10", "p50", "p90")])
    table = _table(["Scenario", f"Total ({currency})", "Cost of sales", "Payees", "P10 payout", "P50 payout",
                    "P90 payout"], rows, {1, 2, 3, 4, 5, 6})
    return _section("cost", "What each scenario costs in all, stacked by plan component.",
                    _chart("chart-cost", fig) + "\n" + table)


def _payouts(scenarios: list[dict], currency: str) -> str:
    given = [(str(s["name"]), _floats(s.get("payouts"))) for s in scenarios]
    given = [(n, v) for n, v in given if v.size]
    if not given:
        return _skipped("payouts", "No payouts per payee were given.")
    fig = go.Figure([go.Histogram(name=n, x=v, opacity=0.6, nbinsx=40) for n, v in given])
    fig.update_layout(barmode="overlay", xaxis_title=f"payout per payee ({currency})", yaxis_title="payees")
    return _section("payouts", "How many payees are paid how much, each scenario overlaid on the others.",
                    _chart("chart-payouts", fig))


def _attainment(scenarios: list[dict]) -> str:
    given: list[tuple[str, np.ndarray]] = []
    for s in scenarios:
        values = _floats(s.get("attainments"))
        if values.size and not any(v.shape == values.shape and np.array_equal(v, values) for _, v in given):
            given.append((str(s["name"]), values))
    if not given:
        return _skipped("attainment", "No attainments were given (the plan has no revenue and quota to divide).")
    fig = go.Figure([go.Histogram(name=n, x=v, opacity=0.6, nbinsx=40) for n, v in given])
    fig.update_layout(barmode="overlay", xaxis={"title": "attainment (revenue / quota)", "tickformat": ".0%"},
                      yaxis_title="payees", showlegend=len(given) > 1)
    return _section("attainment", "How the payees' attainments are spread (scenarios that change them overlaid).",
                    _chart("chart-attainment", fig))


def _curve(curve: dict | None, currency: str) -> str:
    if not curve or not curve.get("attainment") or not curve.get("series"):
        return _skipped("curve", "No pay curve: the plan has no revenue and quota to vary.")
    x = _floats(curve["attainment"])
    fig = go.Figure([go.Scatter(name=str(n), x=x, y=_floats(ys), mode="lines", line={"dash": "dash" if i else "solid"})
                     for i, (n, ys) in enumerate(curve["series"].items())])  # dashed: a line over the baseline
    fig.update_layout(xaxis={"title": "attainment", "tickformat": ".0%"}, yaxis_title=f"payout ({currency})",
                      hovermode="x unified")
    return _section("curve", "What a typical payee would be paid at each attainment, under each scenario "
                    "(scenarios dashed, so the baseline shows where they agree).",
                    _chart("chart-curve", fig))


def _winners(changes: list[dict], against: str, currency: str) -> str:
    if not changes:
        return _skipped("winners", "No payee's pay changed (or there is no scenario to compare).")
    top = sorted(changes, key=lambda c: -abs(float(c.get("difference_value") or 0.0)))[:TOP]
    top.reverse()  # the biggest change at the top of a horizontal bar chart
    values = [float(c.get("difference_value") or 0.0) for c in top]
    fig = go.Figure(go.Bar(x=values, y=[str(c["payee"]) for c in top], orientation="h",
                           marker_color=[WIN if v >= 0 else LOSE for v in values],
                           customdata=[c.get("difference", "") for c in top],
                           hovertemplate="%{y}: %{customdata}<extra></extra>"))
    fig.update_layout(xaxis_title=f"difference ({currency})", yaxis={"type": "category", "automargin": True},
                      height=max(300, 24 * len(top) + 100))
    rows = []
    for c in changes:
        diff = str(c.get("difference", ""))
        klass = "down" if diff.startswith("-") else "up"
        reasons = "".join(f"<li>{_e(r)}</li>" for r in c.get("reasons") or [])
        rows.append([_e(c["payee"]), _e(_shown(c.get("baseline"))), _e(_shown(c.get("scenario"))),
                     f'<span class="{klass}">{_e(diff)}</span>',
                     f'<ul class="reasons">{reasons}</ul>' if reasons else '<span class="muted">-</span>'])
    table = _table(["Payee", f"Baseline ({currency})", f"{against} ({currency})", "Difference", "Why"], rows,
                   {1, 2, 3})
    what = (f"The {len(top)} biggest changes in pay under {against}, against the baseline; "
            f"every payee whose pay changed ({len(changes)}) is in the table below, with the reasons.")
    return _section("winners", what, _chart("chart-winners", fig) + "\n" + table)


def _sweep(sweep: dict | None, currency: str) -> str:
    if not sweep or not sweep.get("x") or not sweep.get("cost"):
        return _skipped("sweep", "No sweep was run.")
    x_label = str(sweep.get("x_label") or (sweep.get("parameters") or ["x"])[0])
    if sweep.get("y"):
        y_label = str(sweep.get("y_label") or sweep["parameters"][1])
        fig = go.Figure(go.Heatmap(x=_floats(sweep["x"]), y=_floats(sweep["y"]),
                                   z=np.asarray(sweep["cost"], dtype=float), colorbar={"title": {"text": currency}},
                                   hovertemplate=f"{x_label} %{{x}}<br>{y_label} %{{y}}<br>cost %{{z:,.2f}}"
                                                 "<extra></extra>"))
        fig.update_layout(xaxis_title=x_label, yaxis_title=y_label)
        what = f"The plan's total cost over a grid of {x_label} and {y_label} (darker: cheaper, brighter: dearer)."
    else:
        fig = go.Figure(go.Scatter(x=_floats(sweep["x"]), y=_floats(sweep["cost"]), mode="lines+markers",
                                   name="cost"))
        fig.update_layout(xaxis_title=x_label, yaxis_title=f"total cost ({currency})")
        what = f"The plan's total cost as {x_label} varies, everything else as in the baseline."
    return _section("sweep", what, _chart("chart-sweep", fig))


def _monte_carlo(mc: dict | None, currency: str) -> str:
    if not mc or not mc.get("costs"):
        return _skipped("montecarlo", "No Monte Carlo simulation was run.")
    fig = go.Figure(go.Histogram(x=_floats(mc["costs"]), nbinsx=50, name="cost of a period"))
    lines = [("P50", mc.get("p50"), mc.get("p50_value"), "#444", "dash"),
             ("P90", mc.get("p90"), mc.get("p90_value"), "#444", "dot"),
             ("budget", mc.get("budget"), mc.get("budget_value"), LOSE, "solid")]
    for label, text, value, colour, dash in lines:
        at = _position(text, value) if text is not None or value is not None else None
        if at is not None:
            fig.add_vline(x=at, line={"color": colour, "dash": dash, "width": 2},
                          annotation_text=f"{label} {_shown(text) if text is not None else f'{at:,.2f}'}",
                          annotation_position="top")
    fig.update_layout(xaxis_title=f"total cost of a period ({currency})", yaxis_title="draws", showlegend=False)
    facts = [("Draws", mc.get("draws")), ("Expected cost", mc.get("expected")), ("P50", mc.get("p50")),
             ("P90", mc.get("p90")), ("Budget", mc.get("budget")), ("Chance over budget", mc.get("chance_over_budget")),
             ("Seed", mc.get("seed")), ("Attainments drawn from", mc.get("distribution"))]
    table = _table(["Figure", "Value"], [[_e(k), _e(_shown(v))] for k, v in facts if v is not None], {1})
    what = (f"The total cost over {mc.get('draws', len(mc['costs']))} simulated periods, with lines at the "
            "median (P50), P90" + (" and the budget." if mc.get("budget") is not None else "."))
    return _section("montecarlo", what, _chart("chart-montecarlo", fig, top=60) + "\n" + table)


# ---- the page ----
def render_report(summary: dict) -> str:
    """The whole report: one HTML page with plotly.js inline (works offline, from a file)."""
    currency = str(summary.get("currency") or "")
    scenarios = list(summary.get("scenarios") or [])
    against = str(scenarios[1]["name"]) if len(scenarios) > 1 else "scenario"
    title = str(summary.get("title") or "Simulation report")
    sections = [_cost(scenarios, currency), _payouts(scenarios, currency), _attainment(scenarios),
                _curve(summary.get("pay_curve"), currency),
                _winners(list(summary.get("winners_losers") or []), against, currency),
                _sweep(summary.get("sweep"), currency), _monte_carlo(summary.get("monte_carlo"), currency)]
    nav = "".join(f'<a href="#{key}">{_e(name)}</a>' for key, name in SECTIONS)
    names = ", ".join(str(s["name"]) for s in scenarios[1:]) or "none"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{STYLE}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>', "</head>", "<body>",
        f"<h1>{_e(title)}</h1>",
        (f'<p class="muted">Amounts in {_e(currency or "the plan currency")}. '
         f"Scenarios against the baseline: {_e(names)}.</p>"),
        f"<nav>{nav}</nav>", *sections, "</body>", "</html>", ""])


def write_report(summary: dict, path: str | Path) -> Path:
    """Write the report whole: a temporary file beside `path`, then a rename over it."""
    path = Path(path)
    text = render_report(summary)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
