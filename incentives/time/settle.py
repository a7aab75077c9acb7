"""The arithmetic of one payee's pay for one period under one plan: draws, recoveries, clawbacks, forgiveness.

What this module owns (pure arithmetic, no I/O, exact `Decimal` in the engine's context):
  - `DrawTerms` and `settle`: a period's net (earnings, adjustments booked into it, clawbacks taken in it),
    the draw in force (recoverable advance or non-recoverable guarantee, optionally a ramp of N periods),
    the top-up paid, what is recovered from the pay above the draw (share, delay, cap), forgiveness of the
    owed balance at year end or termination, and the balance carried to the next period;
  - `settle_sequence`: the same, period after period, each opening at the previous closing;
  - `ClawbackTerms` and `clawback_amount`: how much of what was paid on a deal is taken back when the
    deal is reversed (within a window, a share, optionally straight-line by the days the deal was kept).

Signs: a balance is `<= 0`; a negative balance is what the payee owes (draws advanced and not yet
recovered, negative nets carried).  Every other amount in a `Settlement` is as documented on its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from incentives.engine.numbers import CONTEXT

__all__ = [
    "FORGIVE_EVENTS",
    "ClawbackTerms",
    "DrawTerms",
    "Settlement",
    "clawback_amount",
    "settle",
    "settle_sequence",
]

#: The events at which an owed balance can be written off (a plan names the ones it forgives at).
FORGIVE_EVENTS = ("year_end", "termination")

_ZERO = Decimal(0)
_ONE = Decimal(1)
_CENT = Decimal("0.01")


def _money(name: str, value: object) -> Decimal:
    """`value` if it is a finite Decimal, else TypeError (floats are never money) or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, not {value}")
    return value


def _z(value: Decimal) -> Decimal:
    """`value` with the sign of a zero dropped: never `-0` or `-0.00`."""
    return value.copy_abs() if value.is_zero() else value


def _check_share(name: str, share: Decimal) -> None:
    """ValueError unless 0 <= share <= 1."""
    share = _money(name, share)
    if not _ZERO <= share <= _ONE:
        raise ValueError(f"{name} must be between 0 and 1, not {share}")


@dataclass(frozen=True)
class DrawTerms:
    """A draw against earnings, per period.

    `amount` is per period, already prorated or converted by the caller.  A recoverable draw advances
    the shortfall of the net below it and recovers it later from `share` of the pay above the draw,
    from period `delay` on, at most `cap` a period.  A non-recoverable draw (`recoverable=False`) is a
    guarantee: the shortfall is topped up and never owed.  `periods` limits the draw to the first
    `periods` periods (a ramp draw); None means every period.
    """

    amount: Decimal
    recoverable: bool = True
    share: Decimal = Decimal(1)
    delay: int = 0
    cap: Decimal | None = None
    periods: int | None = None

    def __post_init__(self) -> None:
        """ValueError for a negative amount, a share outside [0, 1], a negative delay, cap or periods."""
        if _money("draw amount", self.amount) < 0:
            raise ValueError(f"draw amount must not be negative, not {self.amount}")
        _check_share("recovery share", self.share)
        if self.delay < 0:
            raise ValueError(f"recovery delay must not be negative, not {self.delay}")
        if self.cap is not None and _money("recovery cap", self.cap) < 0:
            raise ValueError(f"recovery cap must not be negative, not {self.cap}")
        if self.periods is not None and self.periods < 0:
            raise ValueError(f"draw periods must not be negative, not {self.periods}")

    def in_force(self, period_index: int) -> Decimal:
        """The draw paid in period `period_index` (0 once a ramp draw's periods are over)."""
        return self.amount if self.periods is None or period_index < self.periods else _ZERO


#: No terms at all behaves as a recoverable draw of 0 recovering 100% of the pay, at once, uncapped.
_NO_DRAW = DrawTerms(amount=Decimal(0))


