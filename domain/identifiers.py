"""The two codes that name an information subject, and how to tell a real one from a typo.

A natural person is named by the 18-character citizen identity number of GB 11643-1999
(公民身份号码); a legal person or other organisation by the unified social credit code of
GB 32100-2015 (统一社会信用代码). Both end in a check character, so a single mistyped
character is always caught here, at the edge, instead of silently creating a second subject.

Every validator strips surrounding whitespace and upper-cases ASCII letters, and returns that
normalised form: it is the only form the rest of the gateway stores and compares.
"""

from __future__ import annotations

import re

import enum
from datetime import date

from domain.clock import china_today
from domain.enums import SubjectKind

__all__ = [
    "IdentifierFault",
    "InvalidIdentifier",
    "validate_resident_id",
    "validate_credit_code",
    "validate_subject_code",
    "resident_id_check_char",
    "credit_code_check_char",
    "mask_resident_id",
    "mask_subject_code",
]

CODE_LENGTH = 18

DIGITS = "0123456789"

# GB 11643: ISO 7064 MOD 11-2. Weight of position i (0-based) is 2^(17-i) mod 11; the
# remainder of the weighted sum indexes the check character.
_RESIDENT_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RESIDENT_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH_YEAR = 1900

# GB 32100: 31 characters, the Latin letters that look like digits or each other left out.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_EXCLUDED = "IOSVZ"
_CREDIT_CODE_VALUES = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}
# Weight of position i (0-based) is 3^i mod 31: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, ...
_CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Registration authorities: 1-9, A (军队), N (农业), Y (其他).
_REGISTRATION_AUTHORITIES = "123456789ANY"
# The organisation category (position 2) depends on the authority; any non-zero alphabet
# character is accepted rather than keeping a table that changes with each authority.
_CATEGORIES = CREDIT_CODE_ALPHABET[1:]

_MAX_SHOWN = 40  # an error message never repeats more of the input than this


class IdentifierFault(str, enum.Enum):
    """Why a code was rejected: lets a caller react (e.g. highlight a field) without parsing text."""

    LENGTH = "LENGTH"
    CHARACTER = "CHARACTER"
    DATE = "DATE"
    CHECK_DIGIT = "CHECK_DIGIT"
    KIND = "KIND"


_NAMES = {
    SubjectKind.NATURAL_PERSON: "resident ID number",
    SubjectKind.ORGANISATION: "unified social credit code",
    None: "resident ID number or unified social credit code",
}
_NAMES_ZH = {
    SubjectKind.NATURAL_PERSON: "公民身份号码",
    SubjectKind.ORGANISATION: "统一社会信用代码",
    None: "主体代码",
}
_FAULTS_ZH = {
    IdentifierFault.LENGTH: "长度错误",
    IdentifierFault.CHARACTER: "含有非法字符",
    IdentifierFault.DATE: "出生日期无效",
    IdentifierFault.CHECK_DIGIT: "校验位错误",
    IdentifierFault.KIND: "类型不符",
}


class InvalidIdentifier(ValueError):
    """A subject code that is not well formed.

    `code` is the input as given, `kind` what it was validated as (None: either kind),
    `fault` an IdentifierFault, `position` the 1-based position at fault or None, and
    `message_zh` a short Chinese message for end users. The English message (str(exc))
    repeats the normalised code, so mask it before logging if it may be a resident ID.
    """

    def __init__(
        self,
        code: str,
        kind: SubjectKind | None,
        fault: IdentifierFault,
        detail: str,
        position: int | None = None,
    ) -> None:
        shown = _normalise(code) or "''"
        if len(shown) > _MAX_SHOWN:
            shown = shown[:_MAX_SHOWN] + "…"
        super().__init__(f"{shown} is not a valid {_NAMES[kind]}: {detail}")
        self.code = code
        self.kind = kind
        self.fault = fault
        self.position = position
        self.detail = detail
        self.message_zh = _NAMES_ZH[kind] + _FAULTS_ZH[fault]

    @property
    def masked_message(self) -> str:
        """The message as it may be shown to others or logged: a resident ID number in it masked."""
        message = str(self)
        if self.kind is SubjectKind.NATURAL_PERSON:
            shown = _normalise(self.code)
            if shown:
                message = message.replace(shown, mask_resident_id(shown))
        return message

    def __reduce__(self):  # keep the exception picklable despite the custom signature
        return (type(self), (self.code, self.kind, self.fault, self.detail, self.position))


