"""What changed between two breakdowns of a payee, line by line: the reasons behind a difference.

Works on breakdowns as JSON (`incentives.breakdown/1`, what `incentives run --explain --format json`
writes and `render_json` gives), so the same diff answers "what does the scenario change for this
rep" and "why did my pay change between two periods" (`incentives diff A.json B.json`).  Amounts are
compared as exact decimals from the JSON text, never as floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from incentives.engine import numbers

ZERO = Decimal(0)


@dataclass
class PayeeDiff:
    payee: str
    before: Decimal | None  # None: not in the first run
    after: Decimal | None  # None: not in the second run
    reasons: list[str] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return (self.after or ZERO) - (self.before or ZERO)


def _money(text: Any, digits: int) -> str:
    return numbers.money(Decimal(str(text)), digits) if text is not None else "-"


def _signed(d: Decimal, digits: int) -> str:
    return ("+" if d > 0 else "") + numbers.money(d, digits)


def _where(item: dict) -> str:
    where = item.get("where") or {}
    return f"line {where['line']}" if where.get("line") else ""


def _digits(b: dict) -> int:
    total = str(b.get("total", "0"))
    return len(total.partition(".")[2]) if "." in total else 0


def _values(b: dict, key: str) -> dict[str, dict]:
    return {v["name"]: v for v in b.get(key) or []}


def diff_breakdowns(a: dict, b: dict) -> list[str]:
    """The reasons two breakdowns of one payee differ, most specific first: the inputs, measures and
    definitions whose values changed, then every line whose amount changed (component, line number,
    kind, before -> after, difference), then awards, the payout block, and the plan if it changed."""
    digits = max(_digits(a), _digits(b))
    out: list[str] = []
    if a.get("plan", {}).get("file") != b.get("plan", {}).get("file"):
        out.append(f"plan: {a.get('plan', {}).get('file')} -> {b.get('plan', {}).get('file')}")
    for key in ("inputs", "measures", "definitions"):
        va, vb = _values(a, key), _values(b, key)
        for name in dict.fromkeys([*va, *vb]):
            x, y = va.get(name), vb.get(name)
            if (x or {}).get("value") != (y or {}).get("value"):
                out.append(f"{name}: {(x or {}).get('shown', '-')} -> {(y or {}).get('shown', '-')}")
    ca = {c["name"]: c for c in a.get("components") or []}
    cb = {c["name"]: c for c in b.get("components") or []}
    for name in dict.fromkeys([*ca, *cb]):
        x, y = ca.get(name), cb.get(name)
        if x is None or y is None:
            out.append(f"{name}: {'new' if x is None else 'gone'} ({_money((y or x)['amount'], digits)})")
            continue
        if Decimal(x["amount"]) == Decimal(y["amount"]) and len(x["items"]) == len(y["items"]):
            continue
        lines = False
        for i in range(max(len(x["items"]), len(y["items"]))):
            p = x["items"][i] if i < len(x["items"]) else None
            q = y["items"][i] if i < len(y["items"]) else None
            pa, qa = Decimal(p["amount"]) if p else ZERO, Decimal(q["amount"]) if q else ZERO
            if pa != qa:
                item = q or p
                label = f" \"{item['label']}\"" if item.get("label") else ""
                out.append(f"{name}, {_where(item)} ({item['kind']}{label}): {_money(pa, digits)} -> "
                           f"{_money(qa, digits)} ({_signed(qa - pa, digits)})")
                lines = True
        if not lines:
            d = Decimal(y["amount"]) - Decimal(x["amount"])
            out.append(f"{name}: {_money(x['amount'], digits)} -> {_money(y['amount'], digits)} ({_signed(d, digits)})")
    aw_a = {w["name"]: w for w in a.get("awards") or []}
    aw_b = {w["name"]: w for w in b.get("awards") or []}
    for name in dict.fromkeys([*aw_a, *aw_b]):
        x, y = aw_a.get(name, {}), aw_b.get(name, {})
        if x.get("granted") != y.get("granted"):
            out.append(f"award {name}: {'granted' if y.get('granted') else 'not granted'} now "
                       f"({'granted' if x.get('granted') else 'not granted'} before)")
    adj_a, adj_b = a.get("adjustments") or [], b.get("adjustments") or []
    for i in range(max(len(adj_a), len(adj_b))):
        p = adj_a[i] if i < len(adj_a) else None
        q = adj_b[i] if i < len(adj_b) else None
        pa, qa = Decimal(p["amount"]) if p else ZERO, Decimal(q["amount"]) if q else ZERO
        if pa != qa:
            item = q or p
            out.append(f"payout, {_where(item)} ({item['kind']}): {_money(pa, digits)} -> {_money(qa, digits)} "
                       f"({_signed(qa - pa, digits)})")
    return out


def diff_runs(first: list[dict], second: list[dict]) -> list[PayeeDiff]:
    """Every payee whose total or breakdown differs between two runs (lists of breakdowns), biggest
    difference first (then by id); payees in only one run are listed too."""
    a = {b["payee"]: b for b in first}
    b = {x["payee"]: x for x in second}
    out = []
    for payee in dict.fromkeys([*a, *b]):
        x, y = a.get(payee), b.get(payee)
        if x is None or y is None:
            out.append(PayeeDiff(payee, Decimal(x["total"]) if x else None, Decimal(y["total"]) if y else None,
                                 ["not in the first run" if x is None else "not in the second run"]))
            continue
        reasons = diff_breakdowns(x, y)
        if reasons or Decimal(x["total"]) != Decimal(y["total"]):
            out.append(PayeeDiff(payee, Decimal(x["total"]), Decimal(y["total"]), reasons))
    out.sort(key=lambda d: (-abs(d.difference), d.payee))
    return out