@dataclass(frozen=True)
class Settlement:
    """One payee's pay for one period under one plan, and the balance it carries.

    Laws: `paid == net + advanced + guaranteed - recovered`; `closing == opening - advanced + recovered +
    forgiven`; `position == net - draw + opening`; `paid >= 0`; `opening <= 0`; `closing <= 0`.
    """

    earned: Decimal       #: the plan's earnings this period
    adjustments: Decimal  #: differences booked into this period (re-runs of finalized periods), signed
    clawbacks: Decimal    #: taken back this period (>= 0)
    net: Decimal          #: earned + adjustments - clawbacks (may be negative)
    draw: Decimal         #: the draw in force this period (0 when none / outside its periods)
    opening: Decimal      #: balance at the start, <= 0 (negative = the payee owes it)
    advanced: Decimal     #: recoverable top-up paid this period, or a negative net carried as owed (>= 0)
    guaranteed: Decimal   #: non-recoverable top-up (>= 0)
    recovered: Decimal    #: taken from this period's pay towards what is owed (>= 0)
    forgiven: Decimal     #: owed balance written off this period (>= 0)
    paid: Decimal         #: what the payee is paid this period (>= 0)
    closing: Decimal      #: balance carried, <= 0
    position: Decimal     #: net - draw + opening (the worked example's "balance" column)

    @property
    def owed(self) -> Decimal:
        """What the payee owes after this period (`-closing`, >= 0)."""
        return _z(-self.closing)


def _recovery(excess: Decimal, owed: Decimal, terms: DrawTerms, period_index: int, quantum: Decimal,
              rounding: str) -> Decimal:
    """What is recovered of `owed` from `excess` (the pay above the draw, >= 0): `share` of it at the
    quantum, nothing before period `delay`, at most `cap`, never more than is owed."""
    if period_index < terms.delay or owed <= 0 or excess <= 0:
        return _ZERO
    allowed = (terms.share * excess).quantize(quantum, rounding=rounding)
    if terms.cap is not None:
        allowed = min(allowed, terms.cap)
    return max(min(owed, allowed), _ZERO)


def settle(earned: Decimal, terms: DrawTerms | None, opening: Decimal = Decimal(0), *,
           adjustments: Decimal = Decimal(0), clawbacks: Decimal = Decimal(0), period_index: int = 0,
           forgive: Iterable[str] = frozenset(), year_end: bool = False, terminated: bool = False,
           quantum: Decimal = _CENT, rounding: str = ROUND_HALF_UP) -> Settlement:
    """Settle one period: the net, the draw in force, its top-up, recovery, forgiveness and the balance.

    `opening` is the balance carried in (<= 0); `period_index` counts periods from the start of the
    draw (for `delay` and `periods`); `forgive` names the `FORGIVE_EVENTS` at which the plan writes off
    what is owed, and `year_end` / `terminated` say whether this period is one.  Amounts are assumed to
    be at `quantum` already; only `share * excess` creates new digits and is rounded with `rounding`.

    ValueError for a positive opening, negative clawbacks, a negative period index or an unknown event
    (invalid terms are refused when `DrawTerms` is built).
    """
    earned, adjustments = _money("earned", earned), _money("adjustments", adjustments)
    clawbacks, opening = _money("clawbacks", clawbacks), _money("opening balance", opening)
    if opening > 0:
        raise ValueError(f"opening balance must not be positive (a balance is what is owed), not {opening}")
    if clawbacks < 0:
        raise ValueError(f"clawbacks must not be negative, not {clawbacks}")
    if period_index < 0:
        raise ValueError(f"period index must not be negative, not {period_index}")
    forgive = frozenset(forgive)
    unknown = sorted(forgive - set(FORGIVE_EVENTS))
    if unknown:
        raise ValueError(f"unknown forgiveness event(s) {', '.join(map(repr, unknown))}; "
                         f"expected {' or '.join(FORGIVE_EVENTS)}")
    terms = _NO_DRAW if terms is None else terms

    with localcontext(CONTEXT):
        net = earned + adjustments - clawbacks
        draw = terms.in_force(period_index)
        owed = -opening
        advanced = guaranteed = recovered = _ZERO
        if terms.recoverable:
            if net < draw:
                advanced = draw - net
                paid = draw
                owed += advanced
            else:
                recovered = _recovery(net - draw, owed, terms, period_index, quantum, rounding)
                paid = net - recovered
                owed -= recovered
        else:
            guaranteed = max(_ZERO, draw - max(net, _ZERO))
            if net < 0:
                advanced = -net  # a negative net is carried as owed even under a guarantee
                owed += advanced
            recovered = _recovery(max(net - draw, _ZERO), owed, terms, period_index, quantum, rounding)
            owed -= recovered
            paid = max(net, _ZERO) + guaranteed - recovered
        forgiven = _ZERO
        if ("year_end" in forgive and year_end) or ("termination" in forgive and terminated):
            forgiven, owed = owed, _ZERO
        position = net - draw + opening
        return Settlement(
            earned=_z(earned), adjustments=_z(adjustments), clawbacks=_z(clawbacks), net=_z(net),
            draw=_z(draw), opening=_z(opening), advanced=_z(advanced), guaranteed=_z(guaranteed),
            recovered=_z(recovered), forgiven=_z(forgiven), paid=_z(paid), closing=_z(-owed),
            position=_z(position),
        )


