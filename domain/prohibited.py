"""Prohibited information (禁止归集/征集的信息, HC-15, XZ-9).

Both regulations forbid collecting certain personal information whatever a catalogue says:

- never: religion, genes, fingerprints, blood type, diseases and medical history (HC-15,
  XZ-9(1)(2)), race and family origin (XZ-9(1));
- only with the subject's written consent after being told the consequences: income, deposits,
  securities, commercial insurance, real estate and tax amounts (XZ-9(3)).

The check works on field *names* (camelCase split into words, case-insensitive) and *labels*
(Chinese or English), against a table of terms per kind. It has to stay explainable to a
department that sees its catalogue item refused, so matching is deliberately plain: Chinese terms
are substrings, English terms are whole words (a trailing plural s/es allowed). Legitimate fields
that happen to contain a term (欠缴金额, 罚款金额, 欠税, 拖欠工资, intellectual property...) are
listed in ALLOWED_PHRASES with the reason they are allowed; those phrases are removed from the
text before the terms are searched.

The prohibition is applied to every catalogue item, including organisation-only ones: an item
may cover persons too, and a field name cannot tell whose income it is. Organisation-only
vocabulary that is legitimate (营业收入 of an enterprise) is an allowed phrase instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from domain.problems import Problem, ProblemCode


@dataclass(frozen=True)
class ProhibitedKind:
    """One kind of prohibited information and the words that denote it."""

    key: str
    label: str  # the regulation's words
    basis: str
    consent_allows: bool  # True: allowed with the subject's written consent (XZ-9(3))
    terms: tuple[str, ...]  # Chinese substrings and English words/phrases, lower case


KINDS: tuple[ProhibitedKind, ...] = (
    ProhibitedKind("RELIGION", "宗教信仰", "HC-15 / XZ-9(1)", False,
                   ("宗教", "信仰", "religion", "religious")),
    ProhibitedKind("GENE", "基因", "HC-15 / XZ-9(2)", False,
                   ("基因", "gene", "genetic", "genome", "dna")),
    ProhibitedKind("FINGERPRINT", "指纹", "HC-15 / XZ-9(2)", False,
                   ("指纹", "fingerprint")),
    ProhibitedKind("BLOOD_TYPE", "血型", "HC-15 / XZ-9(2)", False,
                   ("血型", "blood type", "blood group", "bloodtype")),
    ProhibitedKind("DISEASE", "疾病和病史", "HC-15 / XZ-9(2)", False,
                   ("疾病", "病史", "病历", "诊断", "健康状况", "disease", "illness", "medical",
                    "diagnosis", "health")),
    ProhibitedKind("RACE", "种族、民族", "XZ-9(1)", False,
                   ("种族", "民族", "race", "ethnicity", "ethnic")),
    ProhibitedKind("FAMILY_ORIGIN", "家庭出身", "XZ-9(1)", False,
                   ("家庭出身", "出身", "family origin", "family background", "class origin")),
    ProhibitedKind("INCOME", "收入", "XZ-9(3)", True,
                   ("收入", "工资", "薪酬", "薪金", "income", "salary", "salaries", "wage")),
    ProhibitedKind("DEPOSIT", "存款", "XZ-9(3)", True,
                   ("存款", "储蓄", "deposit", "savings")),
    ProhibitedKind("SECURITIES", "有价证券", "XZ-9(3)", True,
                   ("有价证券", "股票", "证券", "债券", "securities", "stocks")),
    ProhibitedKind("COMMERCIAL_INSURANCE", "商业保险", "XZ-9(3)", True,
                   ("商业保险", "商业险", "commercial insurance", "life insurance")),
    ProhibitedKind("REAL_ESTATE", "不动产", "XZ-9(3)", True,
                   ("不动产", "房产", "real estate", "property", "properties")),
    ProhibitedKind("TAX_AMOUNT", "纳税数额", "XZ-9(3)", True,
                   ("纳税数额", "纳税额", "纳税金额", "缴税金额", "tax paid", "taxes paid",
                    "tax amount")),
)

# phrase -> why it is not prohibited information. Removed from the text before terms are matched.
ALLOWED_PHRASES: dict[str, str] = {
    "欠缴金额": "an amount owed is a bad record of non-payment, not the subject's assets",
    "罚款金额": "a fine is part of a penalty decision",
    "欠税": "tax arrears are a bad record (HC-14(1)), not the amount of tax paid",
    "欠缴税款": "tax arrears are a bad record (HC-14(1)), not the amount of tax paid",
    "拖欠工资": "wages an employer owes its workers are the employer's bad record (HC-13(3), XZ-7(9))",
    "工资支付": "an employer's payment of wages is its labour record (XZ-7(9))",
    "欠薪": "wages an employer owes its workers are the employer's bad record",
    "营业收入": "an enterprise's business revenue is not a person's income",
    "非税收入": "government non-tax revenue owed is a fee arrears record (HC-13(4), XZ-7(11))",
    "tax arrears": "tax arrears are a bad record, not the amount of tax paid",
    "tax owed": "tax owed is a bad record, not the amount of tax paid",
    "tax amount owed": "tax owed is a bad record, not the amount of tax paid",
    "owed tax amount": "tax owed is a bad record, not the amount of tax paid",
    "unpaid tax": "unpaid tax is a bad record, not the amount of tax paid",
    "wage arrears": "wages an employer owes its workers are the employer's bad record",
    "wages owed": "wages an employer owes its workers are the employer's bad record",
    "unpaid wages": "wages an employer owes its workers are the employer's bad record",
    "intellectual property": "trademarks and patents are basic information (XZ-7(3))",
    "security deposit": "a guarantee lodged with an authority, not a person's savings",
}


@dataclass(frozen=True)
class Finding:
    """A prohibited kind found in a field's name or label, and the term that matched."""

    kind: ProhibitedKind
    term: str
    where: str  # "name" or "label"


