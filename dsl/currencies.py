"""ISO 4217 currency codes and their minor units, from the CLDR data in Babel."""

from __future__ import annotations

from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies


@lru_cache(maxsize=1)
def _codes() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in _codes()


def currency_digits(code: str | None) -> int:
    """Digits after the decimal point in the currency's minor unit (USD 2, JPY 0, BHD 3)."""
    if not code:
        return 2
    return get_currency_precision(code)
