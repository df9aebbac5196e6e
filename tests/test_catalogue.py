"""The shipped profiles and the catalogue loader: what loads, what is refused and why."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal

import pytest
import yaml

from domain.catalogue import (PROFILES_DIR, AdministrativeDecision, CatalogueError, DeadlineFrom, DisclosureKind,
                              available_profiles, load_profile)
from domain.enums import (Category, DepartmentKind, RecordFamily, SubjectKind, Visibility)
from domain.record_families import FAMILY_FIELDS

PROFILES = ["huancui", "xinzheng"]


@pytest.fixture(scope="module", params=PROFILES)
def profile(request):
    return load_profile(request.param)


# ------------------------------------------------------------------------------ shipped profiles


def test_available_profiles():
    assert available_profiles() == PROFILES


def test_profiles_load_by_code_and_path():
    assert load_profile(PROFILES_DIR / "huancui.yaml").code == "huancui"
    assert load_profile(str(PROFILES_DIR / "xinzheng.yaml")).regulation == "XZ"


def test_unknown_profile_code():
    with pytest.raises(CatalogueError, match="unknown profile 'nowhere'.*huancui, xinzheng"):
        load_profile("nowhere")


def test_profile_numbers():
    hc, xz = load_profile("huancui"), load_profile("xinzheng")
    assert (hc.regulation, xz.regulation) == ("HC", "XZ")
    assert hc.bad_record_years == xz.bad_record_years == 5
    assert hc.basic_years_after_termination == 3
    assert (hc.query_log_retention_years, xz.query_log_retention_years) == (30, 5)
    assert (hc.objection.centre_compare, xz.objection.centre_compare) == (3, 3)
    assert hc.objection.provider_verify == xz.objection.provider_verify == 15
    assert (hc.objection.notify_applicant, xz.objection.notify_applicant) == (None, 2)
    assert hc.objection.suspend_when_provider_late and not xz.objection.suspend_when_provider_late
    assert not hc.objection.open_objection_hides_bad_record
    assert not xz.objection.open_objection_hides_bad_record
    assert (hc.revocation_working_days, hc.repair_working_days,
            hc.honour_deletion_working_days) == (3, 3, 5)
    assert xz.submission.licensing_and_penalty_working_days == 7
    assert xz.submission.periodic_working_days == 10
    assert xz.visibility_labels[Visibility.LIMITED] == "有限共享类(C类)"
    assert hc.visibility_labels[Visibility.PUBLIC] == "社会公开"


def test_item_count_and_codes(profile):
    assert 25 <= len(profile.items) <= 40
    for code, item in profile.items.items():
        assert code == item.code and code.startswith(profile.regulation + "-")
        assert item.basis.startswith(profile.regulation + "-")


def test_every_family_standard_field_present_with_its_type(profile):
    for item in profile.items.values():
        by_name = {f.name: f for f in item.fields}
        for name, kind in FAMILY_FIELDS[item.family].items():
            assert name in by_name, (item.code, name)
            assert by_name[name].type == kind or (kind == "string"
                                                  and by_name[name].type == "enum")


def test_every_family_and_class_is_used(profile):
    families = {i.family for i in profile.items.values()}
    assert set(RecordFamily) - {RecordFamily.OTHER} <= families
    assert {i.visibility for i in profile.items.values()} == set(Visibility)
    assert {i.category for i in profile.items.values()} == set(Category)


def test_departments_are_shared_and_all_providers_provide():
    hc, xz = load_profile("huancui"), load_profile("xinzheng")
    assert set(hc.departments) == set(xz.departments)
    assert 13 <= len(hc.departments) <= 20
    for profile in (hc, xz):
        assert profile.department("XYZX").kind is DepartmentKind.CREDIT_CENTRE
        assert profile.department("FGJ").kind is DepartmentKind.SUPERVISOR
        assert profile.department("FY").kind is DepartmentKind.JUDICIAL
        for code, dept in profile.departments.items():
            assert dept.kind is hc.department(code).kind
            provided = profile.items_provided_by(code)
            assert bool(provided) is dept.may_provide, code


def test_limited_items_name_their_departments(profile):
    for item in profile.items.values():
        if item.visibility is Visibility.LIMITED:
            assert item.shared_with and set(item.shared_with) <= set(profile.departments)
        else:
            assert item.shared_with == ()


def test_visibility_for_natural_persons():
    hc, xz = load_profile("huancui"), load_profile("xinzheng")
    penalty = hc.item("HC-13-6-PENALTY")
    assert penalty.visibility_for(SubjectKind.ORGANISATION) is Visibility.PUBLIC
    assert penalty.visibility_for(SubjectKind.NATURAL_PERSON) is Visibility.SHARED
    debtor = xz.item("XZ-7-7-DISHONEST-DEBTOR")
    assert debtor.visibility_for("NATURAL_PERSON") is Visibility.PUBLIC  # law requires it
    assert hc.item("HC-14-1-TAX-ARREARS").visibility_for(
        SubjectKind.NATURAL_PERSON) is Visibility.LIMITED
    with pytest.raises(ValueError, match="does not apply to NATURAL_PERSON"):
        hc.item("HC-10-1-REGISTRATION").visibility_for(SubjectKind.NATURAL_PERSON)
    for profile in (hc, xz):  # no person's record is public unless a law requires it
        for item in profile.items_for(SubjectKind.NATURAL_PERSON):
            if item.visibility_for(SubjectKind.NATURAL_PERSON) is Visibility.PUBLIC:
                assert item.law_requires_public, item.code


def test_rules_resolved_from_profile(profile):
    for item in profile.items.values():
        rule = item.disclosure
        if item.category is Category.BAD:
            assert rule.rule is DisclosureKind.YEARS_FROM_ACT_END
            assert rule.years == profile.bad_record_years
        elif item.category is Category.BASIC:
            assert rule.years_after_termination == profile.basic_years_after_termination
        if item.administrative_decision is AdministrativeDecision.PENALTY and item.severity is not None:
            assert item.publicity_months == profile.severity_publicity_months[item.severity]
        else:  # SPEC 3.2: only administrative penalties have graded publicity
            assert item.publicity_months is None, item.code
        expected = (profile.submission.licensing_and_penalty_working_days
                    if item.submission.deadline_from is DeadlineFrom.DECISION
                    else profile.submission.periodic_working_days)
        assert item.submission.deadline_working_days == expected


def test_honour_items():
    for profile in map(load_profile, PROFILES):
        kinds = set()
        for item in profile.items.values():
            if item.family is RecordFamily.HONOUR:
                assert item.category is Category.GOOD
                kinds |= set(item.field("honourKind").values)
        assert kinds == {"AWARD", "VOLUNTEER", "CHARITY"}


def test_in_force():
    item = load_profile("huancui").item("HC-13-6-PENALTY")
    assert not item.is_in_force(date(2017, 9, 30))
    assert item.is_in_force(date(2017, 10, 1)) and item.is_in_force(date(2030, 1, 1))
    assert item.may_submit("SCJG") and not item.may_submit("XYZX")


# ------------------------------------------------------------------------------ bad files


_BASE = yaml.load((PROFILES_DIR / "huancui.yaml").read_text(encoding="utf-8"),
                  Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def base() -> dict:
    """The shipped Huancui file as plain data (anchors resolved), to mutate per test."""
    return copy.deepcopy(_BASE)


def item_of(data: dict, code: str) -> dict:
    return next(i for i in data["catalogue"] if i["code"] == code)


def write(tmp_path, data) -> str:
    path = tmp_path / "profile.yaml"
    text = data if isinstance(data, str) else yaml.dump(
        data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
        sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return str(path)


def fails(tmp_path, data, *fragments):
    path = write(tmp_path, data)
    with pytest.raises(CatalogueError) as err:
        load_profile(path)
    message = str(err.value)
    assert path in message
    for fragment in fragments:
        assert fragment in message, message
    return err.value


def mutate(code, fn):
    data = base()
    fn(item_of(data, code))
    return data


def _drop_field(name):
    return lambda i: i.__setitem__("fields", [f for f in i["fields"] if f["name"] != name])


def _retype_field(name, kind):
    """The field retyped, as an editor would: a number's unit goes when it stops being a number."""
    def retype(item):
        for f in item["fields"]:
            if f["name"] == name:
                f["type"] = kind
                if kind not in ("decimal", "integer"):
                    f.pop("unit", None)
    return retype