def _normalise(code: str) -> str:
    """Strip whitespace and upper-case ASCII only, so odd Unicode cannot change the length."""
    stripped = code.strip()
    if stripped.isascii():  # the usual case, done in C
        return stripped.upper()
    return "".join(c.upper() if c.isascii() else c for c in stripped)


def _require_str(code: object) -> str:
    if not isinstance(code, str):
        raise TypeError(f"a subject code must be a str, not {type(code).__name__}")
    return code


# --- resident ID numbers (GB 11643-1999) -------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character ('0'-'9' or 'X') for the first 17 digits of a resident ID."""
    if len(first17) != 17 or any(c not in DIGITS for c in first17):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS))
    return _RESIDENT_CHECK_CHARS[total % 11]


def validate_resident_id(code: str, *, today: date | None = None) -> str:
    """Return the normalised resident ID number, or raise InvalidIdentifier saying what is wrong.

    Checked in the order a person would fix them: length, characters, birth date (a real
    calendar date, from 1900 and not after `today`, by default today in China), then the check character. The division
    code is only checked for shape: the division table changes and old IDs keep old codes.
    """
    given = _require_str(code)
    value = _normalise(given)
    kind = SubjectKind.NATURAL_PERSON

    def fail(fault: IdentifierFault, detail: str, position: int | None = None) -> InvalidIdentifier:
        return InvalidIdentifier(given, kind, fault, detail, position)

    if len(value) != CODE_LENGTH:
        raise fail(IdentifierFault.LENGTH, f"length is {len(value)}, expected {CODE_LENGTH}")
    for pos, c in enumerate(value[:17], start=1):
        if c not in DIGITS:
            raise fail(IdentifierFault.CHARACTER, f"character {c!r} at position {pos} is not a digit", pos)
    if value[0] == "0":
        raise fail(
            IdentifierFault.CHARACTER,
            "character '0' at position 1 cannot start an administrative division code",
            1,
        )
    if value[17] not in _RESIDENT_CHECK_CHARS:
        raise fail(
            IdentifierFault.CHARACTER,
            f"check character {value[17]!r} at position 18 must be a digit or X",
            18,
        )

    digits = value[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise fail(IdentifierFault.DATE, f"birth date {digits} at positions 7-14 is not a real date", 7) from None
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise fail(IdentifierFault.DATE, f"birth date {digits} is before {_EARLIEST_BIRTH_YEAR}", 7)
    if born > (today or china_today()):
        raise fail(IdentifierFault.DATE, f"birth date {digits} is in the future", 7)

    expected = resident_id_check_char(value[:17])
    if value[17] != expected:
        raise fail(IdentifierFault.CHECK_DIGIT, f"check character is {value[17]}, expected {expected}", 18)
    return value


# --- unified social credit codes (GB 32100-2015) -----------------------------------------


# Every position allowed at once (an import checks thousands of codes; diagnosis is for bad ones).
_WELL_FORMED_CREDIT_CODE = re.compile(
    rf"^[{_REGISTRATION_AUTHORITIES}][{_CATEGORIES}][0-9]{{6}}[{CREDIT_CODE_ALPHABET}]{{10}}$")


def credit_code_check_char(first17: str) -> str:
    """The MOD 31 check character for the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(c not in _CREDIT_CODE_VALUES for c in first17):
        raise ValueError(f"expected 17 characters from {CREDIT_CODE_ALPHABET}, got {first17!r}")
    total = sum(_CREDIT_CODE_VALUES[c] * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _credit_code_character_fault(pos: int, c: str) -> str | None:
    """What is wrong with character `c` at 1-based position `pos`, or None if it may stand there."""
    if c not in _CREDIT_CODE_VALUES:
        if c in _CREDIT_CODE_EXCLUDED:
            return f"character {c!r} at position {pos} is not allowed (GB 32100 excludes I, O, S, V, Z)"
        return f"character {c!r} at position {pos} is not allowed"
    if pos == 1 and c not in _REGISTRATION_AUTHORITIES:
        return f"character {c!r} at position 1 is not a registration authority code (1-9, A, N, Y)"
    if pos == 2 and c not in _CATEGORIES:
        return f"character {c!r} at position 2 is not an organisation category"
    if 3 <= pos <= 8 and c not in DIGITS:
        return f"character {c!r} at position {pos} is not a digit (positions 3-8 are the division code)"
    return None


def validate_credit_code(code: str) -> str:
    """Return the normalised unified social credit code, or raise InvalidIdentifier.

    Checked in order: length, each character against what its position allows, check character.
    """
    given = _require_str(code)
    value = _normalise(given)
    kind = SubjectKind.ORGANISATION
    if len(value) != CODE_LENGTH:
        raise InvalidIdentifier(
            given, kind, IdentifierFault.LENGTH, f"length is {len(value)}, expected {CODE_LENGTH}"
        )
    if not _WELL_FORMED_CREDIT_CODE.match(value):  # only then look for the character to blame
        for pos, c in enumerate(value, start=1):
            detail = _credit_code_character_fault(pos, c)
            if detail:
                raise InvalidIdentifier(given, kind, IdentifierFault.CHARACTER, detail, pos)
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise InvalidIdentifier(
            given, kind, IdentifierFault.CHECK_DIGIT, f"check character is {value[17]}, expected {expected}", 18
        )
    return value


# --- either kind --------------------------------------------------------------------------


def validate_subject_code(
    code: str, kind: SubjectKind | None = None, *, today: date | None = None
) -> tuple[str, SubjectKind]:
    """Return (normalised code, kind of subject) for a resident ID or a unified social credit code.

    Without `kind`, a code that passes as a resident ID (17 digits, real birth date, MOD 11-2
    check) is a person and anything else is tried as a USCC; an all-digit USCC is an
    organisation unless it happens to pass every resident ID check as well. If neither passes,
    the error reported is a kind-less one for a wrong length, the resident ID one when the code
    has a resident ID's shape and birth date (so only its check character is wrong), else the
    USCC one.

    With `kind`, the code must be of that kind: a code valid only as the other kind raises
    fault KIND, any other code the fault found when validating it as `kind`.
    """
    given = _require_str(code)
    if kind is not None:
        kind = SubjectKind(kind)
        validate = _validator(kind, today)
        try:
            return validate(given), kind
        except InvalidIdentifier as wrong:
            other = _other(kind)
            try:
                _validator(other, today)(given)
            except InvalidIdentifier:
                raise wrong from None
            raise InvalidIdentifier(
                given, kind, IdentifierFault.KIND, f"it is a {_NAMES[other]}"
            ) from None

    if not given.strip()[:17].isdigit():  # cannot be a resident ID: no need to build that error
        try:
            return validate_credit_code(given), SubjectKind.ORGANISATION
        except InvalidIdentifier as as_organisation:
            if len(_normalise(given)) != CODE_LENGTH:
                raise InvalidIdentifier(given, None, as_organisation.fault, as_organisation.detail) from None
            raise
    try:
        return validate_resident_id(given, today=today), SubjectKind.NATURAL_PERSON
    except InvalidIdentifier as as_person:
        try:
            return validate_credit_code(given), SubjectKind.ORGANISATION
        except InvalidIdentifier as as_organisation:
            if as_person.fault is IdentifierFault.LENGTH:  # neither kind can be meant
                raise InvalidIdentifier(given, None, as_person.fault, as_person.detail) from None
            if as_person.fault is IdentifierFault.CHECK_DIGIT:
                raise as_person from None
            raise as_organisation from None


def _validator(kind: SubjectKind, today: date | None):
    if kind is SubjectKind.NATURAL_PERSON:
        return lambda code: validate_resident_id(code, today=today)
    return validate_credit_code


def _other(kind: SubjectKind) -> SubjectKind:
    if kind is SubjectKind.NATURAL_PERSON:
        return SubjectKind.ORGANISATION
    return SubjectKind.NATURAL_PERSON


# --- display ------------------------------------------------------------------------------


def mask_resident_id(code: str) -> str:
    """Hide the birth date and sequence number: `110105********002X`.

    The first 6 (division) and last 4 characters are enough for a person to recognise their
    own number without disclosing it. Display must never fail, so the code is not validated;
    a code too short to keep 10 characters and still hide something is masked entirely.
    """
    value = _normalise(_require_str(code))
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_subject_code(code: str, kind: SubjectKind) -> str:
    """Mask a person's code for display; an organisation's code is public and returned as is."""
    if SubjectKind(kind) is SubjectKind.NATURAL_PERSON:
        return mask_resident_id(code)
    return code