class ProhibitedInformation(ValueError):
    """A catalogue field definition denotes prohibited information."""

    def __init__(self, item_code: str, field_name: str, finding: Finding):
        self.item_code, self.field_name, self.finding = item_code, field_name, finding
        kind = finding.kind
        head = (f"catalogue item {item_code!r}: field {field_name!r} denotes prohibited "
                f"information {kind.label} ({kind.basis}; matched {finding.term!r} in its "
                f"{finding.where})")
        if kind.consent_allows:
            tail = ("; it may be collected only with the subject's written consent: declare "
                    "requires_consent: true on the field")
        else:
            tail = "; it is never collected, with or without consent"
        super().__init__(head + tail)


def split_name(name: str) -> str:
    """`taxAmountOwed` / `tax_amount-owed` -> `tax amount owed` (lower case, single spaces)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return " ".join(re.split(r"[\s_\-]+", spaced.lower())).strip()


def _pattern(phrase: str) -> re.Pattern[str]:
    """Chinese: the phrase anywhere. English: whole words, a trailing plural s/es allowed."""
    if not phrase.isascii():
        return re.compile(re.escape(phrase))
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<![a-z]){words}(?:s|es)?(?![a-z])")


_ALLOWED = [_pattern(p) for p in ALLOWED_PHRASES]
_TERMS = [(kind, term, _pattern(term)) for kind in KINDS for term in kind.terms]


def _match(text: str) -> tuple[ProhibitedKind, str] | None:
    for allowed in _ALLOWED:
        text = allowed.sub(" ", text)
    for kind, term, pattern in _TERMS:
        if pattern.search(text):
            return kind, term
    return None


@lru_cache(maxsize=4096)  # field names repeat on every row of an import; the matching is regex work
def find_prohibited(name: str, label: str | None = None) -> Finding | None:
    """The first prohibited kind a field's name (or label) denotes, or None."""
    for where, text in (("name", split_name(name)), ("label", (label or "").lower())):
        hit = _match(text)
        if hit:
            return Finding(hit[0], hit[1], where)
    return None


def _attr(field: Any, key: str, default: Any = None) -> Any:
    if isinstance(field, Mapping):
        return field.get(key, default)
    return getattr(field, key, default)


def check_field_definition(item_code: str, field: Any) -> None:
    """Refuse a catalogue field (mapping or FieldSpec) that denotes prohibited information.

    Absolute kinds are refused outright; consent kinds pass only with `requires_consent: true`.
    """
    name = str(_attr(field, "name", "") or "")
    finding = find_prohibited(name, _attr(field, "label"))
    if finding is None:
        return
    if finding.kind.consent_allows and _attr(field, "requires_consent", False) is True:
        return
    raise ProhibitedInformation(item_code, name, finding)


def check_record_content(content: Mapping[str, Any], consent_ref: str | None) -> list[Problem]:
    """Problems for submitted content keys that denote prohibited information.

    Every key is checked, declared by the catalogue item or not: the prohibition holds whatever
    the catalogue says (SPEC 3.3). Consent kinds need a non-blank written-consent reference.
    """
    problems: list[Problem] = []
    has_consent = bool(consent_ref and consent_ref.strip())
    for key in content:
        finding = find_prohibited(str(key))
        if finding is None:
            continue
        kind = finding.kind
        if not kind.consent_allows:
            problems.append(Problem(str(key), f"field {key!r} is prohibited information "
                                    f"({kind.label}, {kind.basis}) and is never collected", ProblemCode.PROHIBITED))
        elif not has_consent:
            problems.append(Problem(str(key), f"field {key!r} is {kind.label} ({kind.basis}): "
                                    "it may be collected only with the subject's written "
                                    "consent; give the consent reference", ProblemCode.PROHIBITED))
    return problems
