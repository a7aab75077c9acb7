"""Periods written as text: `2026`, `2026-H1`, `2026-Q3`, `2026-03`, `2026-W05` or `2026-01-01..2026-02-28`.

Used by the CLI's `--period` and by plan examples (`period "2026-Q1"`).
"""

from __future__ import annotations

import datetime as dt
import re

FORMS = "2026, 2026-H1, 2026-Q3, 2026-03, 2026-W05 (ISO week) or 2026-01-01..2026-02-28"


def period_bounds(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period; ValueError naming the accepted forms."""
    t = text.strip()
    try:
        if ".." in t:
            a, b = t.split("..", 1)
            start, end = dt.date.fromisoformat(a.strip()), dt.date.fromisoformat(b.strip())
        elif re.fullmatch(r"\d{4}", t):
            start, end = dt.date(int(t), 1, 1), dt.date(int(t), 12, 31)
        elif m := re.fullmatch(r"(\d{4})-([QH])([1-4])", t, re.I):
            year, kind, n = int(m.group(1)), m.group(2).upper(), int(m.group(3))
            months = 3 if kind == "Q" else 6
            if kind == "H" and n > 2:
                raise ValueError
            first = (n - 1) * months + 1
            start, end = dt.date(year, first, 1), month_end(year, first + months - 1)
        elif m := re.fullmatch(r"(\d{4})-W(\d{2})", t, re.I):  # an ISO week, Monday to Sunday
            start = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            end = start + dt.timedelta(days=6)
        elif m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            start = dt.date(int(m.group(1)), int(m.group(2)), 1)
            end = month_end(start.year, start.month)
        else:
            raise ValueError
    except ValueError:
        raise ValueError(f"period `{text}`: expected {FORMS}") from None
    if end < start:
        raise ValueError(f"period `{text}` ends before it starts")
    return start, end


def month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
