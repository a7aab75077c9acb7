"""The HTML report of a simulation (incentives.simulate.report_html): one self-contained page, readable
offline, with plotly charts and escaped tables; and, in Debian's headless chromium, a page that really draws
its charts (a screenshot, read back pixel by pixel).

The browser test is skipped, with the reason, only when chromium cannot be found or does not start
(Debian: `apt-get install chromium`; `.ci/run` installs it), as in tests/service/test_browser.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from incentives.simulate.report_html import render_report, write_report

HEADINGS = ("Cost by scenario", "Payout distribution", "Attainment distribution", "Pay curve",
            "Winners and losers", "Sweep", "Monte Carlo")
EVIL = "<script>alert(1)</script>"
SCREENSHOT_SECONDS = 60  # for chromium to start, draw and write one screenshot
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2400",
         "--virtual-time-budget=5000", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-proxy-server", "--mute-audio",
         "--host-resolver-rules=MAP * ~NOTFOUND")  # no host resolves: the page must draw with no network at all
PLOTLY_BLUE = (0x63, 0x6E, 0xFA)  # #636efa, plotly's first default colour: the baseline's commission bars


def full_summary() -> dict:
    """A summary with every section, as Simulation.report_data() gives it (seeded, so the same every run)."""
    rng = np.random.default_rng(20261122)
    attainment = rng.lognormal(0.0, 0.3, 500)
    scenario = {"name": "baseline", "total": "1,234,567.00", "total_value": 1234567.0,
                "by_component": {"commission": 1000000.0, "kicker": 234567.0}, "cost_of_sales": "8.2%",
                "payees": 500, "payout_percentiles": {"p10": 100.0, "p50": 900.0, "p90": 3000.0},
                "payouts": (attainment * 1000).tolist(), "attainments": attainment.tolist()}
    raised = dict(scenario, name="top rate 22%", total="1,334,567.01", total_value=1334567.01,
                  by_component={"commission": 1080000.01, "kicker": 254567.0}, cost_of_sales="8.9%",
                  payouts=(attainment * 1100).tolist())
    changes = []
    for i in range(30):
        up = i < 24
        changes.append({"payee": EVIL if i == 3 else f"AE-{i}", "baseline": "1,000.00",
                        "scenario": f"{1400 - 10 * i:,}.00" if up else f"{990 - i}.00",
                        "difference": f"+{400 - 10 * i}.00" if up else f"-{10 + i}.00",
                        "difference_value": float(400 - 10 * i) if up else -float(10 + i),
                        "reasons": [f"commission, line 18 (tiers marginal): 800.00 -> 1,200.00 (+400.00) {EVIL}"]})
    return {
        "title": "Raise the top rate: account_executive.plan", "currency": "USD", "scenarios": [scenario, raised],
        "pay_curve": {"attainment": [i * 0.05 for i in range(41)],
                      "series": {"baseline": [i * 50.0 for i in range(41)],
                                 "top rate 22%": [i * 50.0 if i < 20 else i * 60.0 - 200 for i in range(41)]}},
        "winners_losers": changes,
        "sweep": {"parameters": ["top_rate", "quota x"], "x": [0.1, 0.15, 0.2, 0.25], "y": [0.9, 1.0, 1.1],
                  "cost": [[1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0]],
                  "x_label": "top_rate", "y_label": "quota x"},
        "monte_carlo": {"draws": 400, "costs": rng.lognormal(14.0, 0.1, 400).tolist(), "expected": "1,300,000.00",
                        "p50": "1,200,000.00", "p90": "1,400,000.00", "budget": "1,500,000.00",
                        "chance_over_budget": "12.3%", "seed": 7,
                        "distribution": "lognormal fitted to the data (mu 0.01, sigma 0.32)"},
    }


def full_summary_page() -> str:
    return render_report(full_summary())


def figure(page: str, chart: str) -> dict:
    """The plotly figure (data and layout) a chart's script draws, read back from the page."""
    match = re.search(r"var f = (\{.*\});\nPlotly\.newPlot\(\"chart-" + chart + '"', page)
    assert match, f"no chart {chart}"
    return json.loads(match.group(1))


