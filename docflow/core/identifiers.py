"""Kazakhstan individual (IIN) and business (BIN) identification numbers, R-REG-9.

12 digits; the last is a check digit: weights 1..11 over the first 11 digits, sum mod 11; if that
is 10, weights 3,4,5,6,7,8,9,10,11,1,2; if 10 again the number is invalid.
IIN: digits 1-6 are the birth date YYMMDD, digit 7 the century and sex (1-6).
BIN: digits 1-4 registration YYMM, digit 5 the type: 4 resident, 5 non-resident legal entity,
6 individual entrepreneur (joint venture).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

WEIGHTS_1 = tuple(range(1, 12))
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


class InvalidIdentifier(ValueError):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def check_digit(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    for weights in (WEIGHTS_1, WEIGHTS_2):
        value = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if value != 10:
            return value
    return None


def _base(value: str, label) -> str:
    value = (value or "").strip().replace(" ", "")
    if len(value) != 12 or not value.isdigit():
        raise InvalidIdentifier(_l("%(label)s must have exactly 12 digits.", label=label))
    expected = check_digit(value[:11])
    if expected is None or expected != int(value[11]):
        raise InvalidIdentifier(
            _l("%(label)s is not valid: its check digit does not match.", label=label)
        )
    return value


def validate_iin(value: str) -> str:
    """Return the normalised IIN or raise ``InvalidIdentifier`` with a readable message."""
    value = _base(value, _l("The IIN"))
    century_sex = int(value[6])
    if not 1 <= century_sex <= 6:
        raise InvalidIdentifier(_l("The IIN is not valid: its 7th digit must be 1 to 6."))
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century_sex]
    try:
        dt.date(century + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise InvalidIdentifier(
            _l("The IIN is not valid: its first six digits are not a birth date.")
        ) from None
    return value


def validate_bin(value: str) -> str:
    value = _base(value, _l("The BIN"))
    if not 1 <= int(value[2:4]) <= 12:
        raise InvalidIdentifier(_l("The BIN is not valid: digits 3-4 must be a month."))
    if value[4] not in "456":
        raise InvalidIdentifier(_l("The BIN is not valid: its 5th digit must be 4, 5 or 6."))
    return value


def is_valid_iin(value: str) -> bool:
    try:
        validate_iin(value)
    except InvalidIdentifier:
        return False
    return True


def is_valid_bin(value: str) -> bool:
    try:
        validate_bin(value)
    except InvalidIdentifier:
        return False
    return True


def mask(value: str | None) -> str | None:
    """For logs and lists: R-PD-1 keeps identifiers out of logs; show only the last 4 digits."""
    if not value:
        return value
    return "•" * (len(value) - 4) + value[-4:]
