"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100): domain/identifiers.py."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.enums import SubjectKind
from domain.identifiers import (
    CREDIT_CODE_ALPHABET,
    IdentifierFault,
    InvalidIdentifier,
    credit_code_check_char,
    mask_resident_id,
    mask_subject_code,
    resident_id_check_char,
    validate_credit_code,
    validate_resident_id,
    validate_subject_code,
)

PERSON = SubjectKind.NATURAL_PERSON
ORG = SubjectKind.ORGANISATION

# The worked examples printed in GB 11643-1999 itself.
STANDARD_ID = "11010519491231002X"
STANDARD_ID_1880 = "440524188001010014"  # born 1880: well formed, but before 1900
# The example commonly quoted for GB 32100 (check character computed by the rule, and matching).
STANDARD_USCC = "91350100M000100Y43"
# 17 digits whose MOD 11-2 and MOD 31 check characters coincide: a valid code of both kinds.
BOTH_KINDS = "110105199001010299"

DIGITS = "0123456789"
RESIDENT_CHARS = DIGITS + "X"


# --- strategies -----------------------------------------------------------------------------


@st.composite
def resident_ids(draw) -> str:
    division = draw(st.sampled_from("123456789")) + draw(st.text(DIGITS, min_size=5, max_size=5))
    born = draw(st.dates(date(1900, 1, 1), date(2020, 12, 31)))
    sequence = draw(st.text(DIGITS, min_size=3, max_size=3))
    first17 = division + born.strftime("%Y%m%d") + sequence
    return first17 + resident_id_check_char(first17)


@st.composite
def credit_codes(draw) -> str:
    first17 = (
        draw(st.sampled_from("123456789ANY"))
        + draw(st.sampled_from(CREDIT_CODE_ALPHABET[1:]))
        + draw(st.text(DIGITS, min_size=6, max_size=6))
        + draw(st.text(CREDIT_CODE_ALPHABET, min_size=9, max_size=9))
    )
    return first17 + credit_code_check_char(first17)


def _mutate(draw, code: str, alphabet: str) -> tuple[str, int]:
    """Replace one position of `code` with a different character of `alphabet`."""
    index = draw(st.integers(0, len(code) - 1))
    replacement = draw(st.sampled_from([c for c in alphabet if c != code[index]]))
    return code[:index] + replacement + code[index + 1 :], index + 1


def _lower_ascii_randomly(draw, code: str) -> str:
    return "".join(c.lower() if draw(st.booleans()) else c for c in code)


# --- properties -----------------------------------------------------------------------------


@given(resident_ids())
def test_valid_resident_ids_pass(code):
    assert validate_resident_id(code) == code
    assert validate_subject_code(code) == (code, PERSON)
    assert validate_subject_code(code, PERSON) == (code, PERSON)


@given(credit_codes())
def test_valid_credit_codes_pass(code):
    assert validate_credit_code(code) == code
    assert validate_subject_code(code, ORG) == (code, ORG)


@given(credit_codes())
def test_credit_codes_are_organisations_unless_they_also_pass_as_resident_ids(code):
    try:
        validate_resident_id(code)
    except InvalidIdentifier:
        assert validate_subject_code(code) == (code, ORG)
    else:
        assert validate_subject_code(code) == (code, PERSON)


@given(st.data(), resident_ids())
def test_resident_ids_round_trip_normalised(data, code):
    messy = " \t" + _lower_ascii_randomly(data.draw, code) + "\n "
    assert validate_resident_id(messy) == code
    assert validate_subject_code(messy) == (code, PERSON)


@given(st.data(), credit_codes())
def test_credit_codes_round_trip_normalised(data, code):
    messy = "  " + _lower_ascii_randomly(data.draw, code) + "\t"
    assert validate_credit_code(messy) == code


@given(st.data(), resident_ids())
def test_any_single_change_of_a_resident_id_fails(data, code):
    changed, position = _mutate(data.draw, code, RESIDENT_CHARS)
    with pytest.raises(InvalidIdentifier) as caught:
        validate_resident_id(changed)
    error = caught.value
    assert error.code == changed
    assert error.kind is PERSON
    assert error.fault in {IdentifierFault.CHARACTER, IdentifierFault.DATE, IdentifierFault.CHECK_DIGIT}
    if error.fault is IdentifierFault.CHARACTER:
        assert error.position == position
    if 7 <= position <= 14 and error.fault is not IdentifierFault.CHARACTER:
        assert error.fault in {IdentifierFault.DATE, IdentifierFault.CHECK_DIGIT}


