"""The canonical layout of a plan, comments kept.

`format_plan(plan)` prints the AST back as text: two-space indents, one
statement per line, one band or row per line, a blank line between
declarations (consecutive one-line inputs and definitions stay together unless
the source separated them).  Comments stay before the statement they preceded,
or at the end of the line they ended.  Formatting twice changes nothing.
"""

from __future__ import annotations

from . import ast
from .comments import align
from .layout import CONT, Group, Line, Nest, expr_doc, gap, place_comments, render
from .printer import expr_text, literal_text, measured_text, quote

INDENT = "  "
#: the lines of a draw and of a clawback: (attribute, its keyword before an expression, or a form for its text)
DRAW_LINES = (("amount", "amount "), ("kind", "{}"), ("recover", "recover "), ("delay", "delay {} periods"),
              ("cap", "cap "), ("periods", "for {} periods"))
CLAWBACK_LINES = (("when", "when "), ("within", "within {} days"), ("take", "take "),
                  ("straight", "straight line over {} days"))


class _Printer:
    def __init__(self, plan: ast.Plan):
        self.lines: list[str] = []
        self.comments = sorted(plan.comments, key=lambda c: (c.span.line, c.span.column))
        self.source = plan.source
        self.depth = 0
        self.trail: dict[int, list[ast.Comment]] = {}  # line index -> its trailing comments

    # ---- comments ----
    def _full_line(self, c: ast.Comment) -> bool:
        return self.source.line_text(c.span.line)[: c.span.column - 1].strip() == ""

    def leading(self, line: int) -> None:
        """Emit the comments that come before source line `line`."""
        while self.comments and self.comments[0].span.line < line:
            c = self.comments.pop(0)
            last = next((n for n in range(len(self.lines) - 1, -1, -1) if self.lines[n].strip()), None)
            if self._full_line(c) or last is None:
                self.lines.append(INDENT * self.depth + c.text)
            else:  # the end of a statement's line: it stays there (never on a blank line between)
                self.trail.setdefault(last, []).append(c)

    def trailing(self, line: int, start: int | None = None) -> None:
        """Attach the comments that end source lines `start`..`line` (a statement written over several
        lines) to the last emitted line; full-line comments among them wait for the next statement."""
        start = line if start is None else start
        kept = []
        while self.comments and self.comments[0].span.line <= line:
            c = self.comments.pop(0)
            if c.span.line >= start and not self._full_line(c):
                self.trail.setdefault(len(self.lines) - 1, []).append(c)
            else:
                kept.append(c)
        self.comments[:0] = kept

    def emit(self, text, start: int, end: int | None = None) -> None:
        """One statement: `text` is a string or a doc of `dsl.layout` (broken at the width)."""
        self.leading(start)
        self.put(text, start, end if end is not None else start)
        self.trailing(end if end is not None else start, start)

    def put(self, doc, start: int, end: int) -> None:
        """Print a doc at the current indent; the comments in its breaks stay in place."""
        if isinstance(doc, str):
            self.lines.append(INDENT * self.depth + doc)
            return
        inside = [c for c in self.comments if start <= c.span.line <= end]
        placed = place_comments(doc, inside, self._full_line)
        self.comments = [c for c in self.comments if not any(c is p for p in placed)]
        for text, comments in render(doc, len(INDENT) * self.depth):
            self.lines.append(text)
            if comments:
                self.trail[len(self.lines) - 1] = comments

    def open(self, text: str, span, children=()) -> None:
        """Open a block; a comment on its first line stays with it unless a child starts on that line."""
        first = min((c.span.line for c in children), default=None)
        self.leading(span.line)
        self.put(text + " {" if isinstance(text, str) else [text, " {"], span.line, first - 1 if first is not None else span.line)
        if first != span.line:
            self.trailing(span.line)
        self.depth += 1

    def close(self, span, suffix: str = "") -> None:
        self.leading(span.end_line)
        self.depth -= 1
        self.lines.append(INDENT * self.depth + "}" + suffix)
        self.trailing(span.end_line)

    # ---- declarations ----
    def plan(self, plan: ast.Plan) -> str:
        prev = None
        for d in plan.decls:
            if prev is not None and self._blank_between(prev, d):
                self.lines.append("")
            self.decl(d)
            prev = d
        self.leading(10**9)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(align(self.lines, self.trail, self.source)) + "\n"

    def _blank_between(self, a, b) -> bool:
        one_liners = (ast.InputDecl, ast.LetDecl, ast.MeasureDecl, ast.ParamDecl)
        if type(a) is type(b) and isinstance(a, one_liners):
            between = range(a.span.end_line + 1, b.span.line)
            return any(not self.source.line_text(n).strip() for n in between)
        return True

    def decl(self, d) -> None:
        if isinstance(d, ast.PlanHeader):
            self.open(f"plan {quote(d.name)}", d.span)
            if d.currency:
                self.emit(f"currency {d.currency.text}", d.currency.span.line)
            if d.period:
                self.emit(f"period {d.period.text}", d.period.span.line)
            if d.effective:
                a, b = d.effective
                self.emit(f"effective {a.text} to {b.text}", a.span.line)
            if d.rounding_mode:
                at = f" at {d.rounding_point.text}" if d.rounding_point else ""
                self.emit(f"rounding {d.rounding_mode.text}{at}", d.rounding_mode.span.line)
            if d.partial:
                self.emit("partial periods", d.partial.line)
            if d.days:
                self.emit(f"days {d.days.text}", d.days.span.line)
            if d.fx:
                self.emit(f"fx at {d.fx.text}", d.fx.span.line)
            self.close(d.span)
        elif isinstance(d, ast.ContestDecl):
            label = f" {quote(d.label)}" if d.label is not None else ""
            parts = [x for x in (d.rank_by, d.among, d.qualify, d.ties, d.places) if x is not None] + d.prizes
            self.open(f"contest {d.name.text}{label}", d.span, parts)
            if d.rank_by is not None:
                self.emit(clause("rank by ", expr_doc(d.rank_by)), d.rank_by.span.line, d.rank_by.span.end_line)
            if d.among is not None:
                self.emit(f"among {d.among.text}", d.among.span.line)
            if d.qualify is not None:
                self.emit(clause("qualify ", expr_doc(d.qualify)), d.qualify.span.line, d.qualify.span.end_line)
            if d.ties is not None:
                by = " by " + ", ".join(expr_text(b) for b in d.tie_breakers) if d.tie_breakers else ""
                self.emit(f"ties {d.ties.text}{by}", d.ties.span.line,
                          d.tie_breakers[-1].span.end_line if d.tie_breakers else d.ties.span.line)
            if d.prizes:
                self.emit("prizes " + ", ".join(expr_text(p) for p in d.prizes), d.prizes[0].span.line,
                          d.prizes[-1].span.end_line)
            if d.places is not None:
                self.emit(f"places {expr_text(d.places)}", d.places.span.line, d.places.span.end_line)
            self.close(d.span)
        elif isinstance(d, (ast.DealsDecl, ast.ActivitiesDecl)):
            self.open("deals" if isinstance(d, ast.DealsDecl) else "activities", d.span, d.fields)
            for f in d.fields:
                self.emit(self.input_text(f, "field"), f.span.line, f.span.end_line)
            self.close(d.span)
        elif isinstance(d, ast.CreditingDecl):
            self.emit("crediting { " + " ".join(r.text for r in d.rules) + " }", d.span.line, d.span.end_line)
        elif isinstance(d, ast.MeasureDecl):
            if d.field is not None:
                field: list = [f" {d.field.text}"]
            elif d.value is not None:  # the measured expression breaks like any other, parenthesized as measured_text
                bare = measured_text(d.value) == expr_text(d.value)
                field = [" ", expr_doc(d.value)] if bare else [" (", expr_doc(d.value), ")"]
            else:
                field = []
            where = [Line(gap(d.source, d.where)), "where ", expr_doc(d.where)] if d.where is not None else []
            self.emit(clause(f"measure {d.name.text} = {d.agg.text}", *field, f" of {d.source.text}", *where,
                             *described(d.description, d.where or d.value or d.field or d.source, d)),
                      d.span.line, d.span.end_line)
        elif isinstance(d, ast.InputDecl):
            self.emit(self.input_text(d, "input"), d.span.line, d.span.end_line)
        elif isinstance(d, ast.ParamDecl):
            self.emit(param_text(d), d.span.line, d.span.end_line)
        elif isinstance(d, ast.LetDecl) and d.dated:
            dated = [x for date, value in d.dated for x in (Line(), f"from {date.text}: ", expr_doc(value))]
            self.emit(clause(f"let {d.name.text} = ", expr_doc(d.base), *dated,
                             *described(d.description, d.dated[-1][1], d)), d.span.line, d.span.end_line)
        elif isinstance(d, ast.LetDecl):
            self.emit(clause(f"let {d.name.text} = ", expr_doc(d.expr), *described(d.description, d.expr, d)),
                      d.span.line, d.span.end_line)
        elif isinstance(d, ast.TableDecl):
            keys = ", ".join(f"{k.text}: {t.text}" for k, t in d.keys)
            self.open(f"table {d.name.text}({keys}): {d.value_type.text}", d.span, d.rows)
            for row in d.rows:
                self.emit(", ".join(literal_text(k) for k in row.keys) + f": {expr_text(row.value)}",
                          row.span.line, row.span.end_line)
            if d.default is not None:
                self.emit(f"default: {expr_text(d.default)}", d.default.span.line, d.default.span.end_line)
            self.close(d.span)
        elif isinstance(d, ast.RulesDecl):
            self.rules(d)
        elif isinstance(d, ast.CurveDecl):
            desc = f" {quote(d.description)}" if d.description is not None else ""
            self.open(f"curve {d.name.text}{desc}", d.span, d.bands)
            self.bands(d.bands)
            self.close(d.span)
        elif isinstance(d, ast.ComponentDecl):
            label = f" {quote(d.label)}" if d.label is not None else ""
            ytd = " ytd" if d.ytd else ""
            self.open(f"component {d.name.text}{label}{ytd}", d.span, d.items)
            for item in d.items:
                self.item(item)
            self.close(d.span)
        elif isinstance(d, ast.AwardDecl):
            label = f" {quote(d.label)}" if d.label is not None else ""
            self.open(f"award {d.name.text}{label}", d.span)
            if d.kind is not None:
                self.emit(f"kind {d.kind.text}", d.kind.span.line)
            if d.when is not None:
                self.emit(clause("when ", expr_doc(d.when)), d.when.span.line, d.when.span.end_line)
            if d.value is not None:
                self.emit(clause("value ", expr_doc(d.value)), d.value.span.line, d.value.span.end_line)
            self.close(d.span)
        elif isinstance(d, ast.ExampleDecl):
            self.open(f"example {quote(d.label)}", d.span, d.items)
            for item in d.items:  # in the order written: a comment stays beside its line
                if isinstance(item, ast.Record) and item.fields and item.span.line != item.span.end_line:
                    self.record(item)  # written over several lines: one field a line, comments kept
                else:
                    self.emit(example_line(item), item.span.line, item.span.end_line)
            self.close(d.span)
        elif isinstance(d, ast.PropertyDecl):
            over = f" over {d.over.text}" if d.over is not None else ""
            self.open(f"property {quote(d.label)}{over}", d.span, [*d.assumes, *d.laws])
            for law in sorted([*d.assumes, *d.laws], key=lambda n: (n.span.line, n.span.column)):
                if isinstance(law, ast.Monotone):
                    self.emit(f"monotone {law.target.text} in {law.input.text}", law.span.line)
                elif any(law is a for a in d.assumes):
                    self.emit(clause("assume ", expr_doc(law)), law.span.line, law.span.end_line)
                else:
                    self.emit(clause("always ", expr_doc(law)), law.span.line, law.span.end_line)
            self.close(d.span)
        elif isinstance(d, (ast.DrawDecl, ast.ClawbackDecl)):
            self.pay_block(d)
        elif isinstance(d, ast.PayoutDecl):
            self.open("payout", d.span, d.steps)
            for step in d.steps:
                self.item(step)
            self.close(d.span)

    def pay_block(self, d) -> None:
        """A `draw` or `clawback` block: one item a line, in the order written."""
        label = f" {quote(d.label)}" if d.label is not None else ""
        draw = isinstance(d, ast.DrawDecl)
        lines = []  # (node for position, text or doc)
        for attr, form in DRAW_LINES if draw else CLAWBACK_LINES:
            node = getattr(d, attr)
            if node is None:
                continue
            if "{}" in form:  # a number or a word
                lines.append((node, form.format(node.text)))
            else:  # an expression after a keyword
                prorated = " prorated" if attr == "amount" and d.prorated else ""
                lines.append((node, clause(form, expr_doc(node), prorated)))
        for event in d.forgive:
            lines.append((event, "forgive at " + event.text.replace("_", " ")))
        lines.sort(key=lambda x: (x[0].span.line, x[0].span.column))  # as written: comments stay beside them
        self.open(f"{'draw' if draw else 'clawback'} {d.name.text}{label}", d.span, [n for n, _ in lines])
        for node, text in lines:
            self.emit(text, node.span.line, node.span.end_line)
        self.close(d.span)

    def record(self, rec: ast.Record) -> None:
        self.open(f"{rec.kind} {quote(rec.id.text)}", rec.span, rec.fields)
        for n, f in enumerate(rec.fields):
            comma = "," if n < len(rec.fields) - 1 else ""
            self.emit(f"{f.name.text} = {expr_text(f.value)}{comma}", f.span.line, f.span.end_line)
        self.close(rec.span)

    def input_text(self, d: ast.InputDecl, keyword: str) -> Group:
        parts = [f"{keyword} {d.name.text}: {d.type.text}"] + (["optional"] if d.optional else [])
        parts += ["prorated"] if d.prorated else []
        # `in {...}` comes before `default`: after a default it would read as a test `x in {...}`
        if d.choices is not None:
            parts.append("in {" + ", ".join(literal_text(c) for c in d.choices) + "}")
        if d.range is not None:
            parts.append(f"range {expr_text(d.range[0])} to {expr_text(d.range[1])}")
        if d.default is not None:
            parts.append(f"default {expr_text(d.default)}")
        # too long: the description goes on its own line first, then one clause a line
        return clause(Group([x for n, part in enumerate(parts) for x in ([Line(), part] if n else [part])]),
                      *described(d.description))

    def rules(self, d: ast.RulesDecl) -> None:
        desc = f" {quote(d.description)}" if d.description is not None else ""
        self.open(f"rules {d.name.text}: {d.type.text}{desc}", d.span, d.rules)
        for r in d.rules:
            self.emit(clause("when ", expr_doc(r.cond), ": ", expr_doc(r.value)), r.span.line, r.span.end_line)
        if d.default is not None:
            self.emit(f"default: {expr_text(d.default)}", d.default.span.line, d.default.span.end_line)
        self.close(d.span)

    def bands(self, bands: list[ast.Band]) -> None:
        for b in bands:
            text = f"from {expr_text(b.lower)}"
            if b.upper is not None:
                text += f" to {expr_text(b.upper)}"
            text += f": {expr_text(b.value)}"
            if b.value_to is not None:
                text += f" to {expr_text(b.value_to)}"
            self.emit(text, b.span.line, b.span.end_line)

    def item(self, i) -> None:
        label = lambda s: f" as {quote(s)}" if s is not None else ""  # noqa: E731
        if isinstance(i, ast.PayLine):
            self.emit(clause("pay ", expr_doc(i.expr), *labelled(i.label)), i.span.line, i.span.end_line)
        elif isinstance(i, ast.PoolLine):
            how = f"by {expr_text(i.by)}" if i.by is not None else "equally"
            self.emit(f"pool {expr_text(i.amount)} among {i.among.text} {how}{label(i.label)}", i.span.line,
                      i.span.end_line)
        elif isinstance(i, ast.TiersLine):
            upper = " upper_inclusive" if i.upper_inclusive else ""
            per = {"deal": " per deal", "running": " running"}.get(i.per, "")
            where = [Line(gap(i.base, i.where)), "where ", expr_doc(i.where)] if i.where is not None else []
            self.open(clause(f"tiers {i.kind.text}{per} on ", expr_doc(i.base), *where, upper), i.span, i.bands)
            self.bands(i.bands)
            self.close(i.span, label(i.label))
        elif isinstance(i, ast.ScorecardLine):
            cap = f" cap {expr_text(i.cap)}" if i.cap is not None else ""
            self.open(f"scorecard on {expr_text(i.target)}{cap}", i.span, i.kpis)
            for k in i.kpis:
                text = f"kpi {k.name.text}"
                if k.label is not None:
                    text += f" {quote(k.label)}"
                text += f" weight {expr_text(k.weight)} attainment {expr_text(k.attainment)}"
                if k.curve is not None:
                    text += f" curve {k.curve.text}"
                if k.cap is not None:
                    text += f" cap {expr_text(k.cap)}"
                self.emit(text, k.span.line, k.span.end_line)
            self.close(i.span, label(i.label))
        elif isinstance(i, ast.MultiplierStep):
            upper = " upper_inclusive" if i.upper_inclusive else ""
            self.open(f"multiplier on {expr_text(i.base)}{upper}", i.span, i.bands)
            self.bands(i.bands)
            self.close(i.span, label(i.label))
        elif isinstance(i, ast.CapStep):
            self.emit(clause("cap ", expr_doc(i.expr), *labelled(i.label)), i.span.line, i.span.end_line)
        elif isinstance(i, ast.FloorStep):
            self.emit(clause("floor ", expr_doc(i.expr), *labelled(i.label)), i.span.line, i.span.end_line)
        elif isinstance(i, ast.GateStep):
            otherwise = expr_doc(i.otherwise) if i.otherwise is not None else "0%"
            self.emit(clause("gate ", expr_doc(i.cond), Line(gap(i.cond, i.otherwise)), "else ", otherwise,
                             *labelled(i.label)), i.span.line, i.span.end_line)


