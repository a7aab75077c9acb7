"""Breakdowns rendered for people and programs: text, JSON, Markdown, HTML.

Text is for the terminal, JSON follows the versioned schema in
`incentives.explain`, Markdown and HTML are statements a rep can read.
Every renderer is deterministic: the same breakdown gives the same bytes.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic_core import to_json

from dsl.diagnostics import display_width
from incentives.engine import numbers

from .build import Breakdown, Item, Statement, statements

WIDTH = 78


def _money(s: str | None, digits: int = 2) -> str:
    return "-" if s is None else numbers.money(Decimal(s), digits)


def _digits(b: Breakdown) -> int:
    return len(b.total.partition(".")[2])


def _row(left: str, right: str, indent: int = 0) -> str:
    left = " " * indent + left
    gap = max(WIDTH - display_width(left) - display_width(right), 2)
    return left + " " * gap + right


def _item_lines(item: Item, digits: int, indent: int) -> list[str]:
    signed = item.kind not in ("pay", "pool", "tiers", "scorecard")
    amount = _money(item.amount, digits)
    if signed and not amount.startswith("-"):
        amount = "+" + amount
    out = [_row(f"line {item.where.line}: {item.label}", amount, indent)]
    out.append(" " * (indent + 4) + item.formula)
    out.extend(" " * (indent + 6) + d for d in item.details)
    return out


def person_text(b: Breakdown | Statement) -> str:
    """The payee's id, with the name and role where the people table gives them."""
    known = [x for x in (b.name, b.role) if x]
    return b.payee + (f" ({', '.join(known)})" if known else "")


def period_text(b: Breakdown | Statement) -> str:
    p = b.period
    if p is None:
        return ""
    dates = f"{p.start} to {p.end}"
    return dates if p.label == dates else f"{p.label} ({dates})"


_MEASURED = re.compile(r"^\w+ (.*?) of (?:deals|team|reports|activities)\b")


def _measured(formula: str) -> str:
    """What a measure takes of each record, from its formula: `amount` in `sum amount of deals`,
    `amount / term_years` in `sum amount / term_years of deals where ...`."""
    m = _MEASURED.match(formula)
    return m.group(1) if m else formula.split()[1]


def render_text(b: Breakdown) -> str:
    d = _digits(b)
    out = [f"{b.plan.name} - payee {person_text(b)}", (f"{b.plan.file} | {b.currency} | per {b.plan.period} | "
                                                        f"rounding {b.plan.rounding}")]
    if b.period is not None:
        out.append(f"period {period_text(b)}")
    out.append("")
    if b.inputs:
        out.append("Inputs")
        width = max(display_width(v.name) for v in b.inputs)
        out.extend(f"  {v.name}{' ' * (width - display_width(v.name))}  {v.shown}" for v in b.inputs)
        out.append("")
    if b.measures:
        out.append("Measures")
        for m in b.measures:
            if m.formula.split(" where ")[0].endswith(" of deals"):
                count = f"{len(m.deals)} deal{'s' * (len(m.deals) != 1)}"
            elif m.formula.split(" where ")[0].endswith(" of activities"):
                count = f"{len(m.activities)} activit{'ies' if len(m.activities) != 1 else 'y'}"
            else:
                count = f"{len(m.people)} {'person' if len(m.people) == 1 else 'people'}"
            out.append(f"  {m.name} = {m.shown}   ({m.formula}; {count}; line {m.where.line})")
            for deal in m.deals:
                share = "" if deal.share == "1" else f" x {numbers.percent(Decimal(deal.share))}"
                how = f"{deal.credit} from {deal.via}" if deal.via else deal.credit
                measured = f"; {_measured(m.formula)} {deal.shown}" if deal.shown is not None else ""
                out.append(f"      {deal.id}  {deal.date}  {_money(deal.deal_amount, d)}{share} ({how}) = "
                           f"{_money(deal.amount, d)}{measured}")
            if m.excluded:
                out.append(f"      left out ({len(m.excluded)}):")
            for deal in m.excluded:
                share = "" if deal.share == "1" else f" x {numbers.percent(Decimal(deal.share))}"
                out.append(f"        {deal.id}  {deal.date}  {_money(deal.deal_amount, d)}{share}: {deal.why}")
            for person in m.people:
                out.append(f"      {person['id']}: {person['shown']}")
            for act in m.activities:
                measured = f"; {_measured(m.formula)} {act.shown}" if act.shown is not None else ""
                out.append(f"      {act.id}  {act.date}  {act.type}{measured}")
        out.append("")
    if b.contests:
        out.append("Contests")
        for c in b.contests:
            who = f"{c.competitors} competitor{'s' * (c.competitors != 1)}"
            place = (f"rank {c.rank} of {c.competitors}" + (f" (tied with {c.tied - 1} other"
                     f"{'s' * (c.tied > 2)})" if c.tied > 1 else "") if c.rank else
                     ("qualified, not placed" if c.qualified else "not qualified") + f"; {who}")
            prize = f", prize {_money(c.prize, d)}" if c.prize and Decimal(c.prize) else ""
            out.append(f"  {c.label or c.name}: {place}{prize}   (line {c.where.line})")
        out.append("")
    if b.definitions:
        out.append("Definitions")
        out.extend(f"  {v.name} = {v.formula.split(' = ', 1)[1] if v.formula else v.shown}   (line {v.where.line})"
                   for v in b.definitions)
        out.append("")
    for c in b.components:
        title = c.name + (f" - {c.label}" if c.label else "")
        out.append(_row(title, _money(c.amount, d)))
        for item in c.items:
            out.extend(_item_lines(item, d, 2))
        out.append("")
    out.append(_row("Subtotal", _money(b.subtotal, d)))
    for item in b.adjustments:
        out.extend(_item_lines(item, d, 2))
    out.append(_row(f"Total ({b.currency})", _money(b.total, d)))
    if b.awards:
        out += ["", "Awards (not paid as cash)"]
        for a in b.awards:
            mark = "[x]" if a.granted else "[ ]"
            value = f"  value {_money(a.value, d)}" if a.value is not None else ""
            out.append(f"  {mark} {a.kind}: {a.label or a.name}{value}   (line {a.where.line})")
        if any(a.value is not None for a in b.awards):
            out.append(_row(f"Awards granted, cash equivalent ({b.currency})", _money(b.awards_value, d)))
    return "\n".join(out) + "\n"


