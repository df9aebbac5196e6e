"""What a GraphQL request carries besides its document: purpose and basis (HC-23, XZ-18).

Both may be Chinese: a basis is often an official letter number such as 环发改函〔2026〕12号, which
XZ-18 requires for class C, and a purpose may be given by its Chinese name (行政许可). HTTP header
values are bytes, so a value is accepted as raw UTF-8 (curl, most HTTP libraries) or as
percent-encoded UTF-8 (`%E7%8E%AF…`: browsers, whose fetch() refuses characters beyond ISO-8859-1;
the GraphiQL page encodes such values itself). SPEC 2 "Purpose and basis".
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from domain.enums import Purpose

PURPOSE_HEADER = "X-Query-Purpose"
BASIS_HEADER = "X-Query-Basis"
MAX_BASIS_LENGTH = 128
# How much of a refused value an error message repeats.
ECHO_LENGTH = 40
# A reference such as 许可申请号 XK-2026-001, 函号 环发改函〔2026〕12号, or an authorisation id.
_BASIS_PATTERN = re.compile(r"^[\w\-./:#()（）〔〕\[\] ]+$")
# A `%` that does not start an escape of two hexadecimal digits.
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# The purposes' Chinese names (HC-23, XZ-18), accepted in X-Query-Purpose like the English ones.
PURPOSE_NAMES_ZH: dict[Purpose, str] = {
    Purpose.LICENSING: "行政许可",
    Purpose.PROCUREMENT: "政府采购",
    Purpose.BIDDING: "招标投标",
    Purpose.PUBLIC_RESOURCE_TRADING: "公共资源交易",
    Purpose.SUBSIDY: "财政补贴",
    Purpose.HIRING: "招录聘用",
    Purpose.COMMENDATION: "表彰奖励",
    Purpose.SUPERVISION: "监督管理",
    Purpose.JUDICIAL: "司法",
    Purpose.SELF_QUERY: "本人查询",
    Purpose.OTHER: "其他",
}


class BadRequestHeader(ValueError):
    """A header is present but unusable; the message names the header and the fault."""


def echo(value: str) -> str:
    """A refused value as an error message repeats it: readable, control characters escaped, bounded."""
    shown = value if len(value) <= ECHO_LENGTH else value[:ECHO_LENGTH] + "…"
    return repr(shown)


def header_text(name: str, value: str | None) -> str | None:
    """The text a client meant by a header value, NFC-normalised and stripped; None when absent or blank.

    `value` is as starlette gives it: the header's bytes decoded as Latin-1. Non-ASCII bytes must be
    UTF-8; `%XX` escapes are then decoded once, and must spell UTF-8 too (neither header's own
    syntax has a `%`). Anything else is refused, naming the header, rather than guessed at.
    """
    if value is None:
        return None
    if not value.isascii():
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:  # already text (not from an ASGI server): nothing to re-decode
            raw = None
        if raw is not None:
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise BadRequestHeader(
                    f"{name} is not UTF-8 (byte 0x{raw[err.start]:02X} at position {err.start}): send the value "
                    "as UTF-8, or percent-encode its UTF-8 bytes (encodeURIComponent)") from None
    if "%" in value:
        if _BROKEN_ESCAPE.search(value):
            raise BadRequestHeader(
                f"{name} {echo(value)} has a malformed percent-encoding: each % must start an escape of two "
                "hexadecimal digits (percent-encode the value's UTF-8 bytes, e.g. with encodeURIComponent)")
        try:
            value = unquote(value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise BadRequestHeader(
                f"{name} {echo(value)} percent-encodes bytes that are not UTF-8: encode the value's UTF-8 bytes "
                "(encodeURIComponent)") from None
    value = unicodedata.normalize("NFC", value).strip()
    return value or None


def _purpose_aliases() -> dict[str, Purpose]:
    aliases = {}
    for purpose in Purpose:
        aliases[purpose.value] = purpose
        aliases[purpose.value.replace("_", "-")] = purpose
        aliases[purpose.value.replace("_", " ")] = purpose
        aliases[PURPOSE_NAMES_ZH[purpose]] = purpose
    return aliases


_PURPOSES = _purpose_aliases()


def parse_purpose(value: str | None) -> Purpose | None:
    """`licensing`, `LICENSING`, `public-resource-trading`, `行政许可` ... or None when absent."""
    value = header_text(PURPOSE_HEADER, value)
    if value is None:
        return None
    purpose = _PURPOSES.get(value.upper())
    if purpose is None:
        allowed = ", ".join(f"{p.value.lower()} ({PURPOSE_NAMES_ZH[p]})" for p in Purpose)
        raise BadRequestHeader(f"{PURPOSE_HEADER} {echo(value)} is not a purpose; use one of: {allowed}")
    return purpose


def parse_basis(value: str | None) -> str | None:
    """A reference (application, letter, permit or authorisation number), or None when absent."""
    value = header_text(BASIS_HEADER, value)
    if value is None:
        return None
    if len(value) > MAX_BASIS_LENGTH:
        raise BadRequestHeader(f"{BASIS_HEADER} is {len(value)} characters long; at most {MAX_BASIS_LENGTH}")
    if not _BASIS_PATTERN.match(value):
        raise BadRequestHeader(f"{BASIS_HEADER} {echo(value)} may hold letters, digits, spaces and "
                               "- . / : # ( ) 〔 〕 only")
    return value
