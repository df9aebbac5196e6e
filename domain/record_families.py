"""Standard content fields of each record family.

A catalogue item names its family; the item's field list must contain the family's standard
fields under these names (it may add more). The concrete GraphQL record types expose exactly
these fields, typed; every field, standard or not, is also readable through `details`.
"""

from __future__ import annotations

from domain.enums import RecordFamily

# field name -> field type (see domain.catalogue.FIELD_TYPES)
FAMILY_FIELDS: dict[RecordFamily, dict[str, str]] = {
    RecordFamily.ORGANISATION_REGISTRATION: {
        "legalRepresentative": "string",
        "establishedOn": "date",
        "registeredAddress": "string",
        "businessScope": "text",
    },
    RecordFamily.PERSON_IDENTITY: {
        "gender": "string",
        "education": "string",
        "employer": "string",
        "maritalStatus": "string",
    },
    RecordFamily.LICENCE: {
        "licenceName": "string",
        "licenceNumber": "string",
        "licenceKind": "string",
        "scope": "text",
    },
    RecordFamily.HONOUR: {
        "honourName": "string",
        "honourKind": "string",  # AWARD / VOLUNTEER / CHARITY (HC-12, HC-33)
        "awardingBody": "string",
        "level": "string",
    },
    RecordFamily.EVALUATION: {
        "rating": "string",
        "evaluationScheme": "string",
        "period": "string",
    },
    RecordFamily.PENALTY: {
        "violation": "text",
        "legalBasis": "text",
        "penaltyKind": "string",
        "fineAmount": "decimal",
    },
    RecordFamily.JUDGMENT: {
        "court": "string",
        "caseNumber": "string",
        "obligation": "text",
        "performance": "string",
    },
    RecordFamily.ARREARS: {
        "arrearsKind": "string",
        "amountOwed": "decimal",
        "owedSince": "date",
    },
    RecordFamily.MISCONDUCT: {
        "conduct": "text",
        "finding": "text",
    },
    RecordFamily.OTHER: {},
}
