"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100): domain/identifiers.py."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.divisions import DIVISIONS, NATIONAL
from domain.enums import SubjectKind
from domain.identifiers import (
    CREDIT_CODE_ALPHABET,
    REGISTRATION_AUTHORITIES,
    IdentifierFault,
    InvalidIdentifier,
    credit_code_check_char,
    mask_resident_id,
    mask_subject_code,
    organisation_code_check_char,
    reads_as_resident_id,
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
# A resident ID (131101: Hengshui's 市辖区) that is also a valid credit code (authority 1, category 3,
# division 110119: Yanqing; organisation code 90010142-1; both check characters coincide).
BOTH_KINDS = "131101199001014213"
# The resident ID of issue 11: an impossible birth date (1977-02-30), stored as an organisation.
ISSUE_11 = "371002197702301020"

DIGITS = "0123456789"
RESIDENT_CHARS = DIGITS + "X"


# --- strategies -----------------------------------------------------------------------------


SORTED_DIVISIONS = sorted(DIVISIONS)
AUTHORITY_CATEGORY = sorted(a + c for a, (_, categories) in REGISTRATION_AUTHORITIES.items() for c in categories)


@st.composite
def resident_ids(draw) -> str:
    division = draw(st.sampled_from(SORTED_DIVISIONS))
    born = draw(st.dates(date(1900, 1, 1), date(2020, 12, 31)))
    sequence = draw(st.text(DIGITS, min_size=3, max_size=3))
    first17 = division + born.strftime("%Y%m%d") + sequence
    return first17 + resident_id_check_char(first17)


@st.composite
def credit_codes(draw) -> str:
    organisation = draw(st.text(CREDIT_CODE_ALPHABET, min_size=8, max_size=8))
    first17 = (
        draw(st.sampled_from(AUTHORITY_CATEGORY))
        + draw(st.sampled_from(SORTED_DIVISIONS + [NATIONAL]))
        + organisation
        + organisation_code_check_char(organisation)
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
def test_credit_codes_are_organisations_unless_they_read_as_resident_ids(code):
    if not reads_as_resident_id(code):
        assert validate_subject_code(code) == (code, ORG)
        return
    try:  # judged as a resident ID only: a person if valid as one, else refused as one
        validate_resident_id(code)
    except InvalidIdentifier:
        assert _raises(validate_subject_code, code).kind is PERSON
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
    assert error.fault in {IdentifierFault.CHARACTER, IdentifierFault.DIVISION, IdentifierFault.DATE,
                           IdentifierFault.CHECK_DIGIT}
    if error.fault is IdentifierFault.CHARACTER:
        assert error.position == position
    if error.fault is IdentifierFault.DIVISION:
        assert (error.position, position <= 6) == (1, True)
    if 7 <= position <= 14 and error.fault is not IdentifierFault.CHARACTER:
        assert error.fault in {IdentifierFault.DATE, IdentifierFault.CHECK_DIGIT}


# The positions each rule of GB 32100 looks at, by the position its refusal names.
CREDIT_CODE_RULE_SPANS = {1: {1}, 2: {1, 2}, 3: set(range(3, 9)), 17: set(range(9, 18)), 18: set(range(1, 19))}


@given(st.data(), credit_codes())
def test_any_single_change_of_a_credit_code_fails(data, code):
    changed, position = _mutate(data.draw, code, CREDIT_CODE_ALPHABET)
    with pytest.raises(InvalidIdentifier) as caught:
        validate_credit_code(changed)
    error = caught.value
    assert error.kind is ORG
    if error.fault is IdentifierFault.CHARACTER:
        assert error.position == position
    else:
        expected_fault = {2: IdentifierFault.CATEGORY, 3: IdentifierFault.DIVISION}.get(
            error.position, IdentifierFault.CHECK_DIGIT)
        assert error.fault is expected_fault
        assert position in CREDIT_CODE_RULE_SPANS[error.position]


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
    error = _raises(validate_credit_code, "91110108MA01ABCD5X")
    assert (error.fault, error.position) == (IdentifierFault.CHECK_DIGIT, 18)
    assert str(error) == (
        "91110108MA01ABCD5X is not a valid unified social credit code: check character is X, expected T"
    )
    assert error.message_zh == "统一社会信用代码校验位错误"


def test_credit_code_check_char_zero():
    """A weighted sum divisible by 31 gives 31, which the standard writes as 0."""
    for serial in range(10_000):
        organisation = f"{serial:08d}"
        candidate = "91350100" + organisation + organisation_code_check_char(organisation)
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
    first17 = "12100000400000042"  # positions 7-14 "00400000" are no date; organisation code 40000004-2
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


# --- structure decides the kind: a person's number is never an organisation's (issue 11) -----


def _credit_code(authority_category: str, division: str, organisation: str) -> str:
    """A credit code right in every respect but those the arguments get wrong."""
    first17 = authority_category + division + organisation + organisation_code_check_char(organisation)
    return first17 + credit_code_check_char(first17)


def test_issue_11_resident_id_with_an_impossible_birth_date_is_refused_as_a_resident_id():
    error = _raises(validate_subject_code, ISSUE_11)
    assert (error.kind, error.fault, error.position) == (PERSON, IdentifierFault.DATE, 7)
    assert str(error) == ("371002197702301020 is not a valid resident ID number: birth date 19770230 at "
                          "positions 7-14 is not a real date (1977-02-30 does not exist)")
    assert error.masked_message == ("371002********1020 is not a valid resident ID number: the birth date at "
                                    "positions 7-14 is not a real date (check its year, month and day)")
    assert error.message_zh == "公民身份号码出生日期无效"
    # and as a credit code it breaks GB 32100's structure too: no authority assigns category 7
    assert (_raises(validate_credit_code, ISSUE_11).fault, _raises(validate_credit_code, ISSUE_11).position) == (
        IdentifierFault.CHARACTER, 2)


def test_a_valid_credit_code_that_reads_as_a_resident_id_is_judged_as_one():
    """Right under every GB 32100 rule, but it reads as a resident ID born on 1990-02-30: refused as one."""
    code = _credit_code("13", "110119", "90023012")
    assert validate_credit_code(code) == code
    assert reads_as_resident_id(code)
    error = _raises(validate_subject_code, code)
    assert (error.kind, error.fault) == (PERSON, IdentifierFault.DATE)
    assert "credit code" not in error.masked_message and "19900230" not in error.masked_message
    assert validate_subject_code(code, ORG) == (code, ORG)  # unless the caller says it is an organisation


@given(st.data(), resident_ids())
def test_no_single_change_turns_a_resident_id_into_anything_but_a_refused_resident_id(data, code):
    changed, position = _mutate(data.draw, code, RESIDENT_CHARS + "ABCDEFGHJKLMNPQRTUWY")
    assert reads_as_resident_id(changed)
    error = _raises(validate_subject_code, changed)
    assert error.kind is PERSON
    masked = error.masked_message
    assert masked.startswith(mask_resident_id(changed) + " is not a valid resident ID number: ")
    assert "credit code" not in masked and changed[6:14] not in masked and code[6:14] not in masked


@pytest.mark.parametrize("code, expected", [
    (STANDARD_ID, True), (ISSUE_11, True), (BOTH_KINDS, True),
    ("371002197713451020", True),  # no month or day, but a division code and a century
    ("999999197702301020", True),  # no division code, but a century, a month and a day
    ("99999919770230X020", True),  # one character that is not a digit
    ("37100219770230102B", True),  # a check character that is neither a digit nor X
    ("99999919771345102X", False),  # only a century
    ("3710021977023010AB", False),  # two characters out of place
    ("37100219770230AB20", False),
    (STANDARD_USCC, False), ("91330100799655058B", False), ("3710021977023010", False),
])
def test_what_reads_as_a_resident_id(code, expected):
    assert reads_as_resident_id(code) is expected


# --- GB 32100's structure -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [
    "91330100799655058B",  # as published on business licences: Hangzhou (330100), organisation code 79965505-8
    "9144030071526726XG",  # Shenzhen (440300), organisation code 71526726-X
    STANDARD_USCC,
])
def test_published_credit_codes_pass(code):
    assert validate_subject_code(code) == (code, ORG)