@given(st.data(), credit_codes())
def test_any_single_change_of_a_credit_code_fails(data, code):
    changed, position = _mutate(data.draw, code, CREDIT_CODE_ALPHABET)
    with pytest.raises(InvalidIdentifier) as caught:
        validate_credit_code(changed)
    error = caught.value
    assert error.kind is ORG
    assert error.fault in {IdentifierFault.CHARACTER, IdentifierFault.CHECK_DIGIT}
    assert error.position in {position, 18}


@given(resident_ids())
def test_resident_id_check_char_is_the_one_validation_expects(code):
    assert resident_id_check_char(code[:17]) == code[17]


@given(resident_ids())
def test_masking_keeps_division_and_last_four(code):
    masked = mask_resident_id(code)
    assert masked == code[:6] + "*" * 8 + code[-4:]
    assert mask_subject_code(code, PERSON) == masked


# --- resident ID examples -------------------------------------------------------------------


def test_standard_examples_check_characters():
    assert resident_id_check_char(STANDARD_ID[:17]) == "X"
    assert resident_id_check_char(STANDARD_ID_1880[:17]) == "4"
    assert credit_code_check_char(STANDARD_USCC[:17]) == "3"


def test_standard_resident_id_with_lower_case_x_is_accepted_and_normalised():
    assert validate_resident_id("11010519491231002x") == STANDARD_ID
    assert validate_resident_id(f"  {STANDARD_ID.lower()} ") == STANDARD_ID


def _raises(validate, code, **kwargs) -> InvalidIdentifier:
    with pytest.raises(InvalidIdentifier) as caught:
        validate(code, **kwargs)
    return caught.value


@pytest.mark.parametrize("code, length", [("", 0), ("11010519491231002", 17), (STANDARD_ID + "1", 19)])
def test_resident_id_length(code, length):
    error = _raises(validate_resident_id, code)
    assert error.fault is IdentifierFault.LENGTH
    assert error.position is None
    assert str(error).endswith(f"is not a valid resident ID number: length is {length}, expected 18")
    assert error.message_zh == "公民身份号码长度错误"


def test_resident_id_letter_in_body():
    error = _raises(validate_resident_id, "1101051949123A002X")
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 14)
    assert str(error) == (
        "1101051949123A002X is not a valid resident ID number: character 'A' at position 14 is not a digit"
    )
    assert error.message_zh == "公民身份号码含有非法字符"


def test_resident_id_x_only_as_check_character():
    error = _raises(validate_resident_id, "X10105194912310021")
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 1)


def test_resident_id_bad_check_character():
    error = _raises(validate_resident_id, "11010519491231002Y")
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 18)
    assert "check character 'Y' at position 18 must be a digit or X" in str(error)


def test_resident_id_non_ascii_digits_are_not_digits():
    error = _raises(validate_resident_id, "١1010519491231002X")  # Arabic-Indic one
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 1)


def test_resident_id_division_cannot_start_with_zero():
    first17 = "01010519491231002"
    error = _raises(validate_resident_id, first17 + resident_id_check_char(first17))
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 1)
    assert "administrative division code" in str(error)


def _with_birth_date(yyyymmdd: str) -> str:
    first17 = "110105" + yyyymmdd + "002"
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize("yyyymmdd", ["20230230", "19491301", "19490000", "19000229"])
def test_resident_id_impossible_birth_date(yyyymmdd):
    error = _raises(validate_resident_id, _with_birth_date(yyyymmdd))
    assert (error.fault, error.position) == (IdentifierFault.DATE, 7)
    assert f"birth date {yyyymmdd} at positions 7-14 is not a real date" in str(error)
    assert error.message_zh == "公民身份号码出生日期无效"


def test_resident_id_leap_day_is_a_real_date():
    code = _with_birth_date("20000229")
    assert validate_resident_id(code) == code


def test_resident_id_birth_date_before_1900():
    error = _raises(validate_resident_id, STANDARD_ID_1880)
    assert error.fault is IdentifierFault.DATE
    assert "birth date 18800101 is before 1900" in str(error)


def test_resident_id_birth_date_in_the_future_of_today():
    code = _with_birth_date("20200101")
    assert validate_resident_id(code, today=date(2020, 1, 1)) == code
    error = _raises(validate_resident_id, code, today=date(2019, 12, 31))
    assert error.fault is IdentifierFault.DATE
    assert "birth date 20200101 is in the future" in str(error)