def _field_update(name, **changes):
    return lambda i: [f.update(changes) for f in i["fields"] if f["name"] == name]


def _field_pop(name, key):
    return lambda i: [f.pop(key) for f in i["fields"] if f["name"] == name]


BAD_ITEMS = [
    ("unknown category", "HC-13-6-PENALTY", lambda i: i.update(category="TERRIBLE"),
     "unknown category 'TERRIBLE'"),
    ("unknown family", "HC-13-6-PENALTY", lambda i: i.update(family="PENALTIES"),
     "unknown record family 'PENALTIES'"),
    ("unknown visibility", "HC-13-6-PENALTY", lambda i: i.update(visibility="SECRET"),
     "unknown visibility class 'SECRET'"),
    ("unknown subject kind", "HC-13-6-PENALTY",
     lambda i: i.update(subject_kinds=["ORGANISATION", "ROBOT"]), "unknown subject kind 'ROBOT'"),
    ("family field missing", "HC-13-6-PENALTY", _drop_field("legalBasis"),
     "family PENALTY needs standard field 'legalBasis'"),
    ("family field wrong type", "HC-13-6-PENALTY", _retype_field("fineAmount", "string"),
     "standard field 'fineAmount' of family PENALTY must be of type decimal"),
    ("LIMITED without shared_with", "HC-14-1-TAX-ARREARS", lambda i: i.pop("shared_with"),
     "must list the departments it is shared with"),
    ("shared_with on SHARED", "HC-14-3-EXAM-CHEATING", lambda i: i.update(shared_with=["FY"]),
     "shared_with is only for LIMITED items; this one is SHARED"),
    ("unknown provider", "HC-13-6-PENALTY", lambda i: i.update(providers=["SCJG", "NOPE"]),
     "unknown department code(s) in providers: NOPE"),
    ("unknown shared_with", "HC-14-1-TAX-ARREARS", lambda i: i.update(shared_with=["FY", "XX"]),
     "unknown department code(s) in shared_with: XX"),
    ("centre as provider", "HC-13-6-PENALTY", lambda i: i.update(providers=["XYZX"]),
     "cannot provide records"),
    ("BAD without YEARS_FROM_ACT_END", "HC-13-6-PENALTY",
     lambda i: i.update(disclosure={"rule": "UNTIL_VALIDITY_ENDS"}),
     "a BAD item needs disclosure rule YEARS_FROM_ACT_END"),
    ("unknown disclosure rule", "HC-13-6-PENALTY", lambda i: i.update(disclosure={"rule": "X"}),
     "unknown disclosure rule 'X'"),
    ("misspelt key", "HC-13-6-PENALTY", lambda i: i.update(visiblity="PUBLIC"),
     "unknown key(s) visiblity"),
    ("missing key", "HC-13-6-PENALTY", lambda i: i.pop("providers"), "missing key(s) providers"),
    ("severity on GOOD", "HC-12-3-RATING", lambda i: i.update(severity="SERIOUS"),
     "only BAD items are graded by severity"),
    ("publicity min > max", "HC-13-6-PENALTY",
     lambda i: i.update(publicity_months={"min": 12, "max": 3}), "min 12 is greater than max 3"),
    ("code without regulation", "HC-13-6-PENALTY", lambda i: i.update(code="XZ-13-6-PENALTY"),
     "must start with the regulation code 'HC-'"),
    ("basis of the other regulation", "HC-13-6-PENALTY", lambda i: i.update(basis="XZ-7(12)"),
     "must cite an article of HC"),
    ("unknown field type", "HC-13-6-PENALTY", _retype_field("violation", "blob"),
     "unknown type 'blob'"),
    ("enum without values", "HC-13-6-PENALTY", lambda i: [f.pop("values") for f in i["fields"]
                                                         if f["name"] == "penaltyKind"],
     "an enum needs a list of distinct text values"),
    ("duplicate field", "HC-13-6-PENALTY", lambda i: i["fields"].append(dict(i["fields"][0])),
     "duplicate field name(s): violation"),
    ("bad field name", "HC-13-6-PENALTY",
     lambda i: i["fields"].append({"name": "Bad Name", "label": "x", "type": "string"}),
     "must be camelCase"),
    ("until before from", "HC-13-6-PENALTY",
     lambda i: i.update(in_force={"from": date(2020, 1, 1), "until": date(2019, 1, 1)}),
     "in_force.until 2019-01-01 is before in_force.from 2020-01-01"),
    ("law_requires_public on an organisation item", "HC-10-1-REGISTRATION",
     lambda i: i.update(law_requires_public=True), "law_requires_public applies only"),
    ("decimal without unit", "HC-13-6-PENALTY", _field_pop("fineAmount", "unit"),
     "field 'fineAmount': a decimal field needs a unit (one of 万元, 元, 小时, 人, 月)"),
    ("unknown unit", "HC-13-6-PENALTY", _field_update("fineAmount", unit="美元"),
     "field 'fineAmount': unknown unit '美元' (expected one of 万元, 元, 小时, 人, 月)"),
    ("unit on text", "HC-13-6-PENALTY", _field_update("violation", unit="万元"),
     "field 'violation': unit is only for decimal and integer fields"),
    ("unit the label contradicts", "HC-13-6-PENALTY", _field_update("fineAmount", unit="元"),
     "field 'fineAmount': the label '罚款金额(万元)' shows the unit 万元, the field says 元"),
    ("standard field in another unit", "HC-13-6-PENALTY",
     _field_update("fineAmount", unit="元", label="罚款金额（元）"),
     "standard field 'fineAmount' of family PENALTY is in "),
    ("unknown submission method", "HC-13-6-PENALTY",
     lambda i: i.update(submission={"methods": ["FAX"], "deadline_from": "DECISION"}),
     "unknown submission method 'FAX'"),
]


