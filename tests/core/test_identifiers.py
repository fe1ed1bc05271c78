"""R-REG-9: IIN and BIN — 12 digits, the check digit (both weight rows), IIN digit 7, BIN digit 5.

Each refused number below has a CORRECT check digit, so it is refused only by the check the test
names (asserted first with ``check_digit``); without that check the number would pass.
"""

from __future__ import annotations

import pytest

from docflow.core.identifiers import (
    InvalidIdentifier,
    check_digit,
    is_valid_bin,
    is_valid_iin,
    validate_bin,
    validate_iin,
)


def has_right_check_digit(value: str) -> bool:
    return check_digit(value[:11]) == int(value[11])


def test_r_reg_9_the_rules_examples_are_valid():
    assert validate_iin("900101300811") == "900101300811"
    assert validate_bin("940140000385") == "940140000385"


@pytest.mark.parametrize(
    "iin",
    [
        "900101100004",
        "900101200000",
        "900101300007",
        "900101400003",
        "900101500009",
        "900101600006",
    ],
)
def test_r_reg_9_iin_7th_digit_1_to_6_is_accepted(iin):
    assert is_valid_iin(iin)


@pytest.mark.parametrize("iin", ["900101000008", "900101700002", "900101800009", "900101900005"])
def test_r_reg_9_iin_7th_digit_outside_1_to_6_is_refused(iin):
    assert has_right_check_digit(iin)
    with pytest.raises(InvalidIdentifier, match="7th digit must be 1 to 6"):
        validate_iin(iin)
    assert not is_valid_iin(iin)


@pytest.mark.parametrize("bin_", ["940140000018", "940150000012", "940160000017"])
def test_r_reg_9_bin_5th_digit_4_5_or_6_is_accepted(bin_):
    assert is_valid_bin(bin_)


@pytest.mark.parametrize("bin_", ["940100000005", "940130000003", "940170000001", "940180000006"])
def test_r_reg_9_bin_5th_digit_other_than_4_5_6_is_refused(bin_):
    assert has_right_check_digit(bin_)
    with pytest.raises(InvalidIdentifier, match="5th digit must be 4, 5 or 6"):
        validate_bin(bin_)
    assert not is_valid_bin(bin_)


def test_r_reg_9_check_digit_from_the_second_weight_row():
    # 900101300811: weights 1..11 give 10, so the second row (3..11, 1, 2) gives the digit 1.
    assert sum(int(d) * w for d, w in zip("90010130081", range(1, 12), strict=True)) % 11 == 10
    assert check_digit("90010130081") == 1
    assert is_valid_iin("900101300811")


def test_r_reg_9_both_weight_rows_giving_10_make_the_number_invalid():
    # 10 with both rows: no last digit can be right.
    assert check_digit("90010130080") is None
    for last in "0123456789":
        with pytest.raises(InvalidIdentifier, match="check digit"):
            validate_iin("90010130080" + last)


@pytest.mark.parametrize("wrong", ["900101300812", "900101300810", "940140000386"])
def test_r_reg_9_a_wrong_check_digit_is_refused(wrong):
    validate = validate_bin if wrong.startswith("9401") else validate_iin
    with pytest.raises(InvalidIdentifier, match="check digit does not match"):
        validate(wrong)


@pytest.mark.parametrize("value", ["90010130081", "9001013008110", "90010130081a", ""])
def test_r_reg_9_exactly_12_digits(value):
    with pytest.raises(InvalidIdentifier, match="exactly 12 digits"):
        validate_iin(value)
    with pytest.raises(InvalidIdentifier, match="exactly 12 digits"):
        validate_bin(value)


def test_r_reg_9_spaces_are_ignored():
    assert validate_iin(" 900101 300811 ") == "900101300811"


def test_r_reg_9_iin_first_six_digits_are_a_birth_date():
    assert has_right_check_digit("900230300009")  # 30 February
    with pytest.raises(InvalidIdentifier, match="birth date"):
        validate_iin("900230300009")


def test_r_reg_9_bin_digits_3_4_are_a_month():
    assert has_right_check_digit("941340000008")  # month 13
    with pytest.raises(InvalidIdentifier, match="month"):
        validate_bin("941340000008")
