"""The two codes that name an information subject, and how to tell a real one from a typo.

A natural person is named by the 18-character citizen identity number of GB 11643-1999
(公民身份号码); a legal person or other organisation by the unified social credit code of
GB 32100-2015 (统一社会信用代码). Both end in a check character, so a single mistyped
character is always caught here, at the edge, instead of silently creating a second subject.

Each is checked for its whole structure, not only its check character (SPEC 2, HC-7): a
resident ID's division code (positions 1-6) and birth date (7-14); a credit code's registration
authority (1), the category that authority assigns (2), its division code (3-8) and the
GB 11714 organisation code's own check character (9-17). Both kinds have 18 characters, and
a digit string passes the USCC check once in 31 by chance: so the structure decides which kind
a code is (`reads_as_resident_id`), and a code that reads as a person's number is judged as
one only. It is never stored as an organisation (whose records and name are public) because it
failed as a resident ID (SPEC 3.1).

Every validator strips surrounding whitespace and upper-cases ASCII letters, and returns that
normalised form: it is the only form the rest of the gateway stores and compares.
"""

from __future__ import annotations

import re

import enum
from datetime import date

from domain.clock import china_today
from domain.divisions import DIVISIONS, NATIONAL, PROVINCES, TAIWAN_RESIDENTS
from domain.enums import SubjectKind

__all__ = [
    "IdentifierFault",
    "InvalidIdentifier",
    "validate_resident_id",
    "validate_credit_code",
    "validate_subject_code",
    "resident_id_check_char",
    "credit_code_check_char",
    "organisation_code_check_char",
    "reads_as_resident_id",
    "REGISTRATION_AUTHORITIES",
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
# GB 32100-2015 table 1 (with its amendment No. 1, which added A and N): each registration
# authority (position 1, 登记管理部门) and the organisation categories (position 2, 机构类别)
# it assigns. A code from a later assignment outside this table is refused until added here.
REGISTRATION_AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "1239"),  # 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": ("外交", "19"),  # 外国常住新闻机构, 其他
    "3": ("司法行政", "123459"),  # 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": ("文化", "19"),  # 外国在华文化中心, 其他
    "5": ("民政", "1239"),  # 社会团体, 民办非企业单位, 基金会, 其他
    "6": ("旅游", "129"),  # 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻内地（大陆）代表机构, 其他
    "7": ("宗教", "129"),  # 宗教活动场所, 宗教院校, 其他
    "8": ("工会", "19"),  # 基层工会, 其他
    "9": ("工商", "123"),  # 企业, 个体工商户, 农民专业合作社
    "A": ("中央军委改革和编制办公室", "19"),  # 军队事业单位, 其他
    "N": ("农业", "1239"),  # 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": ("其他", "1"),  # 不再具体划分机构类别
}
_REGISTRATION_AUTHORITY_CHARS = "".join(REGISTRATION_AUTHORITIES)
# Every character some authority assigns as a category; which authority assigns which is checked next.
_CATEGORIES = "".join(sorted({c for _, cs in REGISTRATION_AUTHORITIES.values() for c in cs}))
_PAIRS = frozenset(a + c for a, (_, cs) in REGISTRATION_AUTHORITIES.items() for c in cs)

# GB 11714-1997: the organisation code (positions 9-17) is 8 characters and a check character,
# weights 3, 7, 9, 10, 5, 8, 4, 2; letters count 10 (A) to 35 (Z); 11 - sum mod 11, 10 -> X, 11 -> 0.
_ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANISATION_CODE_VALUES = {c: (int(c) if c in DIGITS else ord(c) - 55) for c in CREDIT_CODE_ALPHABET}

# What makes 18 characters read as a resident ID (see reads_as_resident_id).
_CENTURIES = frozenset({"18", "19", "20"})
_MONTHS = frozenset(f"{m:02d}" for m in range(1, 13))
_DAYS = frozenset(f"{d:02d}" for d in range(1, 32))

_MAX_SHOWN = 40  # an error message never repeats more of the input than this


class IdentifierFault(str, enum.Enum):
    """Why a code was rejected: lets a caller react (e.g. highlight a field) without parsing text."""

    LENGTH = "LENGTH"
    CHARACTER = "CHARACTER"
    DATE = "DATE"
    CHECK_DIGIT = "CHECK_DIGIT"
    DIVISION = "DIVISION"
    CATEGORY = "CATEGORY"
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
    IdentifierFault.DIVISION: "行政区划代码无效",
    IdentifierFault.CATEGORY: "机构类别代码与登记管理部门不符",
    IdentifierFault.KIND: "类型不符",
}