def test_organisation_code_check_char_examples():
    assert organisation_code_check_char("D2143569") == "X"  # GB 11714's own example: D2143569-X
    assert organisation_code_check_char("79965505") == "8"
    assert organisation_code_check_char("M000100Y") == "4"  # inside STANDARD_USCC
    with pytest.raises(ValueError):
        organisation_code_check_char("D214356")


@pytest.mark.parametrize("pair", AUTHORITY_CATEGORY)
def test_every_category_an_authority_assigns_is_accepted(pair):
    code = _credit_code(pair, "371002", "MA000001")
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("pair, allowed", [
    ("65", "1, 2, 9"), ("94", "1, 2, 3"), ("99", "1, 2, 3"), ("24", "1, 9"), ("Y2", "1"), ("A3", "1, 9"),
    ("N5", "1, 2, 3, 9"), ("14", "1, 2, 3, 9"),
])
def test_a_category_its_authority_does_not_assign_is_refused_naming_both(pair, allowed):
    code = _credit_code(pair, "371002", "MA000001")
    error = _raises(validate_credit_code, code)
    assert (error.fault, error.position) == (IdentifierFault.CATEGORY, 2)
    name = REGISTRATION_AUTHORITIES[pair[0]][0]
    assert str(error) == (f"{code} is not a valid unified social credit code: category {pair[1]!r} at position 2 "
                          f"is not one that registration authority {pair[0]!r} ({name}) assigns: it assigns "
                          f"{allowed} (GB 32100)")
    assert error.message_zh == "统一社会信用代码机构类别代码与登记管理部门不符"