def _totals_lines(s: Statement) -> list[str]:
    out = []
    for t in s.totals:
        digits = len(t.cash.partition(".")[2])
        out.append(_row(f"Total cash, every plan ({t.currency})", _money(t.cash, digits)))
        if Decimal(t.awards_value):
            out.append(_row(f"Awards' cash equivalent ({t.currency})", _money(t.awards_value, digits)))
    return out


def render_text_statement(s: Statement) -> str:
    """One person's statement across plans: each plan's breakdown, then the totals per currency."""
    head = [f"Statement for {person_text(s)}" + (f", period {period_text(s)}" if s.period else ""),
            f"{len(s.plans)} plan{'s' * (len(s.plans) != 1)}: " + ", ".join(b.plan.name for b in s.plans), ""]
    parts = [render_text(b) for b in s.plans]
    return "\n".join(head) + "\n" + ("\n" + "." * WIDTH + "\n\n").join(parts) + "\n" + "\n".join(
        _totals_lines(s)) + "\n"


def render_json(b: Breakdown) -> str:
    # what b.model_dump_json(by_alias=True, indent=2) writes, without its wrapper's keyword handling
    return b.__pydantic_serializer__.to_json(b, indent=2, by_alias=True).decode() + "\n"


def _json_list(docs: list) -> str:
    """json.dumps(docs, indent=2, ensure_ascii=False), written by pydantic-core: the same text (the same
    escapes, for every character; breakdowns and statements hold no floats) in a fraction of the time.
    Text json.dumps can write and pydantic-core cannot (a lone surrogate) goes to json.dumps."""
    try:
        return to_json(docs, indent=2).decode()
    except ValueError:  # UnicodeEncodeError, PydanticSerializationError
        return json.dumps(docs, indent=2, ensure_ascii=False)


def render_json_many(breakdowns: list[Breakdown]) -> str:
    docs = [b.model_dump(mode="json", by_alias=True) for b in breakdowns]
    return _json_list(docs) + "\n"


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("incentives.explain", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["money"] = _money
    env.filters["md"] = _markdown_text
    return env


def _markdown_text(value) -> str:
    """Plain text made safe inside Markdown tables and lists: no raw HTML, no stray column breaks."""
    text = "" if value is None else str(value)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("\n", " "))


def _context(items: list[Statement]) -> dict:
    return {"statements": items, "who": person_text, "period_text": period_text, "measured": _measured,
            "digits": _digits, "percent": lambda share: numbers.percent(Decimal(share)),
            "nonzero": lambda x: Decimal(x) != 0, "tdigits": lambda t: len(t.cash.partition(".")[2])}


def render_markdown(b: Breakdown) -> str:
    return render_markdown_statements(statements([b]))


def render_markdown_statements(items: list[Statement]) -> str:
    """Markdown statements, one per person (a heading each); several plans give a section per plan."""
    return _env().get_template("statement.md").render(**_context(items))


def render_html(b: Breakdown) -> str:
    return render_html_statements(statements([b]))


def render_html_statements(items: list[Statement], title: str | None = None) -> str:
    """One well-formed HTML document (XHTML-compatible: every element closed) for any number of
    people: a table of contents, then a section per person with each plan's statement."""
    return _env().get_template("statement.html").render(title=title, **_context(items))


def render_text_statements(items: list[Statement]) -> str:
    return ("\n" + ("=" * WIDTH) + "\n\n").join(render_text_statement(s) for s in items)


def render_json_statements(items: list[Statement]) -> str:
    docs = [s.model_dump(mode="json", by_alias=True) for s in items]
    return _json_list(docs) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "html": render_html}