def settle_sequence(earnings: Sequence[Decimal], terms: DrawTerms | None, opening: Decimal = Decimal(0), *,
                    forgive: Iterable[str] = frozenset(), quantum: Decimal = _CENT, rounding: str = ROUND_HALF_UP,
                    year_end_at: Collection[int] = frozenset(), terminated_at: int | None = None,
                    adjustments: Sequence[Decimal] | None = None,
                    clawbacks: Sequence[Decimal] | None = None) -> list[Settlement]:
    """Settle `earnings` period after period (period_index 0, 1, 2...), each opening at the previous
    closing.  `year_end_at` holds the indexes of year-end periods and `terminated_at` the index of the
    period the payee left in (forgiveness applies there if `forgive` names the event); `adjustments`
    and `clawbacks`, when given, are per-period amounts aligned with `earnings`."""
    forgive = frozenset(forgive)
    n = len(earnings)
    for name, values in (("adjustments", adjustments), ("clawbacks", clawbacks)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} has {len(values)} periods, earnings has {n}")
    year_ends = frozenset(year_end_at)
    out: list[Settlement] = []
    balance = opening
    for i, earned in enumerate(earnings):
        s = settle(earned, terms, balance, period_index=i, forgive=forgive, quantum=quantum, rounding=rounding,
                   year_end=i in year_ends, terminated=i == terminated_at,
                   adjustments=_ZERO if adjustments is None else adjustments[i],
                   clawbacks=_ZERO if clawbacks is None else clawbacks[i])
        out.append(s)
        balance = s.closing
    return out


@dataclass(frozen=True)
class ClawbackTerms:
    """How much of what was paid on a deal is taken back when it is reversed.

    Reversals within `window_days` of the close (inclusive) take `share` of what was paid; with
    `straight_line_days` N, that is further prorated by `max(0, (N - days_kept) / N)`.
    """

    window_days: int
    share: Decimal = Decimal(1)
    straight_line_days: int | None = None

    def __post_init__(self) -> None:
        """ValueError for a negative window, a share outside [0, 1] or a non-positive straight line."""
        if self.window_days < 0:
            raise ValueError(f"clawback window must not be negative, not {self.window_days}")
        _check_share("clawback share", self.share)
        if self.straight_line_days is not None and self.straight_line_days <= 0:
            raise ValueError(f"straight-line days must be positive, not {self.straight_line_days}")


def clawback_amount(paid_on_deal: Decimal, closed: dt.date, reversed_on: dt.date, terms: ClawbackTerms,
                    quantum: Decimal = _CENT, rounding: str = ROUND_HALF_UP) -> Decimal:
    """What is taken back of `paid_on_deal` when a deal closed on `closed` is reversed on `reversed_on`:
    0 outside the window (or reversed before it closed, or nothing paid), otherwise `paid * share`
    (straight-line prorated if the terms say so) rounded to `quantum`, between 0 and `paid_on_deal`.

    >>> half = ClawbackTerms(window_days=90, share=Decimal("0.5"))
    >>> clawback_amount(Decimal("10000.00"), dt.date(2027, 1, 1), dt.date(2027, 2, 1), half)
    Decimal('5000.00')
    """
    paid = _money("paid on deal", paid_on_deal)
    days_kept = (reversed_on - closed).days
    with localcontext(CONTEXT):
        if days_kept < 0 or days_kept > terms.window_days or paid <= 0:
            return _ZERO.quantize(quantum)
        n = terms.straight_line_days
        if n is None:
            taken = paid * terms.share
        else:
            taken = paid * terms.share * max(0, n - days_kept) / n
        taken = taken.quantize(quantum, rounding=rounding)
        return _z(max(_ZERO, min(taken, paid)))