@pytest.mark.parametrize("division", ["999999", "371099", "000000", "370000"[:4] + "99"])
def test_a_division_code_not_on_the_list_is_refused(division):
    assert division not in DIVISIONS
    code = _credit_code("91", division, "MA000001")
    error = _raises(validate_credit_code, code)
    assert (error.fault, error.position) == (IdentifierFault.DIVISION, 3)
    assert f"division code {division} at positions 3-8 is not an administrative division code" in str(error)
    assert error.message_zh == "统一社会信用代码行政区划代码无效"


@pytest.mark.parametrize("division", [
    "370221",  # 崂山县, retired in 1988: codes issued under it stay valid
    "371002",  # 环翠区
    NATIONAL,  # 100000: central registration authorities
])
def test_current_retired_and_national_divisions_are_accepted(division):
    code = _credit_code("12", division, "40000004")
    assert validate_credit_code(code) == code


def test_the_organisation_codes_own_check_character_is_checked():
    first16 = "91371002MA000001"
    right = organisation_code_check_char("MA000001")
    wrong = "0" if right != "0" else "1"
    code = first16 + wrong + credit_code_check_char(first16 + wrong)  # the last check character is right
    error = _raises(validate_credit_code, code)
    assert (error.fault, error.position) == (IdentifierFault.CHECK_DIGIT, 17)
    assert str(error).endswith(f"the organisation code's check character (position 17, GB 11714) is {wrong}, "
                               f"expected {right}")


# --- resident IDs' division code ----------------------------------------------------------------


def _resident_id(first14: str, sequence: str = "002") -> str:
    first17 = first14 + sequence
    return first17 + resident_id_check_char(first17)


def test_a_resident_id_division_code_not_on_the_list_is_refused():
    code = _resident_id("11111119900101")
    error = _raises(validate_subject_code, code)
    assert (error.kind, error.fault, error.position) == (PERSON, IdentifierFault.DIVISION, 1)
    assert "division code 111111 at positions 1-6 is not an administrative division code" in str(error)
    assert error.masked_message.startswith("111111********")
    assert error.message_zh == "公民身份号码行政区划代码无效"


@pytest.mark.parametrize("first6", [
    "370221",  # 崂山县 (retired 1988): a number issued then keeps it for life
    "810000", "820000", "830000",  # residence permits of Hong Kong, Macao and Taiwan residents
    "937840",  # foreign permanent resident ID (2023): 9, issued in Shandong (37), nationality 840
])
def test_retired_divisions_residence_permits_and_foreign_permanent_resident_ids_are_persons(first6):
    code = _resident_id(first6 + "19700101")
    assert validate_subject_code(code) == (code, PERSON)


def test_a_foreign_permanent_resident_id_needs_a_province():
    code = _resident_id("999840" + "19700101")
    assert _raises(validate_resident_id, code).fault is IdentifierFault.DIVISION


# --- masking what may be a person's -------------------------------------------------------------


def test_a_number_one_digit_short_is_masked_when_its_kind_is_unknown():
    error = _raises(validate_subject_code, STANDARD_ID[:17])
    assert (error.kind, error.fault) == (None, IdentifierFault.LENGTH)
    assert error.masked_message == ("110105*******1002 is not a valid resident ID number or unified social "
                                    "credit code: length is 17, expected 18")


def test_a_resident_id_given_as_a_credit_code_is_masked():
    error = _raises(validate_subject_code, STANDARD_ID, kind=ORG)
    assert error.fault is IdentifierFault.KIND
    assert error.masked_message == ("110105********002X is not a valid unified social credit code: "
                                    "it is a resident ID number")


def test_masked_message_pickles():
    error = _raises(validate_subject_code, ISSUE_11)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.masked_message == error.masked_message
