"""Deals and crediting in columns: who is credited with which share of each deal.

The rules are `incentives.sales.crediting`'s: the owner gets a whole deal unless split rows share
it (the owner keeps what the splits leave), overlays credit a specialist alongside, and a
roll-up credits every manager up the chain with each row below.  Credited rows are arrays (the
deal's row, the payee's row, the share, the kind), and money columns are the payee's share of
the deal (`deal_<name>` the whole deal's), as the row run's credited deals are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dsl.types import T
from incentives.engine import ir
from incentives.errors import DataError, Problem

from . import values as V
from .expr import Frame, Unsupported, constant
from .tables import _array, numeric_column
from .values import Day, Flag, Num, Text, Value

KINDS = ("owner", "split", "overlay", "rollup")
OWNER, SPLIT, OVERLAY, ROLLUP = range(4)
DEFAULTS = {"status": "won", "product": "", "product_line": "", "customer": "", "new_customer": False,
            "currency": None}


@dataclass
class Deals:
    n: int
    columns: dict[str, Value]
    ids: pa.Array
    owner: np.ndarray  # row of the owner in the people table
    dates: pa.Array

    @property
    def order(self) -> np.ndarray:
        """Each record's place in date order, then id: the order running totals take (worked out once,
        only for a plan with running totals)."""
        got = self.__dict__.get("_order")
        if got is None:
            by_date = pc.sort_indices(pa.table({"date": self.dates.cast(pa.date32()), "id": self.ids}),
                                      sort_keys=[("date", "ascending"), ("id", "ascending")]).to_numpy()
            got = np.empty(self.n, dtype=np.int64)
            got[by_date] = np.arange(self.n)
            self.__dict__["_order"] = got
        return got


def _column(arr: pa.Array, name: str, t: T, optional: bool = False) -> Value:
    """A deal (or activity) column.  An optional column's empty cells are its bad rows: the row
    evaluator stops on reading one (only `is missing` may look at it), so `IsMissing` reads them."""
    missing = None
    if arr.null_count:
        if not optional and name not in DEFAULTS:
            raise Unsupported(None, f"records with no `{name}` (the data loaders name them)")
        if optional:
            missing = arr.is_null().to_numpy(zero_copy_only=False)
    if t in (T.MONEY, T.NUMBER, T.PERCENT, T.COUNT):
        col, odd = numeric_column(arr.fill_null(0) if missing is not None else arr, name)
        if odd.any():
            raise Unsupported(None, f"a `{name}` that does not fit int64")
        return V.with_bad(col, missing)
    if missing is not None:
        if t == T.DATE:
            arr = arr.cast(pa.date32()).cast(pa.int32()).fill_null(0)
            return Day(arr.to_numpy(zero_copy_only=False).astype(np.int64), missing)
        if t == T.BOOL:
            return Flag(arr.fill_null(False).to_numpy(zero_copy_only=False).astype(bool), missing)
        return Text(np.asarray(arr.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False), dtype=object),
                    missing)
    if t == T.DATE:
        return Day(arr.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64))
    if t == T.BOOL:
        return Flag(arr.fill_null(DEFAULTS.get(name, False)).to_numpy(zero_copy_only=False).astype(bool))
    a = arr.cast(pa.string())
    if name in DEFAULTS and DEFAULTS[name] is not None:
        a = a.fill_null(DEFAULTS[name])
    return Text(np.asarray(a.to_numpy(zero_copy_only=False), dtype=object))


def read_deals(plan: ir.Plan, table: pa.Table, people: pa.Array) -> Deals:
    return read_records(plan, table, people, "deals", ("id", "owner", "amount", "date"), plan.deal_fields,
                        plan.deal_columns, plan.deal_field_infos)


def read_activities(plan: ir.Plan, table: pa.Table, people: pa.Array) -> Deals:
    return read_records(plan, table, people, "activities", ("id", "owner", "date", "type"), plan.activity_fields,
                        plan.activity_columns, plan.activity_field_infos)


def read_records(plan: ir.Plan, table: pa.Table, people: pa.Array, what: str, required: tuple[str, ...],
                 fields: dict[str, T], used, infos: dict) -> Deals:
    """Deals or activities: their columns, and each record's owner as a row of the people table."""
    names = table.column_names
    missing = [c for c in required if c not in names]
    if missing:
        raise DataError([Problem(f"{what}: missing column `{missing[0]}`", code="data", field=missing[0])])
    ids = _array(table.column("id")).cast(pa.string())
    owners = _array(table.column("owner")).cast(pa.string())
    owner = _rows_of(owners, people)
    if (owner < 0).any():
        i = int(np.flatnonzero(owner < 0)[0])
        raise DataError([Problem(f"{what}: row {i + 1}, column owner: no person with id `{owners[i].as_py()}`",
                                 code="data", field="owner")])
    columns: dict[str, Value] = {}
    for name, t in fields.items():
        if name in ("credit", "share", "owner", "id") or name.startswith("deal_"):
            continue
        if name not in used and not (name == "currency" and what == "deals"):
            continue  # a column the plan does not read (reversal_date, say) is not read here either
        if name in names:
            info = infos.get(name)
            default = info is not None and info.has_default and name not in plan.optional_columns
            col = _column(_array(table.column(name)), name, t, name in plan.optional_columns or default)
            if default and col.bad is not None:  # empty cells take the declared default
                col = V.where(np.asarray(col.bad), constant(info.default), V.without_bad(col))
            columns[name] = col
        elif name in DEFAULTS and DEFAULTS[name] is not None:
            columns[name] = constant(DEFAULTS[name])
        elif name in used:
            info = infos.get(name)
            if info is not None and info.has_default:
                columns[name] = constant(info.default)
            else:
                raise Unsupported(None, f"{what} with no `{name}` column")
    currency = columns.get("currency") if what == "deals" else None
    if isinstance(currency, Text) and np.any((currency.a != plan.currency) & (currency.a != "") &
                                             (currency.a != None)):
        raise Unsupported(None, "deals in another currency")
    if plan.deal_columns & {"id", "owner"} or plan.activity_columns & {"id", "owner"}:
        columns["id"] = Text(np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object))
        columns["owner"] = Text(np.asarray(pc.utf8_trim_whitespace(owners).to_numpy(zero_copy_only=False),
                                           dtype=object))
    return Deals(len(ids), columns, ids, owner, _array(table.column("date")))


