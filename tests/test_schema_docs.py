"""The schema reads as a manual: every element described, closed sets as enums with the strings
clients already read, links as objects resolved without a query per row."""

from __future__ import annotations

import pytest

from domain.catalogue import load_profile
from domain.enums import RecordFamily
from resolvers.grant_cache import cache_for
from resolvers.node_ids import NodeKind, decode, global_id
from schema import content_fields
from store.models import Annotation
from tests.conftest import graphql, make_token
from tests.test_statement_count import StatementCounter
from tests.test_submission import CORRECT, SCJG, VERSIONS, errors_of, penalty, period, stored_penalty

INTROSPECTION = """{ __schema { types { name description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description } } } }"""

# Types the Apollo Federation spec defines and strawberry generates; the router reads them, not people.
FEDERATION_SPEC = frozenset({"_Any", "_Entity", "_Service", "_Service.sdl", "_FieldSet", "link__Import",
                             "link__Purpose", "link__Purpose.SECURITY", "link__Purpose.EXECUTION"})
# Undescribed elements of S2's lane allowed to stay so (schema/records.py, types.py, enums.py, entities.py,
# the lateness types, AccessExplanation): none.
ALLOWED = frozenset()


def undescribed(schema: dict) -> set[str]:
    """Every type, field, argument, input field and enum value without a description, by schema coordinate."""
    found = set()
    for kind in schema["types"]:
        name = kind["name"]
        if name.startswith("__"):  # introspection's own types, described by graphql-core
            continue
        if not kind["description"]:
            found.add(name)
        for field in kind["fields"] or []:
            if not field["description"]:
                found.add(f"{name}.{field['name']}")
            found |= {f"{name}.{field['name']}({a['name']}:)" for a in field["args"] if not a["description"]}
        found |= {f"{name}.{f['name']}" for f in kind["inputFields"] or [] if not f["description"]}
        found |= {f"{name}.{v['name']}" for v in kind["enumValues"] or [] if not v["description"]}
    return found


async def test_every_schema_element_is_described(client):
    body = await graphql(client, INTROSPECTION)
    missing = undescribed(body["data"]["__schema"]) - FEDERATION_SPEC - ALLOWED
    assert not missing, "described nowhere: " + ", ".join(sorted(missing))


async def test_every_exemption_is_still_needed(client):
    """An exempt coordinate that got its description (or no longer exists) leaves the lists."""
    body = await graphql(client, INTROSPECTION)
    stale = (FEDERATION_SPEC | ALLOWED) - undescribed(body["data"]["__schema"])
    assert not stale, "exempt but described or gone: " + ", ".join(sorted(stale))


def test_a_missing_description_is_named_by_its_coordinate():
    schema = {"types": [
        {"name": "T", "description": None, "inputFields": None, "enumValues": None,
         "fields": [{"name": "f", "description": "", "args": [{"name": "a", "description": None}]}]},
        {"name": "E", "description": "an enum", "fields": None, "inputFields": None,
         "enumValues": [{"name": "V", "description": None}, {"name": "W", "description": "w"}]},
        {"name": "I", "description": "an input", "fields": None, "enumValues": None,
         "inputFields": [{"name": "x", "description": None}]},
        {"name": "__Type", "description": None, "fields": None, "inputFields": None, "enumValues": None},
    ]}
    assert undescribed(schema) == {"T", "T.f", "T.f(a:)", "E.V", "I.x"}


# ---- enums: the strings clients read before -----------------------------------------------------

ENUM_TYPES = """{
  f: __type(name: "FieldDefinition") { fields { name type { kind name ofType { kind name } } } }
  d: __type(name: "RecordDetail") { fields { name type { kind name ofType { kind name } } } }
  v: __type(name: "RecordVersion") { fields { name type { kind name ofType { kind name } } } }
  a: __type(name: "RecordAnnotation") { fields { name type { kind name ofType { kind name } } } }
  ft: __type(name: "FieldType") { enumValues { name } }
}"""


def _type_of(kind: dict, field: str) -> tuple[str, str]:
    t = next(f["type"] for f in kind["fields"] if f["name"] == field)
    t = t["ofType"] if t["kind"] == "NON_NULL" else t
    return t["kind"], t["name"]


