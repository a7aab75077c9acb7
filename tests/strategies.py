"""Hypothesis strategies shared by the property tests.

Money is a Decimal with exactly two places, rates are fractions (8% is
Decimal("0.08")), and band tables are lists of `incentives.tiers.Band` that
are contiguous, ascending, start at 0 and end with an open band, the shape the
checker accepts for constant bounds.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from incentives.engine.tiers import Band

CENT = Decimal("0.01")

#: Largest amount the strategies make: 10 million in the currency.
MAX_MONEY_CENTS = 1_000_000_000


def money(min_value: Decimal | int = 0, max_value: Decimal | int = Decimal(10000000)) -> st.SearchStrategy[Decimal]:
    """An amount with exactly two decimal places in [min_value, max_value]."""
    lo, hi = int(Decimal(min_value) * 100), int(Decimal(max_value) * 100)
    return st.integers(lo, hi).map(lambda c: Decimal(c).scaleb(-2))


def signed_money(bound: Decimal | int = Decimal(1000000)) -> st.SearchStrategy[Decimal]:
    return money(-Decimal(bound), bound)


def rates(max_percent: int = 100, places: int = 2) -> st.SearchStrategy[Decimal]:
    """A rate as a fraction with `places` decimals of a percent: 12.5% -> Decimal("0.125")."""
    scale = 10 ** places
    return st.integers(0, max_percent * scale).map(lambda n: Decimal(n).scaleb(-(2 + places)))


def sub_cent_rates() -> st.SearchStrategy[Decimal]:
    """Rates with up to four decimals of a percent, so that rate x money has sub-cent digits."""
    return rates(max_percent=100, places=4)


@st.composite
def bounds(draw, n: int, max_width_cents: int = 5_000_000) -> list[Decimal]:
    """n strictly ascending bounds, the first 0."""
    widths = draw(st.lists(st.integers(1, max_width_cents), min_size=n - 1, max_size=n - 1))
    out, at = [Decimal("0.00")], 0
    for w in widths:
        at += w
        out.append(Decimal(at).scaleb(-2))
    return out


@st.composite
def band_tables(draw, values: st.SearchStrategy[Decimal] | None = None, min_bands: int = 1,
                max_bands: int = 6) -> list[Band]:
    """An ascending band table: contiguous, first lower 0, last band open."""
    values = values if values is not None else rates()
    n = draw(st.integers(min_bands, max_bands))
    lows = draw(bounds(n))
    uppers: list[Decimal | None] = lows[1:] + [None]
    return [Band(lo, hi, draw(values)) for lo, hi in zip(lows, uppers)]


def rate_tables(min_bands: int = 1, max_bands: int = 6) -> st.SearchStrategy[list[Band]]:
    return band_tables(rates(), min_bands, max_bands)


def amount_tables(min_bands: int = 1, max_bands: int = 6) -> st.SearchStrategy[list[Band]]:
    return band_tables(money(0, 100_000), min_bands, max_bands)


@st.composite
def table_and_base(draw, tables: st.SearchStrategy[list[Band]] | None = None) -> tuple[list[Band], Decimal]:
    """A band table and a base that is often on, near or past its bounds."""
    table = draw(tables if tables is not None else rate_tables())
    edges = [b.lower for b in table] + [b.upper for b in table if b.upper is not None]
    top = max(edges) + Decimal(1000)
    base = draw(st.one_of(
        money(0, top),
        st.sampled_from(edges),
        st.sampled_from(edges).flatmap(lambda e: st.sampled_from([e - CENT, e + CENT])).filter(lambda x: x >= 0),
    ))
    return table, base


def bases(max_value: Decimal | int = Decimal(10000000)) -> st.SearchStrategy[Decimal]:
    return money(0, max_value)


ROUNDING_MODES = ("half_up", "half_even", "half_down", "up", "down", "ceiling", "floor")
