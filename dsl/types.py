"""Value types and the unit algebra of the plan language.

Money has a currency; percent, number and count are dimensionless (a percent
is a fraction shown as a percentage; a count is a whole number).  The rules:

* money + money is money; money + percent (or number) is an error;
* money x percent (or number, count) is money; money x money is an error;
* money / money is a ratio, typed percent; money / number is money;
  number / money is an error;
* `p of x` is p x x where p is a percent or number: `50% of quota` is money.
"""

from __future__ import annotations

from enum import Enum


class T(str, Enum):
    MONEY = "money"
    PERCENT = "percent"
    NUMBER = "number"
    COUNT = "count"
    BOOL = "bool"
    TEXT = "text"
    DATE = "date"
    ERROR = "error"  # an expression already reported: no further errors about it

    def __str__(self) -> str:
        return self.value


INPUT_TYPES = {t.value: t for t in (T.MONEY, T.PERCENT, T.NUMBER, T.COUNT, T.BOOL, T.TEXT, T.DATE)}
DIMENSIONLESS = frozenset({T.PERCENT, T.NUMBER, T.COUNT})
NUMERIC = DIMENSIONLESS | {T.MONEY}


class UnitError(Exception):
    """An operation whose operand types do not fit; the message is in plan terms."""


def describe(t: T) -> str:
    return {T.MONEY: "money", T.PERCENT: "a percentage", T.NUMBER: "a number", T.COUNT: "a count",
            T.BOOL: "true/false", T.TEXT: "text", T.DATE: "a date"}.get(t, str(t))


def same_dimension(a: T, b: T) -> bool:
    return a == b or (a in DIMENSIONLESS and b in DIMENSIONLESS)


def unify(a: T, b: T) -> T:
    """The common type of two values that may stand in the same place."""
    if T.ERROR in (a, b):
        return T.ERROR
    if a == b:
        return a
    if a in DIMENSIONLESS and b in DIMENSIONLESS:
        return T.PERCENT if T.PERCENT in (a, b) else T.NUMBER
    raise UnitError(f"{describe(a)} and {describe(b)} cannot stand in the same place")


def arithmetic(op: str, a: T, b: T) -> T:
    """The type of `a op b` for op in + - * / of, or UnitError."""
    if T.ERROR in (a, b):
        return T.ERROR
    if a not in NUMERIC or b not in NUMERIC:
        bad = a if a not in NUMERIC else b
        raise UnitError(f"arithmetic needs numbers or money, not {describe(bad)}")
    if op in "+-":
        if a == T.MONEY or b == T.MONEY:
            if a == b:
                return T.MONEY
            other = b if a == T.MONEY else a
            verb = "add" if op == "+" else "subtract"
            raise UnitError(f"cannot {verb} money and {describe(other)}"
                            + ("; to take a share of money, multiply: `8% of revenue`" if other == T.PERCENT else ""))
        return unify(a, b)
    if op in ("*", "of"):
        if op == "of" and a not in (T.PERCENT, T.NUMBER):
            raise UnitError(f"`of` takes a percentage on its left, such as `50% of quota`, not {describe(a)}")
        if a == T.MONEY and b == T.MONEY:
            raise UnitError("money multiplied by money has no meaning")
        if T.MONEY in (a, b):
            return T.MONEY
        if a == T.COUNT and b == T.COUNT:
            return T.COUNT
        if a == T.PERCENT and b == T.PERCENT:
            return T.PERCENT
        if T.PERCENT in (a, b) and T.NUMBER in (a, b):
            return T.PERCENT
        return T.NUMBER
    if op == "/":
        if a == T.MONEY and b == T.MONEY:
            return T.PERCENT
        if a == T.MONEY:
            return T.MONEY
        if b == T.MONEY:
            raise UnitError(f"cannot divide {describe(a)} by money")
        if a == T.COUNT and b == T.COUNT:
            return T.PERCENT
        if a == T.PERCENT or b == T.PERCENT:
            return T.PERCENT
        return T.NUMBER
    raise UnitError(f"unknown operator {op}")  # pragma: no cover


def fits(actual: T, declared: T, value=None) -> bool:
    """Whether a constant of type actual (and value, if given) may stand for a value of type declared."""
    from decimal import Decimal

    if actual == declared:
        return True
    if declared == T.COUNT:
        whole = value is None or (isinstance(value, Decimal) and value == value.to_integral_value())
        return actual == T.NUMBER and whole
    if declared in (T.NUMBER, T.PERCENT):
        return actual in DIMENSIONLESS
    return False
