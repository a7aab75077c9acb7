"""Text to AST: the Lark parser, the tree-to-AST transformer and error recovery.

`parse(source)` returns a `Plan` or raises `PlanError` with every syntax error
it could find: when the whole file does not parse, each top-level declaration
is parsed on its own so that one mistake does not hide the next.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lark import Token
from lark.exceptions import UnexpectedInput, VisitError
from lark.visitors import v_args

from . import ast
from .comments import comments
from .diagnostics import Diagnostic, PlanError
from .source import MAX_PLAN_BYTES, Source, Span
from .grammar import parser
from .parse_more import TestsToAst, unescape as _unescape
from .syntax_errors import TOP_KEYWORDS, surrogates as _surrogates, syntax_diagnostic

#: Expressions nested deeper than this are refused with a located error.
MAX_NESTING = 100



class _TooDeep(Exception):
    def __init__(self, span: Span):
        self.span = span


def _depth(node) -> int:
    return getattr(node, "_depth", 0)


def _deep(node, *children):
    depth = 1 + max((_depth(c) for c in children if c is not None), default=0)
    if depth > MAX_NESTING:
        raise _TooDeep(node.span)
    node._depth = depth
    return node


@v_args(meta=True)
class _ToAst(TestsToAst):
    def __init__(self, source: Source, line_offset: int = 0):
        super().__init__()
        self.file = source.name
        self.off = line_offset
        self.errors: list[Diagnostic] = []

    # -- positions --
    def tspan(self, tok: Token) -> Span:
        return Span(self.file, tok.line + self.off, tok.column, tok.end_line + self.off, tok.end_column)

    def mspan(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line + self.off, meta.column, meta.end_line + self.off, meta.end_column)

    def ident(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), self.tspan(tok))

    def text(self, tok: Token | None) -> str | None:
        return None if tok is None else _unescape(str(tok))

    # -- literals --
    def __default_token__(self, tok):
        return tok

    def scalar(self, meta, children):
        (tok,) = children
        span = self.tspan(tok)
        raw = str(tok)
        kind = tok.type
        if kind == "MONEY":
            m = re.match(r"([\d_]+(?:\.\d+)?)\s*([A-Z]{3})", raw)
            return ast.Literal("money", Decimal(m.group(1).replace("_", "")), m.group(2), raw, span)
        if kind == "PERCENT":
            return ast.Literal("percent", Decimal(raw[:-1].replace("_", "")) / 100, None, raw, span)
        if kind == "NUMBER":
            return ast.Literal("number", Decimal(raw.replace("_", "")), None, raw, span)
        if kind == "DATE":
            try:
                value = dt.date.fromisoformat(raw)
            except ValueError:
                self.errors.append(Diagnostic(span, f"`{raw}` is not a calendar date", "bad-date",
                                              hint="dates are written YYYY-MM-DD"))
                value = dt.date(1, 1, 1)
            return ast.Literal("date", value, None, raw, span)
        if kind == "STRING":
            return ast.Literal("text", _unescape(raw), None, raw, span)
        return ast.Literal("bool", kind == "TRUE", None, raw, span)

    def literal(self, meta, children):
        return children[0]

    def negative_literal(self, meta, children):
        _, tok = children
        lit = self.scalar(meta, [tok])
        lit.value = -lit.value
        lit.text = "-" + lit.text
        lit.span = self.mspan(meta)
        return lit

    # -- expressions --
    def name(self, meta, children):
        return ast.Name(str(children[0]), self.tspan(children[0]))

    def call(self, meta, children):
        func, *args = children
        args = [a for a in args if a is not None]
        return _deep(ast.Call(self.ident(func), args, self.mspan(meta)), *args)

    def neg(self, meta, children):
        return _deep(ast.Unary("-", children[1], self.mspan(meta)), children[1])

    def not_(self, meta, children):
        return _deep(ast.Unary("not", children[0], self.mspan(meta)), children[0])

    def binop(self, meta, children):
        left, op, right = children
        return _deep(ast.Binary(str(op), left, right, self.mspan(meta)), left, right)

    def or_(self, meta, children):
        return _deep(ast.Binary("or", children[0], children[1], self.mspan(meta)), *children)

    def and_(self, meta, children):
        return _deep(ast.Binary("and", children[0], children[1], self.mspan(meta)), *children)

    def compare(self, meta, children):
        left, op, right = children
        return _deep(ast.Compare(str(op), left, right, self.mspan(meta)), left, right)

    def in_set(self, meta, children):
        operand, *items = children
        return _deep(ast.InSet(operand, items, self.mspan(meta)), operand)

    def in_period(self, meta, children):
        return _deep(ast.InPeriod(children[0], self.mspan(meta)), children[0])

    def if_expr(self, meta, children):
        return _deep(ast.If(*children, span=self.mspan(meta)), *children)

    # -- header --
    def plan_decl(self, meta, children):
        name, *items = children
        header = ast.PlanHeader(self.text(name), span=self.mspan(meta))
        seen: set[str] = set()
        for kind, value in items:
            if kind in seen:
                node = value[0] if isinstance(value, tuple) else value
                span = node if isinstance(node, Span) else getattr(node, "span", header.span)
                self.errors.append(Diagnostic(span, f"`{kind}` is given twice in the plan's header", "duplicate"))
            seen.add(kind)
            if kind == "currency":
                header.currency = value
            elif kind == "period":
                header.period = value
            elif kind == "effective":
                header.effective = value
            elif kind in ("partial", "days", "fx"):
                setattr(header, kind, value)
            else:
                header.rounding_mode, header.rounding_point = value
        return header

    def h_currency(self, meta, children):
        return ("currency", self.ident(children[0]))

    def h_period(self, meta, children):
        return ("period", self.ident(children[0]))

    def h_effective(self, meta, children):
        return ("effective", tuple(self.scalar(meta, [t]) for t in children))

    def h_rounding(self, meta, children):
        mode, point = children
        return ("rounding", (self.ident(mode), self.ident(point) if point is not None else None))

    # -- inputs, lets --
    def input_decl(self, meta, children):
        name, typ, *rest = children
        desc = rest.pop()
        decl = ast.InputDecl(self.ident(name), self.ident(typ), description=self.text(desc), span=self.mspan(meta))
        seen = set()
        for kind, value in rest:
            if kind in seen:
                word = {"choices": "in {...}"}.get(kind, kind)
                self.errors.append(Diagnostic(self.mspan(meta), f"`{word}` is given twice for `{name}`", "duplicate"))
            seen.add(kind)
            setattr(decl, kind, value)
        return decl

    def opt_default(self, meta, children):
        return ("default", children[0])

    def opt_range(self, meta, children):
        return ("range", (children[0], children[1]))

    def opt_in(self, meta, children):
        return ("choices", list(children))

    def let_decl(self, meta, children):
        name, expr, *froms, desc = children
        if froms:
            return self.dated_let(name, expr, froms, desc, self.mspan(meta))
        return ast.LetDecl(self.ident(name), expr, self.text(desc), self.mspan(meta))

    # -- tables and curves --
    def key_param(self, meta, children):
        return (self.ident(children[0]), self.ident(children[1]))

    def table_row(self, meta, children):
        *keys, value = children
        return ast.TableRow(keys, value, self.mspan(meta))

    def table_default(self, meta, children):
        return children[0]

    def table_decl(self, meta, children):
        name, *rest = children
        default = rest.pop()
        keys = [c for c in rest if isinstance(c, tuple)]
        value_type = next(c for c in rest if isinstance(c, Token))
        rows = [c for c in rest if isinstance(c, ast.TableRow)]
        return ast.TableDecl(self.ident(name), keys, self.ident(value_type), rows, default, self.mspan(meta))

    def band(self, meta, children):
        lower, upper, value, value_to = children
        return ast.Band(lower, upper, value, value_to, self.mspan(meta))

    def curve_decl(self, meta, children):
        name, desc, *bands = children
        return ast.CurveDecl(self.ident(name), bands, self.mspan(meta), self.text(desc))

    # -- components --
    def label(self, meta, children):
        return self.text(children[0])

    step_label = label

    def pay_line(self, meta, children):
        return ast.PayLine(children[0], children[1], self.mspan(meta))

    def tiers_line(self, meta, children):
        kind, per, base, where, upper, *bands, label = children
        return ast.TiersLine(self.ident(kind), base, bands, upper is not None, label, per, where, self.mspan(meta))

    def per_deal(self, meta, children):
        return "deal"

    def running(self, meta, children):
        return "running"

    def pool_line(self, meta, children):
        amount, among, how, label = children
        by = None if isinstance(how, Token) and how.type == "EQUALLY" else how
        return ast.PoolLine(amount, self.ident(among), by, label, self.mspan(meta))

    def contest_decl(self, meta, children):
        name, label, *items = children
        decl = ast.ContestDecl(self.ident(name), self.text(label), span=self.mspan(meta))
        for key, value in items:
            if key == "ties":
                decl.ties, decl.tie_breakers = value
            else:
                setattr(decl, key, value)
        return decl

    def c_rank(self, meta, children):
        return ("rank_by", children[0])

    def c_among(self, meta, children):
        return ("among", self.ident(children[0]))

    def c_qualify(self, meta, children):
        return ("qualify", children[0])

    def c_ties(self, meta, children):
        rule, *breakers = children
        return ("ties", (self.ident(rule), [b for b in breakers if b is not None]))

    def c_prizes(self, meta, children):
        return ("prizes", list(children))

    def c_places(self, meta, children):
        return ("places", children[0])

    def deal_field(self, meta, children):
        optional = [c for c in children if isinstance(c, Token) and c.type == "OPTIONAL"]
        decl = self.input_decl(meta, [c for c in children if not (isinstance(c, Token) and c.type == "OPTIONAL")])
        decl.optional = bool(optional)
        if len(optional) > 1:
            self.errors.append(Diagnostic(self.tspan(optional[1]), "`optional` is given twice", "duplicate"))
        return decl

    def deals_decl(self, meta, children):
        return ast.DealsDecl(list(children), self.mspan(meta))

    def activities_decl(self, meta, children):
        return ast.ActivitiesDecl(list(children), self.mspan(meta))

    def crediting_decl(self, meta, children):
        return ast.CreditingDecl([self.ident(c) for c in children], self.mspan(meta))

    def measure_decl(self, meta, children):
        name, agg, measured, _of, source, where, desc = children
        field = ast.Ident(measured.id, measured.span) if isinstance(measured, ast.Name) else None
        value = measured if measured is not None and field is None else None
        return ast.MeasureDecl(self.ident(name), self.ident(agg), field, self.ident(source), where,
                               self.text(desc), self.mspan(meta), value)

    def multiplier_step(self, meta, children):
        base, upper, *bands, label = children
        return ast.MultiplierStep(base, bands, self.mspan(meta), label, upper is not None)

    def cap_step(self, meta, children):
        return ast.CapStep(children[0], self.mspan(meta), children[1])

    def floor_step(self, meta, children):
        return ast.FloorStep(children[0], self.mspan(meta), children[1])

    def gate_step(self, meta, children):
        return ast.GateStep(children[0], children[1], self.mspan(meta), children[2])

    def kpi(self, meta, children):
        name, label, weight, attainment, curve, cap = children
        return ast.Kpi(self.ident(name), self.text(label), weight, attainment,
                       self.ident(curve) if curve is not None else None, cap, self.mspan(meta))

    def scorecard_line(self, meta, children):
        target, cap, *kpis, label = children
        return ast.ScorecardLine(target, kpis, cap, label, self.mspan(meta))

    def component_decl(self, meta, children):
        name, label, ytd, *items = children
        return ast.ComponentDecl(self.ident(name), self.text(label), items, self.mspan(meta),
                                 self.tspan(ytd) if ytd is not None else None)

    # -- awards, payout --
    def award_decl(self, meta, children):
        name, label, *items = children
        decl = ast.AwardDecl(self.ident(name), self.text(label), span=self.mspan(meta))
        for kind, value in items:
            setattr(decl, kind, value)
        return decl

    def a_kind(self, meta, children):
        return ("kind", self.ident(children[0]))

    def a_when(self, meta, children):
        return ("when", children[0])

    def a_value(self, meta, children):
        return ("value", children[0])

    def payout_decl(self, meta, children):
        return ast.PayoutDecl(list(children), self.mspan(meta))

    def start(self, meta, children):
        return list(children)


# ---- chunking for error recovery ------------------------------------------------

# (`deals from "FILE"` is a line of an example, not the `deals` declaration)
_KEYWORD_AT_LINE_START = re.compile(r"^[ \t]*(" + "|".join((*TOP_KEYWORDS, "rules"))
                                    + r")\b(?![ \t]+from\b)")


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split the text into top-level declarations: (line offset, text).

    A declaration starts at a line that begins with a top-level keyword.  No
    keyword of the language starts a line inside a declaration, so this holds
    even where the broken declaration leaves a brace or parenthesis open.
    """
    lines = text.split("\n")
    starts = [0] + [n for n, line in enumerate(lines) if n and _KEYWORD_AT_LINE_START.match(line)]
    starts.append(len(lines))
    return [(a, "\n".join(lines[a:b])) for a, b in zip(starts, starts[1:]) if a < b]