async def test_closed_sets_are_enums_with_the_values_they_had(client):
    body = (await graphql(client, ENUM_TYPES))["data"]
    assert _type_of(body["f"], "type") == _type_of(body["d"], "type") == ("ENUM", "FieldType")
    assert _type_of(body["f"], "unit") == _type_of(body["d"], "unit") == ("ENUM", "Unit")
    assert _type_of(body["v"], "change") == ("ENUM", "RecordChange")
    assert _type_of(body["a"], "kind") == ("ENUM", "AnnotationKind")
    # the catalogue's words in upper case, like every enum value (graphql-schema-linter's enum-values-all-caps)
    assert [v["name"] for v in body["ft"]["enumValues"]] == [
        "STRING", "TEXT", "DATE", "INTEGER", "DECIMAL", "BOOLEAN", "ENUM"]


async def test_field_types_and_units_are_the_catalogues(client):
    body = await graphql(client, "{ catalogue { code fields { name type unit } } }")
    served = {i["code"]: [(f["name"], f["type"], f["unit"]) for f in i["fields"]] for i in body["data"]["catalogue"]}
    units = {"万元": "TEN_THOUSAND_YUAN", "小时": "HOUR", "人": "PERSON", "月": "MONTH"}
    expected = {code: [(f.name, f.type.upper(), units[f.unit.value] if f.unit else None) for f in item.fields]
                for code, item in load_profile("huancui").items.items()}
    assert served == expected
    penalty = dict((n, (t, u)) for n, t, u in served["HC-13-6-PENALTY"])
    assert penalty["fineAmount"] == ("DECIMAL", "TEN_THOUSAND_YUAN") and penalty["violation"] == ("TEXT", None)


async def test_versions_annotations_and_details_serialize_the_same_strings(client, engine):
    record_id = await stored_penalty(client, 941)
    body = await graphql(client, CORRECT, {"id": record_id, "changes": {"content": {"fineAmount": "3000"}},
                                           "reason": "罚款金额录入错误"}, token=SCJG)
    assert not errors_of(body), body
    async with engine.begin() as connection:
        await connection.execute(Annotation.__table__.insert(), [
            {"record_id": int(record_id), "kind": kind, "text": f"{kind} 标注"}
            for kind in ("OBJECTION_OPEN", "OBJECTION_DISPUTED", "NOTE")])
    body = await graphql(client, """query($id: ID!) { record(id: $id) {
        versions { change } annotations { kind text } details { name type unit value } } }""",
                         {"id": record_id}, token=SCJG)
    assert not errors_of(body), body
    record = body["data"]["record"]
    assert [v["change"] for v in record["versions"]] == ["CREATED", "CORRECTED"]
    assert sorted(a["kind"] for a in record["annotations"]) == ["NOTE", "OBJECTION_DISPUTED", "OBJECTION_OPEN"]
    assert all(a["text"] == f"{a['kind']} 标注" for a in record["annotations"])
    details = {d["name"]: d for d in record["details"]}
    assert details["fineAmount"] == {"name": "fineAmount", "type": "DECIMAL", "unit": "TEN_THOUSAND_YUAN",
                                     "value": "3000"}
    assert details["violation"]["type"] == "TEXT" and details["violation"]["unit"] is None


# ---- descriptions from the catalogue ------------------------------------------------------------

async def test_typed_content_fields_are_described_from_the_catalogue(client):
    body = await graphql(client, '{ __type(name: "PenaltyRecord") { fields { name description } } }')
    fields = {f["name"]: f["description"] for f in body["data"]["__type"]["fields"]}
    fine = fields["fineAmount"]
    assert "万元 (10,000 yuan" in fine
    for profile in ("huancui", "xinzheng"):
        for item in load_profile(profile).items.values():
            if item.family is RecordFamily.PENALTY:
                assert item.field("fineAmount").label in fine, item.code
                assert all(a.strip() in fine for a in item.basis.replace(";", ",").split(",")), item.code
    assert "万元" not in fields["violation"], "a text field has no unit"
    honour = (await graphql(client, '{ __type(name: "HonourRecord") { fields { name description } } }'))
    kind = next(f["description"] for f in honour["data"]["__type"]["fields"] if f["name"] == "honourKind")
    assert "Values: AWARD, VOLUNTEER, CHARITY;" in kind


