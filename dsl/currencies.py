"""ISO 4217 active currency codes and their minor units.

The table is ISO 4217's list of active codes (fund codes such as CLF and UYI
included, precious metals and testing codes excluded), kept here rather than
read from locale data so that the rounding
of a payout never depends on a library's version.  Every code not listed
under ZERO, THREE or FOUR has two decimal places.
"""

from __future__ import annotations

ACTIVE = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())

ZERO = frozenset("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split())
THREE = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
FOUR = frozenset("CLF UYW".split())


def is_currency(code: str) -> bool:
    return code in ACTIVE


def currency_digits(code: str | None) -> int:
    """Digits after the decimal point in the currency's minor unit (USD 2, JPY 0, BHD 3)."""
    if code in ZERO:
        return 0
    if code in THREE:
        return 3
    if code in FOUR:
        return 4
    return 2