def _parse_text(text: str, source: Source, line_offset: int) -> list:
    tree = parser().parse(text)
    builder = _ToAst(source, line_offset)
    try:
        decls = builder.transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, _TooDeep):
            raise PlanError([Diagnostic(e.orig_exc.span, f"this expression is nested too deeply "
                                        f"(more than {MAX_NESTING} levels)", "too-deep",
                                        hint="split it into named `let` definitions")], source) from None
        raise
    if builder.errors:
        raise PlanError(builder.errors, source)
    return decls


def parse(source: Source | str, name: str = "<plan>") -> ast.Plan:
    """Parse plan text into an AST, raising PlanError with every syntax error found."""
    if isinstance(source, str):
        source = Source(name, source)
    unencodable = _surrogates(source)
    if unencodable:
        raise PlanError(unencodable, source)
    if len(source.text.encode("utf-8")) > MAX_PLAN_BYTES:
        raise PlanError([Diagnostic(Span.point(source.name, 1, 1),
                                    f"the plan is larger than {MAX_PLAN_BYTES:,} bytes", "too-large")], source)
    try:
        decls = _parse_text(source.text, source, 0)
    except UnexpectedInput:
        diagnostics = _recover(source)
        raise PlanError(diagnostics, source) from None
    return ast.Plan(decls, source, comments(source.text, source))


def _recover(source: Source) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for first_line, text in _chunks(source.text):
        try:
            _parse_text(text, source, first_line)
        except UnexpectedInput as err:
            diagnostics.append(syntax_diagnostic(err, source, first_line, text))
        except PlanError as err:
            diagnostics.extend(err.diagnostics)
    if not diagnostics:  # pragma: no cover - the whole failed, so some chunk must
        try:
            _parse_text(source.text, source, 0)
        except UnexpectedInput as err:
            diagnostics.append(syntax_diagnostic(err, source, 0, source.text))
    return diagnostics
