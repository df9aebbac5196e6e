"""What the catalogue says of a record family's standard content field, as that field's description.

A family's standard field (domain.record_families) is one typed GraphQL field whatever the item
(`PenaltyRecord.fineAmount`). Its label in each item, its unit, the article of each item that
carries it and an enum's values are the catalogue's, read from the files in domain/profiles/, so
that an item added there is described without code (the committed SDL then shows the change).
The schema is one contract for every deployment, so the descriptions cover every shipped profile,
Huancui and Xinzheng articles side by side as the record types' own descriptions have them; a
deployment's own catalogue is read at run time through `catalogueItem { fields }` and `details`.
"""

from __future__ import annotations

import functools
import re

from domain.catalogue import FieldSpec, JurisdictionProfile, available_profiles, load_profile
from domain.enums import RecordFamily, Unit

# How a description names a unit: the catalogue's word, then English.
UNIT_WORDS: dict[Unit, str] = {
    Unit.TEN_THOUSAND_YUAN: "万元 (10,000 yuan: 2.5 means CNY 25,000)",
    Unit.YUAN: "元 (yuan)",
    Unit.HOUR: "小时 (hours)",
    Unit.PERSON: "人 (persons)",
    Unit.MONTH: "月 (months)",
}


@functools.cache
def shipped_profiles() -> tuple[JurisdictionProfile, ...]:
    return tuple(load_profile(code) for code in available_profiles())


def _uses(family: RecordFamily, name: str) -> list[tuple[str, FieldSpec]]:
    """(article, field) of every shipped item of the family, in catalogue order, an item citing several
    articles (`HC-13(2); HC-14`) once per article."""
    return [(article.strip(), item.field(name)) for profile in shipped_profiles() for item in profile.items.values()
            if item.family is family for article in re.split(r"[;,]", item.basis) if article.strip()]


def _grouped(pairs: list[tuple[str, str]]) -> str:
    """'a (HC-1, XZ-2); b (HC-3)': each key once, with its articles in order, each once."""
    groups: dict[str, list[str]] = {}
    for key, article in pairs:
        articles = groups.setdefault(key, [])
        if article not in articles:
            articles.append(article)
    return "; ".join(f"{key} ({', '.join(articles)})" for key, articles in groups.items())


def content_description(family: RecordFamily, name: str, meaning: str) -> str:
    """`meaning` (English, written with the field), then the catalogue's unit, labels, articles and values."""
    uses = _uses(family, name)
    units = {spec.unit for _, spec in uses}
    if len(units) > 1:  # each profile's loader checks its own items; the schema spans the shipped ones
        raise ValueError(f"standard field {name!r} of family {family.value} has several units in the shipped "
                         f"catalogues: {', '.join(sorted(u.value if u else 'none' for u in units))}")
    parts = [meaning.rstrip(".") + "."]
    unit = next(iter(units), None)
    if unit is not None:
        parts.append(f"In {UNIT_WORDS[unit]}.")
    if uses:
        parts.append("The catalogue's label (article): " + _grouped([(spec.label, a) for a, spec in uses]) + ".")
    values = list(dict.fromkeys(value for _, spec in uses for value in spec.values))
    if values:
        parts.append("Values: " + ", ".join(values) + "; an item's own in `catalogueItem { fields { values } }`.")
    parts.append(f"Content field `{name}`; null when the record's item does not fill it.")
    return " ".join(parts)