def test_an_item_added_to_the_catalogue_is_described_without_code(monkeypatch, tmp_path):
    from tests.test_catalogue import base, write

    data = base()
    penalty = next(i for i in data["catalogue"] if i["code"] == "HC-13-6-PENALTY")
    data["catalogue"].append({**penalty, "code": "HC-13-6-NEW", "basis": "HC-13(7)",
                              "fields": [{**f, "label": "新罚款(万元)"} if f["name"] == "fineAmount" else f
                                         for f in penalty["fields"]]})
    added = load_profile(write(tmp_path, data))
    monkeypatch.setattr(content_fields, "shipped_profiles", lambda: (added,))
    text = content_fields.content_description(RecordFamily.PENALTY, "fineAmount", "The fine imposed")
    assert "新罚款(万元) (HC-13(7))" in text and text.startswith("The fine imposed. In 万元")


# ---- links -------------------------------------------------------------------------------------

LATE_LINKED = """query($from: Date!, $to: Date!, $first: Int!) {
  lateSubmissions(from: $from, to: $to, first: $first) {
    edges { node { recordId recordGlobalId departmentCode department { code name kind }
                   catalogueItem { code name basis } } }
  }
  lateSubmissionSummary(from: $from, to: $to) { departmentCode department { code name } }
}"""
LATE_CODES = """query($from: Date!, $to: Date!, $first: Int!) {
  lateSubmissions(from: $from, to: $to, first: $first) { edges { node { recordId departmentCode } } }
  lateSubmissionSummary(from: $from, to: $to) { departmentCode }
}"""


async def test_lateness_links_cost_no_statement_per_row(client, engine):
    for serial in (950, 951, 952, 953):
        await stored_penalty(client, serial)
    operator = make_token(user="docs-centre", department="XYZX", roles=["operator"])
    await graphql(client, LATE_LINKED, {**period(), "first": 1}, token=operator)  # reference data read once, before
    counts = {}
    for query, first in ((LATE_CODES, 1), (LATE_LINKED, 1), (LATE_LINKED, 4)):
        with StatementCounter(engine) as counter:
            body = await graphql(client, query, {**period(), "first": first}, token=operator)
        assert not errors_of(body), body
        edges = body["data"]["lateSubmissions"]["edges"]
        assert len(edges) == first
        counts[(query, first)] = counter.count
    assert counts[(LATE_LINKED, 1)] == counts[(LATE_LINKED, 4)] == counts[(LATE_CODES, 1)], counts
    node = edges[0]["node"]
    assert node["department"]["code"] == node["departmentCode"] and node["department"]["name"]
    assert decode(node["recordGlobalId"]) == (NodeKind.RECORD, node["recordId"])
    refetched = await graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": node["recordGlobalId"]},
                              token=SCJG)  # its provider
    assert refetched["data"]["node"] == {"id": node["recordGlobalId"]}, refetched
    assert node["catalogueItem"]["code"].startswith("HC-") and node["catalogueItem"]["basis"]
    for row in body["data"]["lateSubmissionSummary"]:
        assert row["department"]["code"] == row["departmentCode"]


async def fields_of(client, kind: str) -> dict[str, dict]:
    """A type's fields, deprecated ones included, by name: their type and deprecation."""
    body = await graphql(client, '{ __type(name: "%s") { fields(includeDeprecated: true) { name isDeprecated '
                                 'deprecationReason type { kind name ofType { name } } } } }' % kind)
    return {f["name"]: f for f in body["data"]["__type"]["fields"]}


@pytest.mark.parametrize("field", ["LateSubmission.department", "DepartmentLateness.department"])
async def test_department_links_are_objects(client, field):
    kind, name = field.split(".")
    fields = await fields_of(client, kind)
    assert fields[name]["type"] == {"kind": "NON_NULL", "name": None, "ofType": {"name": "Department"}}
    assert fields["departmentCode"]["type"] == {"kind": "NON_NULL", "name": None, "ofType": {"name": "ID"}}
    if kind == "DepartmentLateness":
        assert fields["name"]["isDeprecated"]


# ---- global ids where numbers were -------------------------------------------------------------