def param_text(d: ast.ParamDecl) -> Group:
    """`param NAME = VALUE [range LO to HI] ["description"]`: too long, the range and the description
    go on continuation lines; a comment between the parts stays there."""
    last = d.range[1] if d.range is not None else d.value
    span = [Line(gap(d.value, d.range[0])), "range ", expr_doc(d.range[0]), " to ", expr_doc(d.range[1])] \
        if d.range is not None else []
    return clause(f"param {d.name.text} = ", expr_doc(d.value), *span, *described(d.description, last, d))


def clause(*parts) -> Group:
    """A statement whose parts after the first go on continuation lines (indented `CONT` more) when
    it does not fit in the width; `parts` holds the `Line`s where it may break."""
    return Group([Nest(CONT, list(parts))])


def described(description: str | None, after=None, statement=None) -> list:
    """A description on a continuation line; the break before it owns the stretch from `after` (the
    last node before it) to the end of the statement, so a comment there stays on its line."""
    end = (statement.span.end_line, statement.span.end_column) if statement is not None else None
    return [Line(gap(after, end) if after is not None else None), quote(description)] if description is not None else []


def labelled(label: str | None) -> list:
    return [Line(), f"as {quote(label)}"] if label is not None else []


def example_line(item) -> str:
    """One line of an example block."""
    if isinstance(item, ast.Given):
        return f"given {item.name.text} = {expr_text(item.value)}"
    if isinstance(item, ast.Expect):
        who = f"{quote(item.payee.text)} " if item.payee is not None else ""
        if item.deal is not None:
            who += f"deal {quote(item.deal.text)} "
        if item.award is None:
            return f"expect {who}{item.name.text} = {expr_text(item.value)}"
        return f"expect {who}{'' if item.award else 'no '}award {item.name.text}"
    if isinstance(item, ast.ExamplePeriod):
        if item.name is not None:
            return f"period {quote(item.name.text)}"
        return f"period {literal_text(item.start)} to {literal_text(item.end)}"
    if isinstance(item, ast.Record):
        fields = ", ".join(f"{f.name.text} = {expr_text(f.value)}" for f in item.fields)
        return f"{item.kind} {quote(item.id.text)} {{ {fields} }}" if fields else f"{item.kind} {quote(item.id.text)} {{}}"
    if isinstance(item, ast.CreditRow):
        return f"{item.kind} {quote(item.deal.text)} {expr_text(item.share)} to {quote(item.person.text)}"
    return f"{item.kind} from {quote(item.path.text)}"


def format_plan(plan: ast.Plan) -> str:
    """The plan in canonical layout."""
    return _Printer(plan).plan(plan)
