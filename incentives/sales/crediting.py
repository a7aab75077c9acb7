"""Crediting: who is credited with which share of each deal.

* By default the deal's owner is credited with all of it (kind `owner`).
* `splits`: split rows share a deal among people; the owner keeps whatever the
  splits leave (kind `split`, and `owner` for the remainder).  Splits above
  100% are refused when the data is read.
* `overlays`: overlay rows credit a specialist alongside, without reducing
  anyone's share (kind `overlay`).
* `rollup`: every manager up the org chart is credited with what each person
  below is credited with, at the same share (kind `rollup`).

A credited deal is the deal as the payee sees it: `amount`, `margin` and
`cost` (and declared money columns) are the payee's share; `deal_amount`,
`deal_margin`, `deal_cost` (and `deal_<column>`) are the whole deal's, for
conditions that must not depend on the split; `share` and `credit` say how,
and `via` names whose credit a roll-up row carries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dsl.types import T

from incentives.errors import DataError
from .records import Sales

ONE = Decimal(1)


def credit(sales: Sales, rules: frozenset[str], fields: dict[str, T]) -> dict[str, list[dict[str, Any]]]:
    """Each person's credited deals, in deal order."""
    money = [name for name, t in fields.items() if t == T.MONEY and not name.startswith("deal_")]
    out: dict[str, list[dict[str, Any]]] = {pid: [] for pid in sales.people}
    unused = [w for rows in sales.splits.values() for _, _, k, w in rows
              if (k == "split" and "splits" not in rules) or (k == "overlay" and "overlays" not in rules)]
    if unused:
        raise DataError([f"{sales.splits_file or 'splits'}: {', '.join(unused[:5])}: the plan's `crediting` block "
                         f"does not use these rows; add `splits` or `overlays` to it, or leave the rows out"])

    def add(person: str, deal: dict[str, Any], share: Decimal, kind: str) -> None:
        row = dict(deal)
        row["share"], row["credit"] = share, kind
        for name in money:
            row[f"deal_{name}"] = deal.get(name)  # the whole deal's value, for conditions such as margin floors
            if row.get(name) is not None:
                row[name] = deal[name] * share
        out[person].append(row)
        if "rollup" in rules:
            manager = sales.people[person].manager
            while manager:
                up = dict(row)
                up["credit"], up["via"] = "rollup", person
                out[manager].append(up)
                manager = sales.people[manager].manager

    for deal in sales.deals:
        rows = sales.splits.get(deal["id"], [])
        splits = [(p, s) for p, s, k, _ in rows if k == "split"]
        if splits:
            for person, share in splits:
                add(person, deal, share, "split")
            rest = ONE - sum((s for _, s in splits), Decimal(0))
            if rest > 0:
                add(deal["owner"], deal, rest, "owner")
        else:
            add(deal["owner"], deal, ONE, "owner")
        for person, share, kind, _ in rows:
            if kind == "overlay":
                add(person, deal, share, "overlay")
    return out