# ---- the page itself ----
def test_the_report_is_self_contained_and_complete():
    page = render_report(full_summary())
    assert not re.search(r"(?i)<script\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page), "a script from the network"
    assert not re.search(r"(?i)<link\b[^>]*https?:", page), "a stylesheet or other link points to the network"
    plotly_js = get_plotlyjs()
    assert page.count(plotly_js[:300]) == 1 and plotly_js in page, "plotly.js is not inline exactly once"
    # Outside plotly.js (whose code holds links to plotly's site, shown only if clicked), nothing refers to
    # the network at all, and no script is loaded from anywhere.
    ours = page.replace(plotly_js, "")
    assert not re.search(r"(?i)<script\b[^>]*\bsrc\s*=", ours)
    assert not re.search(r"(?i)https?:|(src|href)\s*=\s*[\"']?//", ours), "something refers to the network"
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page, heading
    for chart in ("cost", "payouts", "attainment", "curve", "winners", "sweep", "montecarlo"):
        assert page.count(f'Plotly.newPlot("chart-{chart}"') == 1, chart
    assert 'class="skip"' not in page
    # Amounts exactly as given, never through float (1,334,567.01 would not survive a float of dollars).
    for amount in ("1,234,567.00", "1,334,567.01", "8.9%", "+400.00", "-39.00", "1,500,000.00", "12.3%"):
        assert amount in page, amount
    assert "lognormal fitted to the data (mu 0.01, sigma 0.32)" in page


def test_text_from_the_data_is_escaped_in_tables_and_charts():
    page = render_report(full_summary())
    assert EVIL not in page, "a payee id or a reason reached the page unescaped"
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page  # the winners table's payee cell
    assert "(+400.00) &lt;script&gt;" in page  # a reason
    # The chart's data holds the payee id as it is, written with `<` escaped in its JSON.
    assert figure(page, "winners")["data"][0]["y"][-4] == EVIL


def test_sections_without_data_are_skipped_saying_so():
    summary = full_summary()
    for scenario in summary["scenarios"]:
        scenario["attainments"] = []
    summary.update(pay_curve=None, winners_losers=[], sweep=None, monte_carlo=None)
    page = render_report(summary)
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page, heading
    assert page.count('<p class="skip">') == 5
    assert "No sweep was run." in page and "No Monte Carlo simulation was run." in page
    for chart in ("attainment", "curve", "winners", "sweep", "montecarlo"):
        assert f"chart-{chart}" not in page
    assert 'Plotly.newPlot("chart-cost"' in page and 'Plotly.newPlot("chart-payouts"' in page


def test_a_one_parameter_sweep_is_a_line_and_a_monte_carlo_without_budget_has_no_budget_line():
    summary = full_summary()
    summary["sweep"] = {"parameters": ["top_rate"], "x": [0.1, 0.2, 0.3], "y": None, "cost": [1.0, 2.0, 3.5],
                        "x_label": "top_rate", "y_label": None}
    summary["monte_carlo"].update(budget=None, chance_over_budget=None)
    page = render_report(summary)
    assert [trace["type"] for trace in figure(page, "sweep")["data"]] == ["scatter"]
    assert [trace["type"] for trace in figure(full_summary_page(), "sweep")["data"]] == ["heatmap"]
    monte_carlo = page[page.index('<section id="montecarlo">'):]
    assert "P90 1,400,000.00" in monte_carlo and "budget 1" not in monte_carlo
    assert "Chance over budget" not in monte_carlo


def test_write_report_writes_the_whole_file_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "report.html"
    target.write_text("an older report")
    assert write_report(full_summary(), target) == target
    assert target.read_text(encoding="utf-8") == render_report(full_summary())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# ---- in a browser ----
def png_pixels(data: bytes) -> np.ndarray:
    """An 8-bit RGB or RGBA PNG (what chromium writes) as a height x width x channels array: the chunks,
    zlib, and the five PNG row filters undone (None, Sub and Up with numpy; Average and Paeth byte by
    byte, as each byte depends on the one decoded to its left)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
    at, idat, header = 8, bytearray(), None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data[at + 8:at + 8 + length])
        elif kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(bytes(idat)), np.uint8).reshape(height, 1 + stride)
    out = np.zeros((height, stride), np.uint8)
    previous = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = int(raw[y, 0]), raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:
            row = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:
            row = line + previous
        elif kind in (3, 4):
            f, up, r = line.tolist(), previous.tolist(), [0] * stride
            for i in range(stride):
                left, corner = (r[i - bpp], up[i - bpp]) if i >= bpp else (0, 0)
                if kind == 3:
                    r[i] = (f[i] + ((left + up[i]) >> 1)) & 255
                else:
                    p = left + up[i] - corner
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - corner)
                    r[i] = (f[i] + (left if pa <= pb and pa <= pc else up[i] if pb <= pc else corner)) & 255
            row = np.array(r, np.uint8)
        else:
            raise AssertionError(f"unknown PNG filter {kind} in row {y}")
        out[y] = previous = row
    return out.reshape(height, width, bpp)[:, :, :3]


def start_screenshot(executable: str, page: Path, out: Path, profile: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                                 page.as_uri()], stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                start_new_session=True)


def finish(process: subprocess.Popen) -> None:
    """Wait for one chromium we started; end it and its helpers (its own process group) if it hangs."""
    try:
        process.wait(SCREENSHOT_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            continue


def near(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    return int((np.abs(pixels.astype(np.int16) - np.array(colour)) <= tolerance).all(axis=2).sum())


def test_the_report_draws_its_charts_in_a_browser_offline(tmp_path: Path):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium not found on PATH (Debian: apt-get install chromium)")
    page = write_report(full_summary(), tmp_path / "report.html")
    # The same page without plotly.js: its charts' scripts fail, so no chart may be drawn.  This is what the
    # screenshot check must tell apart from the real page (or it would pass on a page of text alone).
    plotly_tag = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    text = page.read_text(encoding="utf-8")
    assert text.count(plotly_tag) == 1
    bare = tmp_path / "bare.html"
    bare.write_text(text.replace(plotly_tag, ""), encoding="utf-8")

    runs = {}
    for name, html in (("report", page), ("bare", bare)):  # both at once: the test takes one browser's time
        shot, log = tmp_path / f"{name}.png", tmp_path / f"{name}.log"
        runs[name] = (shot, log, start_screenshot(executable, html, shot, tmp_path / f"profile-{name}", log))
    for _, _, process in runs.values():
        finish(process)
    for name, (shot, log, process) in runs.items():
        if not shot.exists() or shot.stat().st_size == 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            pytest.skip(f"chromium ({executable}) wrote no screenshot of {name}.html "
                        f"(exit {process.returncode}): " + " | ".join(tail))

    drawn, blank = (png_pixels(runs[name][0].read_bytes()) for name in ("report", "bare"))
    assert drawn.shape == blank.shape == (2400, 1200, 3)

    def colours(pixels: np.ndarray) -> int:
        return len(np.unique(pixels.reshape(-1, 3).astype(np.uint32) @ np.array([65536, 256, 1], np.uint32)))

    def inked(pixels: np.ndarray) -> float:  # the share of pixels that are not white or near-white
        return float((pixels.min(axis=2) < 235).mean())

    # The real page: charts in many colours, plotly's blue commission bars, a good share of the page drawn on.
    assert colours(drawn) > 1000, f"only {colours(drawn)} colours: the page looks blank or text only"
    assert near(drawn, PLOTLY_BLUE) > 20_000, "the cost chart's bars (#636efa) are not drawn"
    assert inked(drawn) > 0.10, f"only {inked(drawn):.1%} of the page is drawn on"
    # Without plotly.js: headings, tables and text only; no bars, far less ink.
    assert near(blank, PLOTLY_BLUE) < 100, "bars drawn without plotly.js? the check cannot tell a chart"
    assert inked(blank) < inked(drawn) / 2 and colours(blank) < colours(drawn)