@pytest.mark.parametrize("what,code,change,fragment", BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_bad_item_fails_with_clear_message(tmp_path, what, code, change, fragment):
    error = fails(tmp_path, mutate(code, change), fragment)
    assert any(code in p or "XZ-13-6-PENALTY" in p for p in error.problems)


def test_duplicate_item_codes(tmp_path):
    data = base()
    data["catalogue"].append(copy.deepcopy(item_of(data, "HC-13-6-PENALTY")))
    fails(tmp_path, data, "catalogue item 'HC-13-6-PENALTY': duplicate item code")


def test_every_fault_is_reported_at_once(tmp_path):
    data = base()
    item_of(data, "HC-13-6-PENALTY")["family"] = "NOPE"
    item_of(data, "HC-12-3-RATING")["visibility"] = "NOPE"
    error = fails(tmp_path, data, "HC-13-6-PENALTY", "HC-12-3-RATING")
    assert len(error.problems) == 2


def test_profile_level_faults(tmp_path):
    data = base()
    del data["profile"]["visibility_labels"]["LIMITED"]
    fails(tmp_path, data, "visibility_labels must name every class")
    data = base()
    data["departments"].append({"code": "SCJG", "name": "重复", "kind": "GOVERNMENT"})
    fails(tmp_path, data, "department 'SCJG': duplicate department code")
    data = base()
    data["departments"][2]["kind"] = "MINISTRY"
    fails(tmp_path, data, "unknown department kind 'MINISTRY'")
    data = base()
    data["profile"]["objection"]["provider_verify"] = "fifteen"
    fails(tmp_path, data, "objection.provider_verify must be an integer")
    data = base()
    data["extra"] = 1
    fails(tmp_path, data, "unknown key(s) extra")


def test_loaded_profiles_are_reused_until_the_file_changes(tmp_path):
    data = base()
    path = write(tmp_path, data)
    first = load_profile(path)
    assert load_profile(path) is first and hash(first) == hash(load_profile(path))
    item_of(data, "HC-13-6-PENALTY")["name"] = "行政处罚信息（修订）"
    write(tmp_path, data)
    assert load_profile(path).item("HC-13-6-PENALTY").name == "行政处罚信息（修订）"


def test_yaml_errors(tmp_path):
    fails(tmp_path, "profile: [unclosed", "not valid YAML")
    text = (PROFILES_DIR / "huancui.yaml").read_text(encoding="utf-8").replace(
        "    category: BASIC\n", "    category: BASIC\n    category: GOOD\n", 1)
    fails(tmp_path, text, "duplicate key 'category'")


# ----------------------------------------------------------------- prohibited fields in a file


def with_field(field: dict, code: str = "HC-11-1-IDENTITY") -> dict:
    return mutate(code, lambda i: i["fields"].append(field))


@pytest.mark.parametrize("field,fragment", [
    ({"name": "religion", "label": "宗教信仰", "type": "string"}, "宗教信仰"),
    ({"name": "bloodType", "label": "血型", "type": "enum", "values": ["A", "B", "AB", "O"]},
     "血型"),
    ({"name": "note", "label": "病史", "type": "text", "requires_consent": True}, "疾病和病史"),
    ({"name": "annualIncome", "label": "年收入", "type": "decimal", "unit": "万元"}, "requires_consent: true"),
])
def test_prohibited_field_in_file_fails(tmp_path, field, fragment):
    fails(tmp_path, with_field(field),
          f"catalogue item 'HC-11-1-IDENTITY': field {field['name']!r}", fragment)


@pytest.mark.parametrize("name,label", [
    ("annualIncome", "年收入"), ("depositBalance", "存款余额"), ("securities", "有价证券"),
    ("insurancePolicies", "商业保险"), ("realEstate", "不动产"), ("taxAmount", "纳税数额"),
])
def test_consent_fields_load_with_requires_consent(tmp_path, name, label):
    data = with_field({"name": name, "label": label, "type": "string", "requires_consent": True})
    item = load_profile(write(tmp_path, data)).item("HC-11-1-IDENTITY")
    assert item.field(name).requires_consent


# ------------------------------------------------------------------------- content validation


def test_valid_content_is_normalised():
    item = load_profile("huancui").item("HC-13-6-PENALTY")
    problems, content = item.validate_content({
        "violation": " 未取得许可从事经营活动 ", "legalBasis": "《行政许可法》第八十一条",
        "penaltyKind": "罚款", "fineAmount": "1.5", "confiscatedAmount": 2})
    assert problems == []
    assert content["violation"] == "未取得许可从事经营活动"
    assert content["fineAmount"] == Decimal("1.5") and content["confiscatedAmount"] == Decimal(2)


def test_content_faults_are_each_reported():
    item = load_profile("huancui").item("HC-13-8-ACCIDENT")
    problems, content = item.validate_content({
        "accidentKind": "火灾",  # not among the values
        "occurredOn": "2024-02-30",  # no such day
        "conduct": "x" * 2001,  # text max 2000
        "deaths": "two",
        "directLoss": "12万",
        "colour": "red",  # not declared
        "bloodType": "A",  # prohibited, reported as such rather than as unknown
    })  # finding (required) missing
    reasons = {p.field: p.reason for p in problems}
    assert set(reasons) == {"accidentKind", "occurredOn", "conduct", "deaths", "directLoss",
                            "colour", "bloodType", "finding"}
    assert "is not one of" in reasons["accidentKind"]
    assert "not a real date" in reasons["occurredOn"]
    assert "2001 characters long; at most 2000" in reasons["conduct"]
    assert "expected an integer" in reasons["deaths"]
    assert "expected a number" in reasons["directLoss"]
    assert "unknown field 'colour'" in reasons["colour"]
    assert "prohibited information" in reasons["bloodType"]
    assert "required field missing" in reasons["finding"]
    assert content == {}


def test_content_types_from_spreadsheets_and_forms():
    hc = load_profile("huancui")
    problems, content = hc.item("HC-13-8-ACCIDENT").validate_content({
        "accidentKind": "安全生产", "occurredOn": datetime(2024, 2, 29), "conduct": "c",
        "finding": "f", "deaths": 2.0, "directLoss": 3})
    assert problems == [] and content["occurredOn"] == date(2024, 2, 29)
    assert content["deaths"] == 2
    problems, content = hc.item("HC-10-2-LICENCE").validate_content({
        "licenceName": "建筑业企业资质证书", "licenceNumber": 12345.0, "licenceKind": "普通",
        "scope": "施工总承包"})
    assert problems == [] and content["licenceNumber"] == "12345"
    problems, content = hc.item("HC-14-2-SOCIAL-INSURANCE-FRAUD").validate_content({
        "benefitKind": "养老保险待遇", "conduct": "c", "finding": "f", "recovered": "是",
        "amountDefrauded": "", "unused": None})
    assert [p.field for p in problems] == ["unused"]  # unknown even when empty
    assert content["recovered"] is True and "amountDefrauded" not in content
    problems, _ = hc.item("HC-13-8-ACCIDENT").validate_content({
        "accidentKind": "安全生产", "occurredOn": datetime(2024, 2, 29, 10, 30), "conduct": "c",
        "finding": "f", "deaths": True})
    assert {p.field for p in problems} == {"occurredOn", "deaths"}


def test_string_length_default_and_not_a_mapping():
    item = load_profile("xinzheng").item("XZ-7-2-BRANCH")
    problems, _ = item.validate_content({"branchName": "b" * 201, "branchCode": "9" * 19,
                                         "legalRepresentative": "张三", "establishedOn":
                                         "2020-01-01", "registeredAddress": "新郑市"})
    assert {p.field for p in problems} == {"branchName", "branchCode"}
    problems, content = item.validate_content(["not", "a", "mapping"])
    assert problems[0].field is None and content == {}


def test_consent_field_needs_consent_reference(tmp_path):
    data = with_field({"name": "annualIncome", "label": "年收入", "type": "decimal", "unit": "万元",
                       "requires_consent": True})
    item = load_profile(write(tmp_path, data)).item("HC-11-1-IDENTITY")
    content = {"fullName": "张三", "gender": "男", "annualIncome": "12.5"}
    problems, _ = item.validate_content(content)
    assert [p.field for p in problems] == ["annualIncome"]
    assert "written consent" in problems[0].reason
    problems, normalised = item.validate_content(content, consent_ref="SQ-2024-0001")
    assert problems == [] and normalised["annualIncome"] == Decimal("12.5")