class InvalidIdentifier(ValueError):
    """A subject code that is not well formed.

    `code` is the input as given, `kind` what it was validated as (None: either kind),
    `fault` an IdentifierFault, `position` the 1-based position at fault or None, and
    `message_zh` a short Chinese message for end users. The English message (str(exc))
    repeats the normalised code (and a birth date at fault): show others, and log, only
    `masked_message`, which hides what masking hides when the code may be a person's.
    """

    def __init__(
        self,
        code: str,
        kind: SubjectKind | None,
        fault: IdentifierFault,
        detail: str,
        position: int | None = None,
        masked_detail: str | None = None,
    ) -> None:
        super().__init__(f"{_shown(code)} is not a valid {_NAMES[kind]}: {detail}")
        self.code = code
        self.kind = kind
        self.fault = fault
        self.position = position
        self.detail = detail
        self.masked_detail = detail if masked_detail is None else masked_detail
        self.message_zh = _NAMES_ZH[kind] + _FAULTS_ZH[fault]

    @property
    def personal(self) -> bool:
        """Whether the code may be a person's: judged as a resident ID, found to be one (fault KIND
        when asked for a credit code), or of no kind yet but all digits bar one (e.g. one short)."""
        if self.kind is SubjectKind.NATURAL_PERSON:
            return True
        if self.kind is SubjectKind.ORGANISATION:
            return self.fault is IdentifierFault.KIND
        value = _normalise(self.code)
        return sum(not ("0" <= c <= "9") for c in value[:17]) <= 1

    @property
    def masked_message(self) -> str:
        """The message as it may be shown to others or logged: a resident ID number in it masked,
        and the birth date it hides not repeated (SPEC 3.1)."""
        if not self.personal:
            return str(self)
        value = _normalise(self.code)
        shown = mask_resident_id(value[:_MAX_SHOWN]) + ("…" if len(value) > _MAX_SHOWN else "") if value else "''"
        return f"{shown} is not a valid {_NAMES[self.kind]}: {self.masked_detail}"

    def __reduce__(self):  # keep the exception picklable despite the custom signature
        return (type(self), (self.code, self.kind, self.fault, self.detail, self.position, self.masked_detail))


def _shown(code: str) -> str:
    shown = _normalise(code) or "''"
    if len(shown) > _MAX_SHOWN:
        shown = shown[:_MAX_SHOWN] + "…"
    return shown


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


def _resident_division_fault(division: str) -> str | None:
    """What is wrong with positions 1-6 of a resident ID, or None.

    A division code, current or retired (numbers keep the code of their place and time of
    issue); 830000 for a Taiwan resident's residence permit; or, in the foreign permanent
    resident ID card of 2023 (外国人永久居留身份证, numbered like a resident ID), 9, the
    province that issued it and a 3-digit nationality code.
    """
    if division in DIVISIONS or division == TAIWAN_RESIDENTS:
        return None
    if division[0] == "9" and division[1:3] in PROVINCES:
        return None
    return (f"division code {division} at positions 1-6 is not an administrative division code "
            "(GB/T 2260, current or retired)")


