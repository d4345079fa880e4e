"""Harvest v1 currency display names -> ISO 4217 codes (research §4).

v1 sends `"United States Dollars - USD"`, and renamed the display part several times
(`Dollars` -> `Dollar`, `EURO` -> `Euro`, `Canada Dollar` -> `Canadian Dollar`), so only the code
after the last `" - "` (or en dash) is trusted. Codes withdrawn since (CYP, EEK, LVL, ZMK, …) are
mapped to their successor explicitly; what a caller does with that (a client's currency can move,
an invoice's amounts cannot) is the caller's decision, so `resolve` only reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.errors import UnknownCurrency

# ISO 4217 codes in circulation (2024). v2 takes "the code in any currency field".
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD
    XOF XPF YER ZAR ZMW ZWL
"""
ACTIVE = frozenset(_CODES.split())

# Withdrawn codes Harvest v1 still listed (Harvest.Net's 2014 enum), with what replaced them.
OBSOLETE: dict[str, str] = {
    "CYP": "EUR",  # Cyprus, 2008
    "EEK": "EUR",  # Estonia, 2011
    "HRK": "EUR",  # Croatia, 2023
    "LTL": "EUR",  # Lithuania, 2015
    "LVL": "EUR",  # Latvia, 2014
    "MTL": "EUR",  # Malta, 2008
    "SIT": "EUR",  # Slovenia, 2007
    "SKK": "EUR",  # Slovakia, 2009
    "VEB": "VES",  # Venezuela: VEB -> VEF (2008) -> VES (2018), each a redenomination
    "VEF": "VES",
    "ZMK": "ZMW",  # Zambia, 2013 (1000:1)
    "GHC": "GHS",
    "ROL": "RON",
    "TRL": "TRY",
    "MZM": "MZN",
    "SDD": "SDG",
    "AZM": "AZN",
    "CSD": "RSD",
    "MRO": "MRU",
    "STD": "STN",
    "BYR": "BYN",
    "ZWD": "ZWL",
}

_SEPARATOR = re.compile(r"\s[-\u2013]\s")  # " - " or " – " (en dash)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The code to send, and the withdrawn code it replaces (None when the code is current)."""

    code: str
    replaced: str | None = None


def resolve(display: str) -> Resolved:
    """`"United States Dollars - USD"` -> `Resolved("USD")`; `"Latvia Lati - LVL"` -> `Resolved("EUR", "LVL")`.

    Raises `UnknownCurrency` when no known code can be found.
    """
    text = display.strip()
    parts = _SEPARATOR.split(text)
    candidate = parts[-1].strip().upper() if len(parts) > 1 else text.upper()
    if candidate in ACTIVE:
        return Resolved(candidate)
    if candidate in OBSOLETE:
        return Resolved(OBSOLETE[candidate], replaced=candidate)
    raise UnknownCurrency(f"{display!r} has no ISO 4217 code after its last ' - '")
