"""The transformer's part for pay across periods: the header's `partial periods`, `days` and `fx`,
`prorated` inputs, dated definitions (`let rate = 10% from 2027-07-01: 12%`), `ytd` components,
`draw` and `clawback` blocks.  `dsl.parse._ToAst` builds on it (through `dsl.parse_more`)."""

from __future__ import annotations

from lark import Token
from lark.visitors import Transformer_NonRecursive, v_args

from . import ast
from .diagnostics import Diagnostic



@v_args(meta=True)
class TimeToAst(Transformer_NonRecursive):
    """Positions (`mspan`, `tspan`, `ident`, `text`) come from `dsl.parse._ToAst`."""

    # -- the header --
    def h_partial(self, meta, children):
        return ("partial", self.mspan(meta))

    def h_days(self, meta, children):
        return ("days", self.ident(children[0]))

    def h_fx(self, meta, children):
        return ("fx", self.ident(children[0]))

    def opt_prorated(self, meta, children):
        return ("prorated", True)

    # -- dated definitions --
    def let_from(self, meta, children):
        date, value = children
        return (self.scalar(meta, [date]), value)

    def dated_let(self, name, expr, froms, desc, span) -> ast.LetDecl:
        """`let NAME = base from D1: v1 from D2: v2`: the chain `if period_end >= D2 then v2 else if
        period_end >= D1 then v1 else base`, which every check and the engine read as written."""
        chain = expr
        for date, value in froms:
            at = date.span
            cond = ast.Compare(">=", ast.Name("period_end", at), date, at)
            chain = ast.DatedIf(cond, value, chain, ast.Span(at.file, at.line, at.column, value.span.end_line,
                                                         value.span.end_column))
        return ast.LetDecl(self.ident(name), chain, self.text(desc), span, expr, list(froms))

    # -- draws and clawbacks --
    def _once(self, seen: dict, key: str, span, block: str) -> None:
        if key in seen:
            word = {"kind": "recoverable or guaranteed", "periods": "for", "straight": "straight line"}.get(key, key)
            self.errors.append(Diagnostic(span, f"`{word}` is given twice in this {block}", "duplicate"))
        seen[key] = span

    def draw_decl(self, meta, children):
        name, label, *items = children
        decl = ast.DrawDecl(self.ident(name), self.text(label), span=self.mspan(meta))
        seen: dict = {}
        for key, value, span in items:
            if key == "forgive":
                decl.forgive.append(value)
                continue
            self._once(seen, key, span, "draw")
            if key == "amount":
                decl.amount, decl.prorated = value
            else:
                setattr(decl, key, value)
        return decl

    def d_amount(self, meta, children):
        expr, prorated = children
        return ("amount", (expr, prorated is not None), self.mspan(meta))

    def d_recoverable(self, meta, children):
        return ("kind", ast.Ident("recoverable", self.mspan(meta)), self.mspan(meta))

    def d_guaranteed(self, meta, children):
        return ("kind", ast.Ident("guaranteed", self.mspan(meta)), self.mspan(meta))

    def d_recover(self, meta, children):
        return ("recover", children[0], self.mspan(meta))

    def d_delay(self, meta, children):
        return ("delay", self.scalar(meta, [children[0]]), self.mspan(meta))

    def d_cap(self, meta, children):
        return ("cap", children[0], self.mspan(meta))

    def d_for(self, meta, children):
        return ("periods", self.scalar(meta, [children[0]]), self.mspan(meta))

    def d_forgive(self, meta, children):
        return ("forgive", self._event(meta, children), self.mspan(meta))

    k_forgive = d_forgive

    def _event(self, meta, children) -> ast.Ident:
        words = [str(t) for t in children if isinstance(t, Token)]
        return ast.Ident("_".join(words), self.mspan(meta))

    def clawback_decl(self, meta, children):
        name, label, *items = children
        decl = ast.ClawbackDecl(self.ident(name), self.text(label), span=self.mspan(meta))
        seen: dict = {}
        for key, value, span in items:
            if key == "forgive":
                decl.forgive.append(value)
                continue
            self._once(seen, key, span, "clawback")
            setattr(decl, key, value)
        return decl

    def k_when(self, meta, children):
        return ("when", children[0], self.mspan(meta))

    def k_within(self, meta, children):
        return ("within", self.scalar(meta, [children[0]]), self.mspan(meta))

    def k_take(self, meta, children):
        return ("take", children[0], self.mspan(meta))

    def k_straight(self, meta, children):
        return ("straight", self.scalar(meta, [children[0]]), self.mspan(meta))
