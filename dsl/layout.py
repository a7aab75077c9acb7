"""Line breaking for `incentives fmt`: a small Wadler/Prettier-style document printer.

A statement is built as a *doc*: text (`str`), a list of docs (one after another), `Nest` (more
indent for the breaks inside), `Group` (printed on one line if it fits in the width, else every
`Line` directly in it breaks) and `Line` (a space, or a new line at the current indent).

The rules, deterministic and idempotent:

* a group that fits in `WIDTH` columns from where it starts (up to the next break after it) is
  printed flat; otherwise its own breaks all break (black-style), and its subgroups decide alone;
* a chain of `and` or `or` that the author wrote over several lines stays broken, one operand per
  line (so is any group around it);
* a full-line comment inside a statement keeps its place: the break where it sits breaks and the
  comment gets its own line; a trailing comment goes to the end of the printed line that holds the
  code it followed.  Comments do not count toward the width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ast
from .diagnostics import display_width
from .printer import PREC, expr_text, literal_text

WIDTH = 100
CONT = 4  # the indent of a statement's continuation lines
STEP = 2  # the extra indent of an expression's own continuation lines


@dataclass(eq=False)
class Line:
    """A break: `flat` when the group is on one line, else a new line.  `gap` is the source
    stretch it stands for ((line, col) after the code before it, (line, col) of the code after)."""

    gap: tuple | None = None
    flat: str = " "
    comments: list = field(default_factory=list)

    @property
    def hard(self) -> bool:
        return any(full for _, full in self.comments)


@dataclass(eq=False)
class Group:
    items: list
    forced: bool = False


@dataclass(eq=False)
class Nest:
    n: int
    items: list


def soft(gap=None) -> Line:
    return Line(gap, "")


def _start(node) -> tuple | None:
    s = getattr(node, "span", None)
    return (s.line, s.column) if s is not None and s.line > 0 else None


def _end(node) -> tuple | None:
    s = getattr(node, "span", None)
    return (s.end_line, s.end_column) if s is not None and s.line > 0 else None


def gap(before, after) -> tuple | None:
    """The source stretch between two nodes (or positions), if both are known."""
    a = before if isinstance(before, tuple) or before is None else _end(before)
    b = after if isinstance(after, tuple) or after is None else _start(after)
    return (a, b) if a is not None and b is not None else None


# ---- expressions ------------------------------------------------------------

def expr_doc(e, min_prec: int = 0):
    doc, prec = _doc(e)
    return ["(", doc, ")"] if prec < min_prec else doc


def _chain(e: ast.Binary) -> list:
    """`a + b - c` as [(None, a), ("+", b), ("-", c)]: the left-leaning operators of one precedence."""
    p = PREC[e.op]
    out = []
    while isinstance(e, ast.Binary) and PREC[e.op] == p:
        out.append((e.op, e.right))
        e = e.left
    out.append((None, e))
    return out[::-1]


def _doc(e) -> tuple:
    if isinstance(e, ast.Binary):
        p = PREC[e.op]
        parts = _chain(e)
        first = expr_doc(parts[0][1], p)
        rest, forced = [], False
        for (_, prev), (op, node) in zip(parts, parts[1:]):
            if op in ("and", "or") and _start(node) and _end(prev) and _start(node)[0] > _end(prev)[0]:
                forced = True  # the author broke the chain: it stays one operand a line
            rest += [Line(gap(prev, node)), f"{op} ", expr_doc(node, p + 1)]
        return Group([first, Nest(STEP, rest)], forced), p
    if isinstance(e, ast.Compare):
        p = PREC["cmp"]
        return Group([expr_doc(e.left, p + 1), Nest(STEP, [Line(gap(e.left, e.right)), f"{e.op} ",
                                                           expr_doc(e.right, p + 1)])]), p
    if isinstance(e, ast.If):
        return Group(["if ", expr_doc(e.cond), Nest(STEP, [
            Line(gap(e.cond, e.then)), "then ", expr_doc(e.then),
            Line(gap(e.then, e.otherwise)), "else ", expr_doc(e.otherwise)])]), 0
    if isinstance(e, ast.Call) and e.args:
        args: list = [soft(gap(e.func, e.args[0])), expr_doc(e.args[0])]
        for a, b in zip(e.args, e.args[1:]):
            args += [",", Line(gap(a, b)), expr_doc(b)]
        # the break before `)` owns the stretch after the last argument, so a comment there stays on its line
        close = soft(gap(e.args[-1], (e.span.end_line, e.span.end_column)))
        return Group([f"{e.func.text}(", Nest(STEP, args), close, ")"]), 9
    if isinstance(e, ast.Unary):
        if e.op == "-":
            return ["-", expr_doc(e.operand, PREC["neg"])], PREC["neg"]
        return ["not ", expr_doc(e.operand, PREC["not"])], PREC["not"]
    if isinstance(e, ast.InSet):
        p = PREC["cmp"]
        items: list = [soft()]
        for n, item in enumerate(e.items):
            items += ([",", Line(gap(e.items[n - 1], item))] if n else []) + [literal_text(item)]
        return [expr_doc(e.operand, p + 1), " in ", Group(["{", Nest(STEP, items), soft(), "}"])], p
    text = expr_text(e)  # literals, names, and any later construct: as one piece
    return text, (9 if isinstance(e, ast.Literal | ast.Name | ast.Call) else PREC["cmp"])


# ---- comments ---------------------------------------------------------------

def _lines(doc, out: list) -> list:
    if isinstance(doc, Line):
        out.append(doc)
    elif isinstance(doc, list):
        for d in doc:
            _lines(d, out)
    elif isinstance(doc, Group | Nest):
        _lines(doc.items, out)
    return out


def place_comments(doc, comments: list, full_line) -> list:
    """Give each comment that lies in a break's gap to that break; returns the comments placed."""
    placed = []
    breaks = [b for b in _lines(doc, []) if b.gap is not None]
    for c in comments:
        at = (c.span.line, c.span.column)
        for b in breaks:
            if b.gap[0] <= at < b.gap[1]:
                b.comments.append((c, full_line(c)))
                placed.append(c)
                break
    _force(doc)
    return placed