def _rows_of(keys: pa.Array, values: pa.Array) -> np.ndarray:
    """The row of each key in values (-1 where there is none): hash joins, no Python loop.  The keys
    are dictionary-encoded first: a million deals name a few thousand owners, looked up once each."""
    encoded = keys.dictionary_encode()
    found = pc.index_in(pc.utf8_trim_whitespace(encoded.dictionary), value_set=values).fill_null(-1).to_numpy(zero_copy_only=False)
    return found.astype(np.int64)[encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)] if len(found) else \
        np.full(len(keys), -1, dtype=np.int64)


@dataclass
class Credited:
    n: int
    deal: np.ndarray  # row in the deals table
    payee: np.ndarray  # row in the people table
    share: Num
    kind: np.ndarray  # int8 codes into KINDS: owner, split, overlay, rollup
    deals: Deals


def owned(records: Deals) -> Credited:
    """Activities: each credited to its owner only."""
    n = records.n
    return Credited(n, np.arange(n), records.owner, Num(np.ones(n, dtype=np.int64), 0),
                    np.full(n, OWNER, dtype=np.int8), records)


def credit(plan: ir.Plan, deals: Deals, splits: pa.Table | None, people: pa.Array, org) -> Credited:
    rules = plan.crediting
    deal_rows, payees, shares, kinds = [], [], [], []
    split_deals = np.zeros(deals.n, dtype=bool)
    one = Num(np.int64(1), 0)
    if splits is not None and splits.num_rows:
        kind = np.asarray(_array(splits.column("kind")).cast(pa.string()).fill_null("split")
                          .to_numpy(zero_copy_only=False), dtype=object) if "kind" in splits.column_names \
            else np.full(splits.num_rows, "split", dtype=object)
        unused = (kind == "split") & ("splits" not in rules) | (kind == "overlay") & ("overlays" not in rules)
        if unused.any():
            raise DataError([Problem("splits: the plan's `crediting` block does not use these rows; add `splits` "
                                     "or `overlays` to it, or leave the rows out", code="data")])
        d = _rows_of(_array(splits.column("deal")).cast(pa.string()), deals.ids)
        who = _rows_of(_array(splits.column("person")).cast(pa.string()), people)
        if (d < 0).any() or (who < 0).any():
            raise Unsupported(None, "split rows naming an unknown deal or person (the row run names them)")
        share, odd = numeric_column(_array(splits.column("share")), "share")
        if odd.any():
            raise Unsupported(None, "split shares that do not fit int64")
        is_split = kind == "split"
        split_deals[d[is_split]] = True
        deal_rows.append(d[is_split])
        payees.append(who[is_split])
        shares.append(Num(np.asarray(share.v)[is_split], share.scale))
        kinds.append(np.full(int(is_split.sum()), SPLIT, dtype=np.int8))
        taken = np.zeros(deals.n, dtype=np.int64)
        np.add.at(taken, d[is_split], np.asarray(share.v)[is_split])
        rest = V.TEN[share.scale] - taken
        remainder = split_deals & (rest > 0)
        deal_rows.append(np.flatnonzero(remainder))
        payees.append(deals.owner[remainder])
        shares.append(Num(rest[remainder], share.scale))
        kinds.append(np.full(int(remainder.sum()), OWNER, dtype=np.int8))
        over = kind == "overlay"
        deal_rows.append(d[over])
        payees.append(who[over])
        shares.append(Num(np.asarray(share.v)[over], share.scale))
        kinds.append(np.full(int(over.sum()), OVERLAY, dtype=np.int8))
    whole = ~split_deals
    deal_rows.insert(0, np.flatnonzero(whole))
    payees.insert(0, deals.owner[whole])
    shares.insert(0, V.full(int(whole.sum()), one))
    kinds.insert(0, np.full(int(whole.sum()), OWNER, dtype=np.int8))
    share = shares[0]
    for s in shares[1:]:
        share = _concat(share, s)
    deal, payee, kind = np.concatenate(deal_rows), np.concatenate(payees), np.concatenate(kinds)
    if "rollup" in rules:
        up_deal, up_payee, up_share = [deal], [payee], [share]
        cur, cur_deal, cur_share = payee, deal, share
        while True:
            mgr = org.manager[cur]
            live = mgr >= 0
            if not live.any():
                break
            cur, cur_deal = mgr[live], cur_deal[live]
            cur_share = Num(np.asarray(cur_share.v)[live], cur_share.scale)
            up_deal.append(cur_deal)
            up_payee.append(cur)
            up_share.append(cur_share)
        kind = np.concatenate([kind] + [np.full(len(x), ROLLUP, dtype=np.int8) for x in up_deal[1:]])
        deal, payee = np.concatenate(up_deal), np.concatenate(up_payee)
        share = up_share[0]
        for s in up_share[1:]:
            share = _concat(share, s)
    return Credited(len(deal), deal, payee, share, kind, deals)


