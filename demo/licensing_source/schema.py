"""The licensing bureau's live licences, as a Federation 2 subgraph extending the gateway's `Subject`.

The data is made up but deterministic: each subject code always holds the same licences (an
organisation up to three, a person at most one practising certificate), so the demo subjects of
store/demo.py, and any other code, get a stable answer without a database.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from typing import NewType

import strawberry
from strawberry.schema.config import StrawberryConfig

from domain.identifiers import reads_as_resident_id


@strawberry.enum(description="What a licence permits (行政许可事项).")
class LicenceKind(enum.Enum):
    FOOD_OPERATION = strawberry.enum_value("FOOD_OPERATION", description="食品经营许可证: selling or serving food.")
    CONSTRUCTION = strawberry.enum_value("CONSTRUCTION", description="建筑业企业资质证书: building works.")
    ROAD_TRANSPORT = strawberry.enum_value("ROAD_TRANSPORT", description="道路运输经营许可证: road haulage.")
    DRUG_RETAIL = strawberry.enum_value("DRUG_RETAIL", description="药品经营许可证: retail pharmacy.")
    PRACTISING = strawberry.enum_value("PRACTISING", description="执业证书: a person's practising certificate.")


@strawberry.enum(description="Where a licence stands today, as the licensing bureau's register says.")
class LicenceStatus(enum.Enum):
    VALID = strawberry.enum_value("VALID", description="In force: issued, not expired, suspended or revoked.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Its validity ended (validUntil is past).")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Suspended by the bureau, pending rectification.")
    REVOKED = strawberry.enum_value("REVOKED", description="Revoked by a decision of the bureau.")


# A calendar day, named for this source: the gateway serves its own `Date`, and admission refuses a source's
# type of a name the gateway already serves (README, Federated sources), so the bureau's days have their own.
LicensingDate = NewType("LicensingDate", dt.date)
_LICENSING_DATE = strawberry.scalar(
    name="LicensingDate", serialize=dt.date.isoformat, parse_value=dt.date.fromisoformat,
    description="A calendar day in the licensing bureau's register, ISO 8601 (YYYY-MM-DD), Asia/Shanghai.")


@strawberry.type(description="One licence the bureau issued to the subject (live, from its register).")
class Licence:
    number: str = strawberry.field(description="The licence's number as printed on it.")
    kind: LicenceKind = strawberry.field(description="What it permits.")
    issued_on: LicensingDate = strawberry.field(description="The day it was issued (Asia/Shanghai calendar day).")
    valid_until: LicensingDate = strawberry.field(description="The last day it is valid (Asia/Shanghai calendar day).")
    status: LicenceStatus = strawberry.field(description="Where it stands on the day asked.")


_ORGANISATION_KINDS = (LicenceKind.FOOD_OPERATION, LicenceKind.CONSTRUCTION, LicenceKind.ROAD_TRANSPORT,
                       LicenceKind.DRUG_RETAIL)
_PREFIX = {LicenceKind.FOOD_OPERATION: "JY", LicenceKind.CONSTRUCTION: "D", LicenceKind.ROAD_TRANSPORT: "YS",
           LicenceKind.DRUG_RETAIL: "YP", LicenceKind.PRACTISING: "ZY"}


def licences_of(code: str, today: dt.date) -> list[Licence]:
    """The subject's licences: a pure function of its code (and of `today`, for expiry)."""
    digest = hashlib.sha256(f"licences|{code}".encode()).digest()
    person = reads_as_resident_id(code)  # a credit code may be 17 digits too (91371002155461311P)
    count = digest[0] % 2 if person else digest[0] % 4
    licences = []
    for n in range(count):
        kind = LicenceKind.PRACTISING if person else _ORGANISATION_KINDS[digest[1 + n] % len(_ORGANISATION_KINDS)]
        issued = dt.date(2018, 1, 1) + dt.timedelta(days=int.from_bytes(digest[4 + 2 * n:6 + 2 * n], "big") % 2900)
        valid_until = issued + dt.timedelta(days=5 * 365)
        flag = digest[12 + n] % 10
        status = (LicenceStatus.REVOKED if flag == 0 else LicenceStatus.SUSPENDED if flag == 1
                  else LicenceStatus.VALID if valid_until >= today else LicenceStatus.EXPIRED)
        number = f"{_PREFIX[kind]}{code[-6:]}{issued:%Y}{n + 1:02d}"
        licences.append(Licence(number=number, kind=kind, issued_on=issued, valid_until=valid_until, status=status))
    return licences


def _china_today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


# 信息主体, the credit gateway's entity, keyed by its code. No description: a type extension has none in GraphQL.
@strawberry.federation.type(keys=["code"], extend=True)
class Subject:
    code: strawberry.ID = strawberry.field(
        description="Resident ID number or unified social credit code, as the gateway sends it.")

    @strawberry.field(description="The licences the licensing bureau's register holds for the subject now "
                                  "(live, not copied into the gateway); empty when none.")
    def licences(self) -> list[Licence] | None:
        return licences_of(self.code, _china_today())

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> "Subject":
        return cls(code=code)


schema = strawberry.federation.Schema(types=[Subject], federation_version="2.3",
                                     config=StrawberryConfig(scalar_map={LicensingDate: _LICENSING_DATE}))