def _force(doc) -> bool:
    """Mark the groups that must break (a hard break inside); returns whether `doc` holds one."""
    if isinstance(doc, Line):
        return doc.hard
    if isinstance(doc, list):
        return any([_force(d) for d in doc])
    if isinstance(doc, Group):
        inner = _force(doc.items)
        doc.forced = doc.forced or inner
        return doc.forced
    if isinstance(doc, Nest):
        return _force(doc.items)
    return False


# ---- printing ---------------------------------------------------------------

FLAT, BREAK = 0, 1


def _fits(rem: int, first, rest: list) -> bool:
    stack, i = [first], len(rest) - 1
    while rem >= 0:
        if not stack:
            if i < 0:
                return True
            stack.append(rest[i])
            i -= 1
            continue
        ind, mode, d = stack.pop()
        if isinstance(d, str):
            rem -= display_width(d)
        elif isinstance(d, list):
            stack.extend((ind, mode, x) for x in reversed(d))
        elif isinstance(d, Nest):
            stack.append((ind + d.n, mode, d.items))
        elif isinstance(d, Group):
            stack.append((ind, BREAK if d.forced and mode == BREAK else mode, d.items))
        elif isinstance(d, Line):
            if mode == BREAK or d.hard:
                return True
            rem -= len(d.flat)
    return False


def render(doc, indent: int, width: int = WIDTH) -> list[tuple[str, list]]:
    """The doc as printed lines, each (text, trailing comments); `indent` columns before it."""
    out: list[tuple[str, list]] = []
    cur, col, pending = " " * indent, indent, []
    cmds = [(indent, BREAK, doc)]
    while cmds:
        ind, mode, d = cmds.pop()
        if isinstance(d, str):
            cur += d
            col += display_width(d)
        elif isinstance(d, list):
            cmds.extend((ind, mode, x) for x in reversed(d))
        elif isinstance(d, Nest):
            cmds.append((ind + d.n, mode, d.items))
        elif isinstance(d, Group):
            flat = mode == FLAT or (not d.forced and _fits(width - col, (ind, FLAT, d.items), cmds))
            cmds.append((ind, FLAT if flat else BREAK, d.items))
        elif isinstance(d, Line):
            pending += [c for c, full in d.comments if not full]
            if mode == FLAT and not d.hard:
                cur += d.flat
                col += display_width(d.flat)
                continue
            out.append((cur.rstrip(), pending))
            pending = []
            out += [(" " * ind + c.text, []) for c, full in d.comments if full]
            cur, col = " " * ind, ind
    out.append((cur.rstrip(), pending))
    return out
