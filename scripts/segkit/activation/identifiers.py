"""Identifiers as ad platforms and CRMs match on them: normalized, then optionally hashed.

Normalization is the part channels are strict about (Google Customer Match, Meta Custom Audiences,
LinkedIn): an email is trimmed and lowercased, a phone is E.164 (``+`` and 8 to 15 digits), and a
hash is the SHA-256 hex digest of the normalized text. A value that cannot be normalized is
``None``: the profile is then skipped for that identifier, never sent with a guess.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

NORMALIZATIONS = ("email", "phone", "trim", "none")
HASHES = ("sha256", "none")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def normalize_email(value: str) -> str | None:
    """Trimmed and lowercased; None when it is not an address.

    >>> normalize_email("  Ana.Lopez@Example.COM ")
    'ana.lopez@example.com'
    >>> normalize_email("not an email") is None
    True
    """
    email = value.strip().lower()
    return email if _EMAIL.match(email) else None


def normalize_phone(value: str, country_code: str | None = None) -> str | None:
    """E.164: ``+`` then the country code and number, 8 to 15 digits in all.

    A number written without its country (``612 345 678``) takes ``country_code`` after its
    national trunk prefix ``0`` is dropped; without one it cannot be placed and is None.

    >>> normalize_phone("+34 612-345-678"), normalize_phone("0034 612 345 678")
    ('+34612345678', '+34612345678')
    >>> normalize_phone("(0)20 7946 0958", country_code="44")
    '+442079460958'
    >>> normalize_phone("612 345 678") is None, normalize_phone("+34 abc") is None
    (True, True)
    """
    phone = _PHONE_PUNCTUATION.sub("", value.strip())
    if phone.startswith("+"):
        digits = phone[1:]
    elif phone.startswith("00"):
        digits = phone[2:]
    elif country_code is not None:
        digits = country_code + phone.removeprefix("0")
    else:
        return None
    if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return "+" + digits


def identifier_value(
    raw: Any, normalize: str, hash_with: str, country_code: str | None = None
) -> str | None:
    """The value a channel receives for one identifier, or None when the profile has none.

    >>> identifier_value(" Ana@Example.com", "email", "sha256")[:16]
    '8e43ca37701228e7'
    >>> identifier_value(42, "trim", "none"), identifier_value("  ", "trim", "none")
    ('42', None)
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    if normalize == "email":
        value = normalize_email(text)
    elif normalize == "phone":
        value = normalize_phone(text, country_code)
    elif normalize == "trim":
        value = text.strip() or None
    else:
        value = text or None
    if value is None or hash_with == "none":
        return value
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