def _concat(a: Num, b: Num) -> Num:
    s = max(a.scale, b.scale)
    return Num(np.concatenate([np.asarray(a.at(s).v), np.asarray(b.at(s).v)]), s)


class DealFrame(Frame):
    """The credited rows as a frame: deal columns from the deals (money at the payee's share), and
    every other name from the payee's columns."""

    def __init__(self, plan: ir.Plan, rows: Credited, payees: Frame):
        super().__init__(plan, rows.n, {})
        self.rows, self.payees = rows, payees
        self.money = {name for name, t in plan.deal_fields.items() if t == T.MONEY and not name.startswith("deal_")}

    def column(self, name: str) -> Value:
        got = self.env.get(name)
        if got is None:
            got = self.env[name] = self._deal_column(name)
        return got

    def _deal_column(self, name: str) -> Value:
        rows = self.rows
        if name == "share":
            return rows.share
        if name == "credit":
            return Text(np.array(KINDS, dtype=object)[rows.kind])
        base = name.removeprefix("deal_")
        col = rows.deals.columns.get(base)
        if col is None:
            raise Unsupported(None, f"the deal column `{name}`")
        taken = _take(col, rows.deal)
        if base in self.money and not name.startswith("deal_"):
            return V.mul(taken, rows.share)
        return taken

    def _eval(self, n):
        if isinstance(n, ir.IsMissing):
            col = self.column(n.name)
            missing = np.zeros(self.n, dtype=bool) if col.bad is None else np.broadcast_to(col.bad, (self.n,))
            return Flag(missing != n.negated)
        return super()._eval(n)

    def var(self, node: ir.Var) -> Value:
        if node.kind == "deal":
            return self.column(node.name)
        key = "payee:" + node.name
        got = self.env.get(key)
        if got is None:
            got = self.env[key] = _take(self.payees.var(node), self.rows.payee)
        return got


def _take(col: Value, index: np.ndarray) -> Value:
    bad = None
    if col.bad is not None:
        bad = np.full(len(index), bool(col.bad)) if np.ndim(col.bad) == 0 else col.bad[index]
    if isinstance(col, Num):
        return Num(np.asarray(col.v)[index] if np.ndim(col.v) else col.v, col.scale, bad)
    if isinstance(col, Text):
        return Text(np.asarray(col.a, dtype=object)[index] if np.ndim(col.a) else col.a, bad)
    if isinstance(col, Flag):
        return Flag(np.asarray(col.b)[index] if np.ndim(col.b) else col.b, bad)
    if isinstance(col, Day):
        return Day(np.asarray(col.d)[index] if np.ndim(col.d) else col.d, bad)
    return V.Approx(col.x[index], col.e[index], bad)