OUTCOMES = """mutation($records: [RecordInput!]!) { submitRecords(input: {records: $records, mode: BEST_EFFORT}) {
  result { outcomes { index status recordId %s } } errors { code } } }"""
LINKED = "record { id documentNumber ... on PenaltyRecord { fineAmount } }"


async def submitted(client, records: list[dict], selection: str = LINKED) -> list[dict]:
    body = await graphql(client, OUTCOMES % selection, {"records": records}, token=SCJG)
    assert not errors_of(body) and body["data"]["submitRecords"]["errors"] == [], body
    return body["data"]["submitRecords"]["result"]["outcomes"]


async def test_a_submission_outcome_links_its_record_by_its_global_id(client):
    records = [penalty(970), penalty(971, decidedOn=None), penalty(972)]
    outcomes = await submitted(client, records)
    assert [o["status"] for o in outcomes] == ["STORED", "REJECTED", "STORED"]
    for outcome, sent in zip(outcomes, records):
        if outcome["status"] == "REJECTED":
            assert outcome["record"] is None and outcome["recordId"] is None
            continue
        record = outcome["record"]
        assert decode(record["id"]) == (NodeKind.RECORD, outcome["recordId"])  # the deprecated number, beside
        assert record["documentNumber"] == sent["documentNumber"] and float(record["fineAmount"]) == 1200.5
        again = await graphql(client, "query($id: ID!) { record(id: $id) { id } }", {"id": record["id"]}, token=SCJG)
        assert again["data"]["record"] == {"id": record["id"]}
    resent = await submitted(client, [records[0]])  # UNCHANGED: the record stored before
    assert (resent[0]["status"], resent[0]["record"]) == ("UNCHANGED", outcomes[0]["record"])


async def test_outcome_records_cost_no_statement_per_outcome(client, engine, monkeypatch):
    # the submitter's grants and permits are read once and cached (resolvers/grant_cache.py): read
    # them before counting, and keep them for the test, so that only the outcomes' cost is compared
    monkeypatch.setattr(cache_for(engine), "ttl", 3600.0)
    await submitted(client, [penalty(960)], "")
    counts = {}
    for serial, size in ((973, 1), (980, 6)):
        for selection in ("", "record { id documentNumber }"):
            serial += 100 if selection else 0  # new documents each time: every outcome STORED
            with StatementCounter(engine) as counter:
                outcomes = await submitted(client, [penalty(serial + i) for i in range(size)], selection)
            assert {o["status"] for o in outcomes} == {"STORED"}
            counts[(size, bool(selection))] = counter.count
    assert counts[(1, True)] - counts[(1, False)] == counts[(6, True)] - counts[(6, False)] <= 2, counts


EXPLAINED = "query($id: ID!) { accessExplanation(recordId: $id) { allowed reasons record { id } } }"


async def test_explanations_name_records_by_their_global_id_whichever_id_was_passed(client):
    number = await stored_penalty(client, 990)
    ident = global_id(NodeKind.RECORD, number)
    for passed in (number, ident):
        body = await graphql(client, EXPLAINED, {"id": passed}, token=SCJG)
        explanation = body["data"]["accessExplanation"]
        assert explanation["allowed"] and explanation["record"] == {"id": ident}, body
        assert explanation["reasons"][0].startswith(f"record {ident}: class PUBLIC, item HC-13-6-PENALTY"), explanation
        assert not any(f" {number}" in reason for reason in explanation["reasons"]), explanation
    missing = global_id(NodeKind.RECORD, 2 ** 62)
    body = await graphql(client, EXPLAINED, {"id": missing}, token=SCJG)
    assert body["data"]["accessExplanation"]["reasons"][0].startswith(f"no record {missing} that you may read"), body


@pytest.mark.parametrize("field", ["SubmissionOutcome.recordId", "AccessExplanation.recordId"])
async def test_numeric_record_ids_are_deprecated_for_the_record_link(client, field):
    kind, name = field.split(".")
    fields = await fields_of(client, kind)
    assert fields[name]["isDeprecated"] and "record { id }" in fields[name]["deprecationReason"]
    assert fields["record"]["type"] == {"kind": "INTERFACE", "name": "CreditRecord", "ofType": None}