def test_resident_id_check_digit():
    error = _raises(validate_resident_id, "110105194912310021")
    assert (error.fault, error.position) == (IdentifierFault.CHECK_DIGIT, 18)
    assert str(error) == (
        "110105194912310021 is not a valid resident ID number: check character is 1, expected X"
    )
    assert error.message_zh == "公民身份号码校验位错误"


# --- unified social credit code examples ----------------------------------------------------


def test_standard_credit_code_and_lower_case():
    assert validate_credit_code(STANDARD_USCC) == STANDARD_USCC
    assert validate_credit_code(" 91350100m000100y43 ") == STANDARD_USCC
    assert validate_subject_code(STANDARD_USCC) == (STANDARD_USCC, ORG)


def test_credit_code_length():
    error = _raises(validate_credit_code, STANDARD_USCC[:17])
    assert error.fault is IdentifierFault.LENGTH
    assert str(error) == "91350100M000100Y4 is not a valid unified social credit code: length is 17, expected 18"
    assert error.message_zh == "统一社会信用代码长度错误"


@pytest.mark.parametrize("letter", "IOSVZ")
def test_credit_code_excluded_letters(letter):
    code = "91350100M0" + letter + "0100Y43"
    error = _raises(validate_credit_code, code)
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 11)
    assert str(error) == (
        f"{code} is not a valid unified social credit code: character {letter!r} at position 11 "
        "is not allowed (GB 32100 excludes I, O, S, V, Z)"
    )
    assert error.message_zh == "统一社会信用代码含有非法字符"


def test_credit_code_lower_case_excluded_letter_is_still_excluded():
    error = _raises(validate_credit_code, "91350100m0i0100y43")
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 11)
    assert "character 'I' at position 11" in str(error)


def test_credit_code_punctuation():
    error = _raises(validate_credit_code, "91350100-000100Y43")
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, 9)
    assert str(error).endswith("character '-' at position 9 is not allowed")


@pytest.mark.parametrize(
    "code, position, words",
    [
        ("B1350100M000100Y43", 1, "not a registration authority code"),
        ("90350100M000100Y43", 2, "not an organisation category"),
        ("9135A100M000100Y43", 5, "is not a digit (positions 3-8 are the division code)"),
    ],
)
def test_credit_code_positional_characters(code, position, words):
    error = _raises(validate_credit_code, code)
    assert (error.fault, error.position) == (IdentifierFault.CHARACTER, position)
    assert words in str(error)


@pytest.mark.parametrize("authority", "123456789ANY")
def test_every_registration_authority_is_accepted(authority):
    first17 = authority + STANDARD_USCC[1:17]
    code = first17 + credit_code_check_char(first17)
    assert validate_credit_code(code) == code


def test_credit_code_check_digit():
    error = _raises(validate_credit_code, "91110108MA01ABCD1X")
    assert (error.fault, error.position) == (IdentifierFault.CHECK_DIGIT, 18)
    assert str(error) == (
        "91110108MA01ABCD1X is not a valid unified social credit code: check character is X, expected E"
    )
    assert error.message_zh == "统一社会信用代码校验位错误"


def test_credit_code_check_char_zero():
    """A weighted sum divisible by 31 gives 31, which the standard writes as 0."""
    first17 = "1" + "1" * 16
    for last in CREDIT_CODE_ALPHABET:
        candidate = first17[:16] + last
        if credit_code_check_char(candidate) == "0":
            assert validate_credit_code(candidate + "0") == candidate + "0"
            return
    pytest.fail("no candidate gave check character 0")


@pytest.mark.parametrize("bad", ["1234", "91350100M000100YI", "91350100M000100Y4" + "3"])
def test_check_char_helpers_reject_bad_input(bad):
    with pytest.raises(ValueError):
        credit_code_check_char(bad)
    with pytest.raises(ValueError):
        resident_id_check_char(bad)


# --- deciding the kind ----------------------------------------------------------------------


def test_kind_detection():
    assert validate_subject_code(STANDARD_ID) == (STANDARD_ID, PERSON)
    assert validate_subject_code("11010519491231002x") == (STANDARD_ID, PERSON)
    assert validate_subject_code(STANDARD_USCC) == (STANDARD_USCC, ORG)


def test_all_digit_credit_code_with_no_birth_date_is_an_organisation():
    first17 = "12100000400000001"  # positions 7-14 "00400000" are no date
    code = first17 + credit_code_check_char(first17)
    assert code.isdigit()
    assert validate_subject_code(code) == (code, ORG)


def test_code_valid_as_both_kinds_is_a_person_unless_told_otherwise():
    assert validate_resident_id(BOTH_KINDS) == validate_credit_code(BOTH_KINDS) == BOTH_KINDS
    assert validate_subject_code(BOTH_KINDS) == (BOTH_KINDS, PERSON)
    assert validate_subject_code(BOTH_KINDS, ORG) == (BOTH_KINDS, ORG)