def validate_resident_id(code: str, *, today: date | None = None) -> str:
    """Return the normalised resident ID number, or raise InvalidIdentifier saying what is wrong.

    Checked in the order a person would fix them: length, characters, division code (any
    code ever on the GB/T 2260 list: old numbers keep old codes, see domain.divisions), birth
    date (a real calendar date, from 1900 and not after `today`, by default today in China),
    then the check character.
    """
    given = _require_str(code)
    value = _normalise(given)
    kind = SubjectKind.NATURAL_PERSON

    def fail(fault: IdentifierFault, detail: str, position: int | None = None,
             masked: str | None = None) -> InvalidIdentifier:
        return InvalidIdentifier(given, kind, fault, detail, position, masked)

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
    division_fault = _resident_division_fault(value[:6])
    if division_fault:
        raise fail(IdentifierFault.DIVISION, division_fault, 1)

    digits = value[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise fail(IdentifierFault.DATE, f"birth date {digits} at positions 7-14 is not a real date "
                                         f"({digits[:4]}-{digits[4:6]}-{digits[6:]} does not exist)", 7,
                   "the birth date at positions 7-14 is not a real date (check its year, month and day)") from None
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise fail(IdentifierFault.DATE, f"birth date {digits} is before {_EARLIEST_BIRTH_YEAR}", 7,
                   f"the birth date at positions 7-14 is before {_EARLIEST_BIRTH_YEAR}")
    if born > (today or china_today()):
        raise fail(IdentifierFault.DATE, f"birth date {digits} is in the future", 7,
                   "the birth date at positions 7-14 is in the future")

    expected = resident_id_check_char(value[:17])
    if value[17] != expected:
        raise fail(IdentifierFault.CHECK_DIGIT, f"check character is {value[17]}, expected {expected}", 18)
    return value


def reads_as_resident_id(code: str) -> bool:
    """Whether 18 characters read as a resident ID number, right or wrong: if so they are
    judged as one only, never taken for a credit code (SPEC 2, 3.1).

    They do if at most one character is out of place (a non-digit in positions 1-17, or a
    check character that is neither a digit nor X), and at least two of the three parts that
    make a resident ID hold: positions 1-6 a division code, 7-8 a century (18, 19, 20), 11-14
    a month and day (01-12, 01-31). A valid resident ID has all three and nothing out of place,
    and one mistyped character spoils at most one part: so no single typo turns a person's
    number into an organisation's. A credit code reads so only if it is all digits but for one
    character and two of the three parts hold by chance.
    """
    value = _normalise(code)
    if len(value) != CODE_LENGTH:
        return False
    out_of_place = sum(not ("0" <= c <= "9") for c in value[:17]) + (value[17] not in _RESIDENT_CHECK_CHARS)
    if out_of_place > 1:
        return False
    parts = ((value[:6] in DIVISIONS or value[:6] == TAIWAN_RESIDENTS)
             + (value[6:8] in _CENTURIES)
             + (value[10:12] in _MONTHS and value[12:14] in _DAYS))
    return parts >= 2


# --- unified social credit codes (GB 32100-2015) -----------------------------------------


# Every position allowed at once (an import checks thousands of codes; diagnosis is for bad ones).
_WELL_FORMED_CREDIT_CODE = re.compile(
    rf"^[{_REGISTRATION_AUTHORITY_CHARS}][{_CATEGORIES}][0-9]{{6}}[{CREDIT_CODE_ALPHABET}]{{10}}$")


def credit_code_check_char(first17: str) -> str:
    """The MOD 31 check character for the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(c not in _CREDIT_CODE_VALUES for c in first17):
        raise ValueError(f"expected 17 characters from {CREDIT_CODE_ALPHABET}, got {first17!r}")
    total = sum(_CREDIT_CODE_VALUES[c] * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(first8: str) -> str:
    """The GB 11714 check character ('0'-'9' or 'X') of an organisation code's first 8 characters."""
    if len(first8) != 8 or any(c not in _ORGANISATION_CODE_VALUES for c in first8):
        raise ValueError(f"expected 8 characters from {CREDIT_CODE_ALPHABET}, got {first8!r}")
    total = sum(_ORGANISATION_CODE_VALUES[c] * w for c, w in zip(first8, _ORGANISATION_CODE_WEIGHTS))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _credit_code_character_fault(pos: int, c: str) -> str | None:
    """What is wrong with character `c` at 1-based position `pos`, or None if it may stand there."""
    if c not in _CREDIT_CODE_VALUES:
        if c in _CREDIT_CODE_EXCLUDED:
            return f"character {c!r} at position {pos} is not allowed (GB 32100 excludes I, O, S, V, Z)"
        return f"character {c!r} at position {pos} is not allowed"
    if pos == 1 and c not in _REGISTRATION_AUTHORITY_CHARS:
        return f"character {c!r} at position 1 is not a registration authority code (1-9, A, N, Y)"
    if pos == 2 and c not in _CATEGORIES:
        return f"character {c!r} at position 2 is not an organisation category"
    if 3 <= pos <= 8 and c not in DIGITS:
        return f"character {c!r} at position {pos} is not a digit (positions 3-8 are the division code)"
    return None


def validate_credit_code(code: str) -> str:
    """Return the normalised unified social credit code, or raise InvalidIdentifier.

    Checked in order: length, each character against what its position allows, the category
    against what the registration authority assigns (GB 32100 table 1), the division code
    (positions 3-8: a GB/T 2260 code, current or retired, or 100000 for central registration),
    the organisation code's check character (position 17, GB 11714), the check character.
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
    if value[:2] not in _PAIRS:
        name, categories = REGISTRATION_AUTHORITIES[value[0]]
        raise InvalidIdentifier(
            given, kind, IdentifierFault.CATEGORY,
            f"category {value[1]!r} at position 2 is not one that registration authority {value[0]!r} "
            f"({name}) assigns: it assigns {', '.join(categories)} (GB 32100)", 2,
        )
    division = value[2:8]
    if division not in DIVISIONS and division != NATIONAL:
        raise InvalidIdentifier(
            given, kind, IdentifierFault.DIVISION,
            f"division code {division} at positions 3-8 is not an administrative division code "
            f"(GB/T 2260, current or retired, or {NATIONAL} for a central registration authority)", 3,
        )
    expected = organisation_code_check_char(value[8:16])
    if value[16] != expected:
        raise InvalidIdentifier(
            given, kind, IdentifierFault.CHECK_DIGIT,
            f"the organisation code's check character (position 17, GB 11714) is {value[16]}, expected {expected}",
            17,
        )
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

    Without `kind`, the structure decides (`reads_as_resident_id`): a code that reads as a
    resident ID is validated as one only, and any fault is reported as a resident ID's (its
    message masked), even if the code would pass as a credit code; any other code is
    validated as a credit code. A wrong length is reported for either kind.

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

    value = _normalise(given)
    if len(value) != CODE_LENGTH:  # neither kind can be meant
        raise InvalidIdentifier(given, None, IdentifierFault.LENGTH,
                                f"length is {len(value)}, expected {CODE_LENGTH}")
    if reads_as_resident_id(value):
        return validate_resident_id(given, today=today), SubjectKind.NATURAL_PERSON
    return validate_credit_code(given), SubjectKind.ORGANISATION


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
