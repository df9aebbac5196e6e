"""Prohibited information (HC-15, XZ-9): refused fields, consent-only fields, legitimate amounts."""

from __future__ import annotations

import pytest

from domain.catalogue import FieldSpec
from domain.problems import Problem, ProblemCode
from domain.prohibited import (ProhibitedInformation, check_field_definition,
                               check_record_content, find_prohibited, split_name)

NEVER = [  # (name, label, kind key)
    ("religion", "宗教信仰", "RELIGION"),
    ("faithGroup", "信仰", "RELIGION"),
    ("geneticTestResult", "检测结果", "GENE"),
    ("dna", "DNA", "GENE"),
    ("fingerprintTemplate", "指纹", "FINGERPRINT"),
    ("bloodType", "血型", "BLOOD_TYPE"),
    ("abo", "血型", "BLOOD_TYPE"),
    ("medicalHistory", "病史", "DISEASE"),
    ("chronicDiseases", "慢性病", "DISEASE"),
    ("note", "疾病诊断", "DISEASE"),
    ("ethnicity", "民族", "RACE"),
    ("race", "种族", "RACE"),
    ("familyOrigin", "家庭出身", "FAMILY_ORIGIN"),
]

CONSENT = [
    ("annualIncome", "年收入", "INCOME"),
    ("monthlySalary", "工资", "INCOME"),
    ("depositBalance", "存款余额", "DEPOSIT"),
    ("holdings", "持有股票", "SECURITIES"),
    ("securities", "有价证券", "SECURITIES"),
    ("policyValue", "商业保险保单价值", "COMMERCIAL_INSURANCE"),
    ("realEstate", "不动产", "REAL_ESTATE"),
    ("houses", "房产套数", "REAL_ESTATE"),
    ("taxAmount", "纳税数额", "TAX_AMOUNT"),
    ("annualTax", "纳税额", "TAX_AMOUNT"),
]

LEGITIMATE = [
    ("amountOwed", "欠缴金额(万元)"),
    ("fineAmount", "罚款金额(万元)"),
    ("taxArrears", "欠税"),
    ("amountOwed", "欠缴税款金额(万元)"),
    ("taxAmountOwed", "欠缴税额"),
    ("wageArrears", "拖欠工资金额(万元)"),
    ("operatingRevenue", "营业收入(万元)"),
    ("intellectualProperty", "知识产权"),
    ("generalManager", "总经理"),  # 'gene' is a whole word only
    ("traceNumber", "追溯编号"),  # 'race' likewise
    ("contributionStatus", "缴存状态"),  # housing fund 缴存 is not 存款
    ("benefitKind", "骗取的社会保险待遇"),  # social insurance is not commercial insurance
    ("taxpayerQualification", "纳税人资格"),
]


@pytest.mark.parametrize("name,label,kind", NEVER)
def test_never_collected_refused_even_with_consent(name, label, kind):
    for consent in (False, True):
        with pytest.raises(ProhibitedInformation) as err:
            check_field_definition("HC-11-1-IDENTITY",
                                   {"name": name, "label": label, "requires_consent": consent})
        assert err.value.finding.kind.key == kind
        message = str(err.value)
        assert "HC-11-1-IDENTITY" in message and repr(name) in message
        assert "never collected" in message


@pytest.mark.parametrize("name,label,kind", CONSENT)
def test_consent_kinds_need_requires_consent(name, label, kind):
    with pytest.raises(ProhibitedInformation) as err:
        check_field_definition("XZ-8-1-IDENTITY", {"name": name, "label": label})
    assert err.value.finding.kind.key == kind
    assert "XZ-9(3)" in str(err.value) and "requires_consent: true" in str(err.value)
    check_field_definition("XZ-8-1-IDENTITY",
                           {"name": name, "label": label, "requires_consent": True})


@pytest.mark.parametrize("name,label", LEGITIMATE)
def test_legitimate_fields_pass(name, label):
    assert find_prohibited(name, label) is None
    check_field_definition("HC-13-4-FEE-ARREARS", {"name": name, "label": label})


def test_matching_in_label_only_is_reported_as_label():
    finding = find_prohibited("x1", "血型")
    assert finding.kind.key == "BLOOD_TYPE" and finding.where == "label"


def test_field_spec_objects_are_checked_too():
    spec = FieldSpec(name="bloodGroup", label="血型", type="string")
    with pytest.raises(ProhibitedInformation):
        check_field_definition("HC-11-1-IDENTITY", spec)


def test_split_name():
    assert split_name("taxAmountOwed") == "tax amount owed"
    assert split_name("blood_type") == "blood type"
    assert split_name("HTTPServerName") == "http server name"


def test_record_content_prohibited_key_is_refused():
    problems = check_record_content({"religion": "x", "fineAmount": 1}, consent_ref=None)
    assert problems == [Problem("religion", "field 'religion' is prohibited information "
                                "(宗教信仰, HC-15 / XZ-9(1)) and is never collected", ProblemCode.PROHIBITED)]
    # consent does not help for the absolute kinds
    assert check_record_content({"religion": "x"}, consent_ref="SQ-2024-001")


def test_record_content_consent_kinds():
    problems = check_record_content({"annualIncome": 12, "amountOwed": 3}, consent_ref=None)
    assert [p.field for p in problems] == ["annualIncome"]
    assert "written consent" in problems[0].reason
    assert check_record_content({"annualIncome": 12}, consent_ref="   ")  # blank is no consent
    assert check_record_content({"annualIncome": 12}, consent_ref="SQ-2024-001") == []


def test_record_content_legitimate_keys_pass():
    content = {"amountOwed": 1, "fineAmount": 2, "taxArrears": 3, "wageArrears": 4}
    assert check_record_content(content, consent_ref=None) == []