def test_given_kind_that_does_not_match_raises_kind():
    error = _raises(validate_subject_code, STANDARD_USCC, kind=PERSON)
    assert (error.fault, error.kind, error.position) == (IdentifierFault.KIND, PERSON, None)
    assert str(error) == (
        "91350100M000100Y43 is not a valid resident ID number: it is a unified social credit code"
    )
    assert error.message_zh == "公民身份号码类型不符"

    error = _raises(validate_subject_code, STANDARD_ID, kind=ORG)
    assert (error.fault, error.kind) == (IdentifierFault.KIND, ORG)
    assert str(error).endswith("is not a valid unified social credit code: it is a resident ID number")


def test_given_kind_accepts_plain_strings():
    assert validate_subject_code(STANDARD_ID, "NATURAL_PERSON") == (STANDARD_ID, PERSON)


def test_given_kind_reports_the_specific_fault_when_valid_as_neither():
    error = _raises(validate_subject_code, "91350100M000100Y44", kind=ORG)
    assert (error.fault, error.kind) == (IdentifierFault.CHECK_DIGIT, ORG)
    error = _raises(validate_subject_code, "110105194912310021", kind=PERSON)
    assert (error.fault, error.kind) == (IdentifierFault.CHECK_DIGIT, PERSON)


def test_unknown_kind_reports_resident_id_error_when_only_its_check_character_is_wrong():
    error = _raises(validate_subject_code, "110105194912310021")
    assert (error.fault, error.kind) == (IdentifierFault.CHECK_DIGIT, PERSON)
    assert "expected X" in str(error)


def test_unknown_kind_reports_credit_code_error_otherwise():
    error = _raises(validate_subject_code, "91350100M000100Y44")
    assert (error.fault, error.kind) == (IdentifierFault.CHECK_DIGIT, ORG)
    error = _raises(validate_subject_code, "91350100M0I0100Y43")
    assert (error.fault, error.kind, error.position) == (IdentifierFault.CHARACTER, ORG, 11)


def test_unknown_kind_length_error():
    error = _raises(validate_subject_code, "12345")
    assert (error.fault, error.kind) == (IdentifierFault.LENGTH, None)
    assert str(error) == (
        "12345 is not a valid resident ID number or unified social credit code: length is 5, expected 18"
    )
    assert error.message_zh == "主体代码长度错误"


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        validate_subject_code(110105194912310021)  # type: ignore[arg-type]


# --- the exception and masking --------------------------------------------------------------


def test_invalid_identifier_is_a_value_error_with_all_attributes():
    error = _raises(validate_credit_code, " 91110108ma01abcd1x ")
    assert isinstance(error, ValueError)
    assert error.code == " 91110108ma01abcd1x "  # as given
    assert error.fault == "CHECK_DIGIT"  # a str enum
    assert str(error).startswith("91110108MA01ABCD1X is not")  # normalised in the message


def test_invalid_identifier_pickles():
    error = _raises(validate_credit_code, "91110108MA01ABCD1X")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.fault, copy.position, copy.message_zh) == (
        str(error), error.fault, error.position, error.message_zh,
    )


def test_long_input_is_not_repeated_in_full():
    error = _raises(validate_credit_code, "9" * 10_000)
    assert len(str(error)) < 200
    assert "length is 10000" in str(error)


def test_mask_examples():
    assert mask_resident_id(STANDARD_ID) == "110105********002X"
    assert mask_resident_id(" 11010519491231002x ") == "110105********002X"
    assert mask_subject_code(STANDARD_ID, PERSON) == "110105********002X"
    assert mask_subject_code(STANDARD_ID, "NATURAL_PERSON") == "110105********002X"
    assert mask_subject_code(STANDARD_USCC, ORG) == STANDARD_USCC


def test_mask_never_leaks_a_short_code():
    assert mask_resident_id("1101051949") == "**********"
    assert mask_resident_id("") == ""


def test_masked_message_hides_a_resident_id_but_not_an_organisation_code():
    person = "11010519491231002X"
    with pytest.raises(InvalidIdentifier) as caught:
        validate_resident_id(person[:17] + "1")
    assert person[:17] not in caught.value.masked_message
    assert "110105********0021" in caught.value.masked_message
    with pytest.raises(InvalidIdentifier) as caught:
        validate_credit_code("91350100M000100Y44")
    assert caught.value.masked_message == str(caught.value)
