"""What a stored record's columns are made of, shared by submission, correction and recounting:
the columns that make two versions the same record (`COMPARED`), the facts derived from what
the provider sent (derived once per distinct case: an import's records share decision dates),
and the jurisdiction's day a stored timestamp falls on (the regulations count Beijing days;
timestamps are stored in UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import Row

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.clock import CHINA, jurisdiction_day
from domain.enums import SubjectKind
from domain.record_facts import DerivedFacts, derive_facts
from domain.working_days import WorkingDayCalendar

BEIJING = CHINA  # Beijing time, where no profile is at hand (the profile's time_zone otherwise)
UTC = dt.timezone.utc


# Columns a resend must repeat exactly to be the same record, with their input names.
COMPARED = {"subject_code": "subjectCode", "document_number": "documentNumber",
            "issuing_authority": "issuingAuthority", "decided_on": "decidedOn", "act_ended_on": "actEndedOn",
            "valid_from": "validFrom", "valid_until": "validUntil", "content": "content",
            "consent_ref": "consentRef"}


def differences(columns: Mapping[str, Any], stored: Row) -> list[str]:
    return [label for column, label in COMPARED.items() if columns[column] != getattr(stored, column)]


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's columns as JSON: what one version looked like (RecordVersion.snapshot)."""
    return {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
            for k, v in row.items() if k != "updated_at"}


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def submitted_day(moment: dt.datetime, profile: JurisdictionProfile) -> dt.date:
    """The jurisdiction's day a stored timestamp falls on: the day its lateness is counted to."""
    return jurisdiction_day(utc(moment), profile.time_zone)


def fact_columns(item: CatalogueItem, facts: DerivedFacts) -> dict[str, Any]:
    return {"category": item.category.value, "family": item.family.value, "visibility": facts.visibility,
            "severity": facts.severity, "disclosure_ends_on": facts.disclosure_ends_on,
            "publicity_ends_on": facts.publicity_ends_on, "retained_until": facts.retained_until,
            "deadline_on": facts.deadline_on, "deadline_provisional": facts.deadline_provisional,
            "late_working_days": facts.late_working_days}


class FactsCache:
    """derive_facts is pure, and records of one import share decision dates: each distinct case is
    derived once, with the record columns it gives. Holds the profile and calendar it was filled
    with, so their ids cannot be reused meanwhile."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.basis: tuple[JurisdictionProfile, WorkingDayCalendar] | None = None
        self.facts: dict[tuple, tuple[DerivedFacts, dict[str, Any]]] = {}

    def get(self, item: CatalogueItem, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
            kind: SubjectKind, ended_on: dt.date | None, columns: Mapping[str, Any],
            submitted_on: dt.date) -> tuple[DerivedFacts, dict[str, Any]]:
        """The facts, and the record columns they fill (`fact_columns`): share, do not change."""
        if self.basis is None or self.basis[0] is not profile or self.basis[1] is not calendar \
                or len(self.facts) > self.LIMIT:
            self.basis, self.facts = (profile, calendar), {}
        key = (item.code, kind, ended_on, columns["decided_on"], columns["act_ended_on"], columns["valid_until"],
               submitted_on)
        found = self.facts.get(key)
        if found is None:
            facts = derive_facts(
                item, profile, calendar, subject_kind=kind, subject_ended_on=ended_on,
                decided_on=columns["decided_on"], act_ended_on=columns["act_ended_on"],
                valid_until=columns["valid_until"], submitted_on=submitted_on)
            found = self.facts[key] = (facts, fact_columns(item, facts))
        return found


derived_facts = FactsCache().get  # one cache per process: (facts, record columns) of a case
