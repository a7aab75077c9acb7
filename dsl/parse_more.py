"""The transformer's later part: examples, properties and the later constructs (`is missing`,
rule tables).  `dsl.parse._ToAst` builds on it."""

from __future__ import annotations

import re

from lark import Token
from lark.visitors import v_args

from . import ast
from .parse_time import TimeToAst


def unescape(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


_unescape = unescape


@v_args(meta=True)
class TestsToAst(TimeToAst):
    """Examples and properties, and the later constructs; positions come from `dsl.parse._ToAst`."""

    # -- examples and properties --
    def assign(self, meta, children):
        return ast.Given(self.ident(children[0]), children[1], self.mspan(meta))

    def ex_given(self, meta, children):
        return list(children)

    def quoted(self, tok: Token | None) -> ast.Ident | None:
        """A quoted id or path: its text and where it is written."""
        return None if tok is None else ast.Ident(_unescape(str(tok)), self.tspan(tok))

    def ex_expect(self, meta, children):
        payee, name, value = children
        return [ast.Expect(self.ident(name), value, None, self.quoted(payee), self.mspan(meta))]

    def ex_expect_deal(self, meta, children):
        payee, deal, name, value = children
        return [ast.Expect(self.ident(name), value, None, self.quoted(payee), self.mspan(meta), self.quoted(deal))]

    def ex_award(self, meta, children):
        payee, _, name = children
        return [ast.Expect(self.ident(name), None, True, self.quoted(payee), self.mspan(meta))]

    def ex_no_award(self, meta, children):
        payee, _, _, name = children
        return [ast.Expect(self.ident(name), None, False, self.quoted(payee), self.mspan(meta))]

    def ex_period_name(self, meta, children):
        return [ast.ExamplePeriod(self.quoted(children[0]), span=self.mspan(meta))]

    def ex_period_dates(self, meta, children):
        start, end = (self.scalar(None, [tok]) for tok in children)
        return [ast.ExamplePeriod(None, start, end, self.mspan(meta))]

    def record(self, meta, children):
        return [c for c in children if c is not None]

    def ex_person(self, meta, children):
        return [ast.Record("person", self.quoted(children[0]), children[1], self.mspan(meta))]

    def ex_deal(self, meta, children):
        return [ast.Record("deal", self.quoted(children[0]), children[1], self.mspan(meta))]

    def ex_activity(self, meta, children):
        return [ast.Record("activity", self.quoted(children[0]), children[1], self.mspan(meta))]

    def ex_split(self, meta, children):
        kind, deal, share, person = children
        return [ast.CreditRow(str(kind), self.quoted(deal), share, self.quoted(person), self.mspan(meta))]

    def ex_file(self, meta, children):
        kind, path = children
        return [ast.DataFile(str(kind), self.quoted(path), self.mspan(meta))]

    def example_decl(self, meta, children):
        label, *groups = children
        items = [i for g in groups for i in g]
        periods = [i for i in items if isinstance(i, ast.ExamplePeriod)]
        return ast.ExampleDecl(self.text(label), [i for i in items if isinstance(i, ast.Given)],
                               [i for i in items if isinstance(i, ast.Expect)], self.mspan(meta),
                               periods[0] if periods else None, [i for i in items if isinstance(i, ast.Record)],
                               [i for i in items if isinstance(i, ast.CreditRow)],
                               [i for i in items if isinstance(i, ast.DataFile)], periods[1:])

    def p_assume(self, meta, children):
        return ("assume", children[0])

    def p_always(self, meta, children):
        return ("law", children[0])

    def p_monotone(self, meta, children):
        return ("law", ast.Monotone(self.ident(children[0]), self.ident(children[1]), self.mspan(meta)))

    def property_decl(self, meta, children):
        label, _, over, *items = children
        return ast.PropertyDecl(self.text(label), [e for k, e in items if k == "assume"],
                                [e for k, e in items if k == "law"], self.mspan(meta),
                                None if over is None else self.ident(over))

    # -- later constructs --
    def is_missing(self, meta, children):
        operand, negated = children
        node = ast.IsMissing(operand, negated is not None, self.mspan(meta))
        node._depth = getattr(operand, "_depth", 0) + 1
        return node

    def rule(self, meta, children):
        return ast.Rule(children[0], children[1], self.mspan(meta))

    def rule_default(self, meta, children):
        return ("default", children[0])

    def rules_decl(self, meta, children):
        name, typ, desc, *rest = children
        default = rest.pop()
        return ast.RulesDecl(self.ident(name), self.ident(typ), [r for r in rest if isinstance(r, ast.Rule)],
                             default[1] if default is not None else None, self.text(desc), self.mspan(meta))

    def param_decl(self, meta, children):
        name, value, lo, hi, desc = children
        return ast.ParamDecl(self.ident(name), value, (lo, hi) if lo is not None else None, self.text(desc),
                             self.mspan(meta))
