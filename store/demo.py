"""The demo data set: a deterministic, plausible district's worth of public credit records.

Why it exists: GraphiQL, the browser tests, a developer exploring the schema and anyone evaluating
the gateway need a database that looks like a real deployment (SPEC 5: the demo data is loaded on
first start). Looking real matters: masked resident IDs, archived bad records, LIMITED items,
late submissions and open objections only show their behaviour when such rows exist.

How it is built, and why:

- Deterministic. One `random.Random(seed)` and a fixed reference date (`REFERENCE_DATE`, not the
  wall clock) drive everything, so the same seed gives the same rows on every machine and every
  day, on SQLite and PostgreSQL alike; tests and screenshots can rely on it.
- Valid by construction, and checked. Subject codes carry correct GB 11643 / GB 32100 check
  characters; content is generated per record family and field and then passed through the
  catalogue item's own `validate_content`; visibility, severity, disclosure end, deadline and
  lateness come from `domain.record_facts.derive_facts`, exactly as for a submitted record.
- Everything rule-like comes from the jurisdiction profile: items, providers, subject kinds,
  classes, periods, deadlines, enum values. The only local knowledge kept here is the area of
  each shipped profile (division codes, court, streets) and a vocabulary of plausible Chinese
  text per record family.
- Fast: generated in memory (a few seconds at most for 20,000 records) and written in ONE
  transaction with bulk inserts, so a half-loaded demo never exists.

`load_demo_data(engine, profile_code)` is the entry point; `build_demo_data` is the pure part
(no database), which tests and tools can call on their own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import (CatalogueItem, DeadlineFrom, Department, FieldSpec, JurisdictionProfile,
                              load_profile)
from domain.disclosure import add_months, add_years, repairable_from
from domain.enums import Category, RecordFamily, RecordStatus, SubjectKind, SubjectStatus
from domain.identifiers import (CREDIT_CODE_ALPHABET, credit_code_check_char, organisation_code_check_char,
                                resident_id_check_char)
from domain.record_facts import derive_facts, period_end
from domain.working_days import WorkingDayCalendar
from store.demo_cases import CaseRows, apply_case_workflows
from store.id_sequences import continue_ids_after
from store.models import Annotation, Case, Notification, Record, RecordEvent, RecordTombstone, Subject

__all__ = ["REFERENCE_DATE", "DEFAULT_SEED", "SUBMITTED_BY", "DemoData", "build_demo_data",
           "load_demo_data"]

REFERENCE_DATE = date(2026, 11, 1)  # "today" of the demo world: fixed so output is reproducible
DEFAULT_SEED = 20171001  # the day the Huancui measures took effect (HC-38)
SUBMITTED_BY = "demo-loader"
EARLIEST_DECISION = date(2016, 1, 1)

PERSON_SHARE = 0.40  # natural persons among subjects; the rest are organisations
LATE_SHARE = 0.08  # submissions made after the item's deadline (XZ-13 reminders need some)
ONGOING_SHARE = 0.1  # arrears and judgments still unpaid: no act end yet, live until reported (HC-19(3))
OLD_BAD_SHARE = 0.35  # bad records whose disclosure period is long over (archived, SPEC 3.2)
OPTIONAL_BLANK_SHARE = 0.12  # optional fields a provider leaves empty
CONSENT_SHARE = 0.30  # records carrying consent-only content (XZ-9(3)) with a consent reference
ANNOTATED_SHARE = 0.006  # active records with an open objection annotation (HC-29)
OBJECTION_TEXT = "信息主体已提出异议，正在核查中"

CST = dt.timezone(dt.timedelta(hours=8))  # submissions happen in office hours, China time
UTC = dt.timezone.utc
ONE_DAY = timedelta(days=1)

# How the records are spread over record families (share of all records). Families a profile
# lacks are left out and the rest renormalised; within a family, items that more departments
# provide get more records, and items graded SERIOUS fewer (serious cases are rarer).
FAMILY_SHARE: dict[RecordFamily, float] = {
    RecordFamily.ORGANISATION_REGISTRATION: 6,
    RecordFamily.PERSON_IDENTITY: 8,
    RecordFamily.LICENCE: 14,
    RecordFamily.OTHER: 5,
    RecordFamily.HONOUR: 6,
    RecordFamily.EVALUATION: 5,
    RecordFamily.PENALTY: 28,
    RecordFamily.JUDGMENT: 5,
    RecordFamily.ARREARS: 8,
    RecordFamily.MISCONDUCT: 15,
}
MIN_PER_ITEM = 5


# ------------------------------------------------------------------------------------ the area


@dataclass(frozen=True)
class Area:
    """Where a shipped profile's deployment is: names and codes that make the data look local."""

    full: str  # prefix of organisation names: 威海市环翠区
    county: str  # 环翠区 (individual businesses, document abbreviations)
    short: str  # 环: first character of document numbers
    city: str
    city_letter: str  # vehicle/equipment registration letter of the city
    province: str
    province_abbr: str  # 鲁: case numbers, licence numbers
    court: str
    court_code: str  # 1002: court code in case numbers, e.g. （2024）鲁1002执123号
    home_division: str  # resident ID / credit code division of the county
    nearby_divisions: tuple[str, ...]
    towns: tuple[str, ...]
    streets: tuple[str, ...]
    farm_products: tuple[str, ...]
    local_industries: tuple[tuple[str, str, tuple[str, ...]], ...]
    volunteer_themes: tuple[str, ...]
    universities: tuple[str, ...]
    colleges: tuple[str, ...]
    geographic_mark: str


AREAS: dict[str, Area] = {
    "huancui": Area(
        full="威海市环翠区", county="环翠区", short="环", city="威海市", city_letter="K",
        province="山东省", province_abbr="鲁", court="威海市环翠区人民法院", court_code="1002",
        home_division="371002", nearby_divisions=("371003", "371082", "371083"),
        towns=("鲸园街道", "环翠楼街道", "竹岛街道", "孙家疃街道", "皇冠街道", "怡园街道", "田和街道",
               "嵩山街道", "张村镇", "羊亭镇", "温泉镇", "桥头镇"),
        streets=("统一路", "新威路", "青岛中路", "世昌大道", "古寨东路", "文化西路", "海滨北路", "昆明路",
                 "塔山中路", "东城路", "环山路", "高山街", "光明路", "渔港路", "同德路", "戚家庄路"),
        farm_products=("苹果种植", "无花果种植", "海参养殖", "蓝莓种植", "茶叶种植", "蔬菜种植"),
        local_industries=(("水产", "水产品加工、销售；海水养殖；冷藏仓储", ("食品生产许可证", "排污许可证")),
                          ("海洋科技", "海洋生物技术开发；海藻制品研发、销售", ("食品生产许可证",))),
        volunteer_themes=("海滩环保清洁", "关爱空巢老人", "文明交通劝导", "助学帮扶", "文明城市创建",
                          "社区疫情防控", "扶残助残"),
        universities=("山东大学（威海）", "哈尔滨工业大学（威海）", "山东交通学院", "鲁东大学", "青岛大学"),
        colleges=("威海职业学院", "威海海洋职业学院", "山东外事职业大学"),
        geographic_mark="威海刺参"),
    "xinzheng": Area(
        full="新郑市", county="新郑市", short="新", city="郑州市", city_letter="A",
        province="河南省", province_abbr="豫", court="新郑市人民法院", court_code="0184",
        home_division="410184", nearby_divisions=("410122", "410183", "410185", "410105"),
        towns=("新建路街道", "新华路街道", "新烟街道", "和庄镇", "薛店镇", "孟庄镇", "郭店镇", "龙湖镇",
               "辛店镇", "观音寺镇", "梨河镇", "城关乡", "八千乡", "龙王乡"),
        streets=("中华北路", "人民路", "金城路", "文化路", "轩辕路", "新华路", "解放路", "郑韩路",
                 "炎黄大道", "玉前路", "梨河路", "黄水路", "双洎河路", "新密路"),
        farm_products=("红枣种植", "小麦种植", "蔬菜种植", "花生种植", "中药材种植", "肉牛养殖"),
        local_industries=(("枣业", "红枣种植、加工、销售；预包装食品销售", ("食品生产许可证", "食品经营许可证")),
                          ("航空物流", "航空货运代理；仓储服务；供应链管理", ("道路运输经营许可证",))),
        volunteer_themes=("黄帝故里拜祖大典服务", "关爱空巢老人", "文明交通劝导", "助学帮扶",
                          "防汛救灾", "文明城市创建", "扶残助残"),
        universities=("郑州大学", "河南大学", "河南工业大学", "郑州航空工业管理学院", "郑州升达经贸管理学院",
                      "郑州工商学院"),
        colleges=("郑州铁路职业技术学院", "河南职业技术学院", "郑州信息科技职业学院"),
        geographic_mark="新郑大枣"),
}


def area_for(profile: JurisdictionProfile) -> Area:
    """The shipped area of a profile; a profile loaded from elsewhere borrows Huancui's streets."""
    return AREAS.get(profile.code, AREAS["huancui"])


# ------------------------------------------------------------------------ small random helpers


def _rand_date(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))


def _weighted(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*options)
    return rng.choices(values, weights=weights)[0]


def _descending(rng: random.Random, values: tuple[str, ...] | list[str], ratio: float = 0.35) -> str:
    """Pick from values with the first most likely (e.g. minor accidents before major ones)."""
    return rng.choices(list(values), weights=[ratio ** i for i in range(len(values))])[0]


def _ascending(rng: random.Random, values: tuple[str, ...] | list[str], ratio: float = 0.45) -> str:
    """Pick from values with the last most likely (honour levels are listed highest first)."""
    n = len(values)
    return rng.choices(list(values), weights=[ratio ** (n - 1 - i) for i in range(n)])[0]


def _office_time(rng: random.Random, day: date) -> dt.datetime:
    """A moment in office hours (China time) on `day`, stored in UTC like every timestamp."""
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    local = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, rng.randint(0, 59), tzinfo=CST)
    return local.astimezone(UTC)


class Yuan(float):
    """An amount in yuan; written in 万元 when the field's label says so (most catalogue amounts)."""


def _yuan(rng: random.Random, lo: float, hi: float, step: int = 100) -> Yuan:
    """Log-uniform amount between lo and hi yuan, rounded like real decisions are (to `step`)."""
    value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return Yuan(max(step, round(value / step) * step))


def _day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _money_text(amount: float) -> str:
    return f"{amount:.0f}元" if amount < 100000 else f"{amount / 10000:g}万元"


# --------------------------------------------------------------------------- names and codes

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
            "莫孔向汤")
_SURNAME_WEIGHTS = [1.0 / (rank + 6) for rank in range(len(SURNAMES))]  # 王李张 far more common
MALE_SINGLE = "伟强磊军勇杰涛斌超明刚辉鹏飞波宇浩凯健龙峰亮东"
MALE_FIRST = "志建国海俊文晓宏子浩家明永振立德春天云新嘉宇"
MALE_SECOND = "强伟军平华东峰刚涛明杰辉龙鹏飞宇轩博然豪成林"
FEMALE_SINGLE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩洁莉萍红梅"
FEMALE_FIRST = "秀丽美晓雅婷静文欣佳春红玉淑慧思雨梦子诗"
FEMALE_SECOND = "英兰芳娟敏霞丽萍燕玲婷颖琳洁雪倩琪涵怡彤"
TRADE_CHARS = "鑫盛华恒泰瑞丰达源宏博嘉信安顺祥联创润德富中天利兴荣金宇远汇通航晨明诚和佳鼎昊卓越腾峰辉凯益康永正晟骏"


def person_name(rng: random.Random, male: bool) -> str:
    """Surname weighted by frequency, then one (30%) or two given-name characters."""
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    if rng.random() < 0.3:
        return surname + rng.choice(MALE_SINGLE if male else FEMALE_SINGLE)
    first, second = (MALE_FIRST, MALE_SECOND) if male else (FEMALE_FIRST, FEMALE_SECOND)
    a, b = rng.choice(first), rng.choice(second)
    return surname + a + (b if b != a else rng.choice(second))


def trade_name(rng: random.Random) -> str:
    """2-3 auspicious characters, the core of most Chinese company names (字号)."""
    size = 2 if rng.random() < 0.75 else 3
    return "".join(rng.sample(TRADE_CHARS, size))


def resident_id(rng: random.Random, division: str, born: date, male: bool) -> str:
    """GB 11643: division + birth date + sequence (odd for men, even for women) + check char."""
    sequence = rng.randint(0, 498) * 2 + (1 if male else 2)
    first17 = f"{division}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


_ORG_BODY_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"


def organisation_code(rng: random.Random, modern: bool) -> str:
    """The 9-character organisation code inside a credit code, with its GB 11714 check char.

    Codes issued since the 2015 reform start with MA; older ones are all digits.
    """
    if modern:
        body = "MA" + "".join(rng.choice("0123456789" + _ORG_BODY_LETTERS) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return body + organisation_code_check_char(body)


def credit_code(rng: random.Random, authority: str, category: str, division: str, modern: bool) -> str:
    """GB 32100: authority + category + division + organisation code + MOD 31 check char."""
    first17 = f"{authority}{category}{division}{organisation_code(rng, modern)}"
    assert all(c in CREDIT_CODE_ALPHABET for c in first17)
    return first17 + credit_code_check_char(first17)


def _division(rng: random.Random, area: Area) -> str:
    return area.home_division if rng.random() < 0.8 else rng.choice(area.nearby_divisions)


def _address(rng: random.Random, area: Area) -> str:
    if rng.random() < 0.75:
        return f"{area.full}{rng.choice(area.streets)}{rng.randint(1, 399)}号"
    return f"{area.full}{rng.choice(area.towns)}{_village(rng)}村{rng.randint(1, 120)}号"


def _village(rng: random.Random) -> str:
    return rng.choice("东西南北前后大小王李张刘孙马郭于") + rng.choice(
        ("家庄", "家疃", "家岭", "家寨", "楼", "营", "湾", "庄", "岗", "店"))


# ------------------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class Industry:
    """An industry: the word in company names, a business scope and its typical licences."""

    word: str
    scope: str
    licences: tuple[str, ...] = ()


INDUSTRIES: tuple[Industry, ...] = (
    Industry("商贸", "日用百货、五金交电、建筑材料、电子产品批发零售；货物进出口", ("食品经营许可证",)),
    Industry("建筑工程", "房屋建筑工程、市政公用工程施工；土石方工程；建筑劳务分包",
             ("建筑业企业资质证书", "建筑工程施工许可证", "安全生产许可证")),
    Industry("食品", "食品生产；食品销售；农副产品收购", ("食品生产许可证", "食品经营许可证", "排污许可证")),
    Industry("物流", "普通货物道路运输；仓储服务（不含危险化学品）；装卸搬运", ("道路运输经营许可证",)),
    Industry("科技", "软件开发；信息系统集成服务；信息技术咨询服务；技术推广服务"),
    Industry("餐饮管理", "餐饮服务；餐饮管理；食品销售", ("食品经营许可证", "公共场所卫生许可证")),
    Industry("医疗器械", "第二类医疗器械销售；第三类医疗器械经营", ("医疗器械经营许可证",)),
    Industry("环保科技", "环保技术开发、咨询；污水处理设备销售；固体废物治理", ("排污许可证",)),
    Industry("装饰工程", "住宅室内装饰装修；建筑装饰工程施工；建筑材料销售", ("建筑业企业资质证书",)),
    Industry("汽车销售服务", "汽车新车销售；二手车经纪；机动车修理和维护", ("道路运输经营许可证",)),
    Industry("农业发展", "蔬菜、水果种植及销售；农业技术推广服务；农产品初加工"),
    Industry("物业管理", "物业管理；家政服务；停车场服务；城市绿化管理", ("特种设备使用登记证",)),
    Industry("化工", "化工产品（不含许可类化工产品）销售；危险化学品经营",
             ("危险化学品经营许可证", "安全生产许可证", "排污许可证")),
    Industry("人力资源", "劳务派遣服务；职业中介活动；人力资源服务", ("劳务派遣经营许可证", "人力资源服务许可证")),
    Industry("医药连锁", "药品零售；保健食品销售；第二类医疗器械销售", ("药品经营许可证", "食品经营许可证")),
    Industry("机械制造", "通用设备制造；金属加工机械制造；机械零部件加工", ("排污许可证", "特种设备使用登记证")),
    Industry("酒店管理", "住宿服务；餐饮服务；会议及展览服务", ("公共场所卫生许可证", "食品经营许可证")),
)
# Individual businesses (个体工商户): shop word -> the industry whose licences they need.
SHOPS: tuple[tuple[str, str], ...] = (
    ("烩面馆", "餐饮管理"), ("家常菜馆", "餐饮管理"), ("水饺馆", "餐饮管理"), ("烧烤店", "餐饮管理"),
    ("便利店", "商贸"), ("超市", "商贸"), ("烟酒店", "商贸"), ("五金建材店", "商贸"), ("水果店", "商贸"),
    ("理发店", "酒店管理"), ("汽车修理部", "汽车销售服务"), ("大药房", "医药连锁"),
)

# (kind, share, registration authority char, category char): GB 32100 positions 1-2.
ORG_TYPES: tuple[tuple[str, float, str, str], ...] = (
    ("enterprise", 0.60, "9", "1"),
    ("individual", 0.20, "9", "2"),
    ("cooperative", 0.05, "9", "3"),
    ("institution", 0.04, "1", "2"),
    ("social_group", 0.02, "5", "1"),
    ("private_non_enterprise", 0.03, "5", "2"),
    ("village_collective", 0.04, "N", "2"),
    ("other", 0.02, "Y", "1"),
)
ORG_FORMS = {  # organisation kind -> organisationForm enum value in the catalogues
    "individual": "个体工商户", "cooperative": "农民专业合作社", "institution": "事业单位",
    "social_group": "社会团体", "private_non_enterprise": "民办非企业单位",
    "village_collective": "其他组织", "other": "其他组织",
}
EDUCATION_LEVELS = ("博士研究生", "硕士研究生", "大学本科", "大学专科", "中等职业教育", "普通高中", "初中及以下")
GRADUATION_AGE = {"博士研究生": 29, "硕士研究生": 25, "大学本科": 22, "大学专科": 21, "中等职业教育": 18,
                  "普通高中": 18, "初中及以下": 15}


@dataclass
class DemoSubject:
    """A generated subject with the facts its records draw on (names, dates, industry)."""

    code: str
    kind: SubjectKind
    name: str
    status: SubjectStatus
    ended_on: date | None
    active_from: date  # no decision about the subject before this (birth + 18, establishment)
    risk: float  # bad records concentrate on a few subjects, good ones on others
    # natural persons
    male: bool = False
    born: date | None = None
    education: str | None = None
    marital: str | None = None
    employer: str | None = None
    # organisations
    org_type: str | None = None
    form: str | None = None
    industry: Industry | None = None
    legal_rep: str | None = None
    address: str | None = None
    trade: str | None = None

    @property
    def is_person(self) -> bool:
        return self.kind is SubjectKind.NATURAL_PERSON

    def latest_decision(self, today: date) -> date:
        return min(today - ONE_DAY, self.ended_on or today)


def _make_person(rng: random.Random, area: Area, today: date, employers: list[str]) -> DemoSubject:
    male = rng.random() < 0.52
    born = _rand_date(rng, date(1950, 1, 1), date(2004, 12, 31))
    age = (today - born).days // 365
    deceased = rng.random() < (0.12 if born.year < 1960 else 0.015)
    ended = _rand_date(rng, date(2017, 6, 1), today - ONE_DAY) if deceased else None
    levels = EDUCATION_LEVELS if born.year >= 1975 else EDUCATION_LEVELS[2:]
    weights = [0.4, 2, 14, 16, 12, 18, 20][-len(levels):]
    education = rng.choices(levels, weights=weights)[0]
    while born.year + GRADUATION_AGE[education] >= today.year:
        education = EDUCATION_LEVELS[EDUCATION_LEVELS.index(education) + 1]
    marital = ("未婚" if age < 24 else _weighted(rng, [("已婚", 0.82), ("离婚", 0.08), ("未婚", 0.05),
                                                       ("丧偶", 0.05 if age > 55 else 0.01)]))
    employer = None if age >= 62 or rng.random() < 0.12 else (
        "个体经营" if rng.random() < 0.12 else rng.choice(employers) if employers else None)
    return DemoSubject(
        code=resident_id(rng, _division(rng, area), born, male), kind=SubjectKind.NATURAL_PERSON,
        name=person_name(rng, male), status=SubjectStatus.DECEASED if deceased else SubjectStatus.ACTIVE,
        ended_on=ended, active_from=add_years(born, 18), risk=rng.lognormvariate(0, 1), male=male, born=born,
        education=education, marital=marital, employer=employer)


def _organisation_name(rng: random.Random, area: Area, org_type: str, form: str | None,
                       industry: Industry | None, shop: str | None, trade: str) -> str:
    """A plausible registered name for each kind of organisation (企业名称登记管理规定 style)."""
    if org_type == "enterprise":
        assert industry is not None
        if form == "股份有限公司":
            return f"{area.full}{trade}{industry.word}股份有限公司"
        if form == "个人独资企业":
            return f"{area.full}{trade}{industry.word}{rng.choice(('经营部', '商行', '服务部'))}"
        if form == "合伙企业":
            return f"{area.full}{trade}企业管理咨询中心（有限合伙）"
        return f"{area.full}{trade}{industry.word}{'有限公司' if rng.random() < 0.75 else '有限责任公司'}"
    if org_type == "individual":
        style = _weighted(rng, [(trade, 0.5), (f"老{rng.choice(SURNAMES[:30])}家", 0.25),
                                (f"{rng.choice(SURNAMES[:30])}记", 0.25)])
        return f"{area.county}{style}{shop}"
    if org_type == "cooperative":
        return f"{area.full}{rng.choice(area.towns)}{trade}{rng.choice(area.farm_products)}专业合作社"
    if org_type == "institution":
        service = rng.choice(("社区卫生服务中心", "中心小学", "中心幼儿园", "农业综合服务中心", "便民服务中心",
                              "综合文化站", "退役军人服务站", "水利工作站"))
        return f"{area.full}{rng.choice(area.towns)}{service}"
    if org_type == "social_group":
        if rng.random() < 0.5:
            return f"{area.full}{rng.choice(area.towns)}商会"
        trade = rng.choice(("餐饮行业", "个体劳动者", "建筑业", "物流行业", "老年人体育", "书法家", "摄影家",
                            "青年企业家", "装饰装修行业", "电子商务"))
        return f"{area.full}{trade}协会"
    if org_type == "private_non_enterprise":
        return f"{area.full}{trade}{rng.choice(('职业培训学校', '养老服务中心', '幼儿园', '社会工作服务中心', '艺术培训学校'))}"
    if org_type == "village_collective":
        return f"{area.full}{rng.choice(area.towns)}{_village(rng)}村股份经济合作社"
    return f"{area.full}{trade}{rng.choice(('花园', '家园', '小区', '苑'))}业主委员会"


_NON_ENTERPRISE_SCOPES = {
    "institution": "为社会提供公共服务，承担政府委托的相关公益性服务事项",
    "social_group": "行业交流、业务培训、咨询服务、权益维护",
    "private_non_enterprise": "职业技能培训；养老服务；学前教育；社会工作服务",
    "village_collective": "集体资产经营与管理；集体资源开发与利用；为成员提供生产服务",
    "other": "业主自治管理；监督物业服务合同履行",
    "cooperative": "组织收购、销售成员生产的农产品；引进新技术、新品种；开展技术培训与信息服务",
}


def _make_organisation(rng: random.Random, area: Area, today: date, taken_names: set[str]) -> DemoSubject:
    org_type, _, authority, category = _weighted(rng, [(t, t[1]) for t in ORG_TYPES])
    established = _rand_date(rng, date(1995, 1, 1), today - timedelta(days=200))
    if org_type in ("individual", "cooperative"):  # most of these are young
        established = max(established, _rand_date(rng, date(2008, 1, 1), today - timedelta(days=200)))
    form, industry, shop = ORG_FORMS.get(org_type), None, None
    if org_type == "enterprise":
        form = _weighted(rng, [("有限责任公司", 0.8), ("股份有限公司", 0.05), ("个人独资企业", 0.08),
                               ("合伙企业", 0.07)])
        industry = rng.choice(INDUSTRIES + tuple(Industry(*x) for x in area.local_industries))
    elif org_type == "individual":
        shop, word = rng.choice(SHOPS)
        industry = next(i for i in INDUSTRIES if i.word == word)
    elif org_type == "cooperative":
        industry = Industry("农业发展", _NON_ENTERPRISE_SCOPES["cooperative"])
    for _ in range(50):
        trade = trade_name(rng)
        name = _organisation_name(rng, area, org_type, form, industry, shop, trade)
        if name not in taken_names:
            break
    taken_names.add(name)
    ends = rng.random() < (0.09 if org_type == "individual" else 0.05)
    ended = _rand_date(rng, max(established + timedelta(days=365), date(2018, 1, 1)),
                       today - timedelta(days=30)) if ends else None
    if ended is not None and ended <= established:
        ended = None
    if industry is None:
        industry = Industry("", _NON_ENTERPRISE_SCOPES[org_type])
    return DemoSubject(
        code=credit_code(rng, authority, category, _division(rng, area), modern=established.year >= 2016),
        kind=SubjectKind.ORGANISATION, name=name,
        status=SubjectStatus.TERMINATED if ended else SubjectStatus.ACTIVE, ended_on=ended,
        active_from=established, risk=rng.lognormvariate(0, 1), org_type=org_type, form=form, industry=industry,
        legal_rep=person_name(rng, rng.random() < 0.7), address=_address(rng, area), trade=trade)


def make_subjects(rng: random.Random, area: Area, count: int, today: date,
                  taken_codes: set[str]) -> list[DemoSubject]:
    """`count` subjects with unique codes (also unique against `taken_codes`, e.g. existing rows).

    Organisations come first so that persons can name one of them as their employer.
    """
    persons = round(count * PERSON_SHARE)
    subjects: list[DemoSubject] = []
    names: set[str] = set()
    while len(subjects) < count - persons:
        subject = _make_organisation(rng, area, today, names)
        if subject.code not in taken_codes:
            taken_codes.add(subject.code)
            subjects.append(subject)
    employers = [s.name for s in subjects if s.org_type == "enterprise"]
    while len(subjects) < count:
        subject = _make_person(rng, area, today, employers)
        if subject.code not in taken_codes:
            taken_codes.add(subject.code)
            subjects.append(subject)
    return subjects


# ------------------------------------------------------------------------- departments


# (keyword in the department's name, domain, abbreviation used in document numbers)
_DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("市场监督", "market", "市监"), ("行政审批", "approval", "审批"), ("税务", "tax", "税"),
    ("人力资源", "labour", "人社"), ("住房公积金", "fund", "公积金"), ("住房和城乡建设", "construction", "建"),
    ("生态环境", "environment", "环境"), ("应急管理", "safety", "应急"), ("教育", "education", "教"),
    ("民政", "civil", "民"), ("公安", "police", "公"), ("法院", "court", "法"), ("共青团", "youth", "团"),
    ("交通运输", "transport", "交"), ("卫生健康", "health", "卫健"), ("城市管理", "urban", "城管"),
    ("自然资源", "land", "自然资源"), ("农业农村", "agriculture", "农"), ("文化", "culture", "文旅"),
    ("商务", "commerce", "商务"), ("医疗保障", "medical", "医保"), ("发展和改革", "development", "发改"),
)


def department_domain(department: Department) -> tuple[str, str]:
    """(domain, abbreviation) of a department, from its name; unknown ones get a generic domain."""
    for keyword, domain, abbr in _DOMAINS:
        if keyword in department.name:
            return domain, abbr
    return "general", department.code[:2]


# ------------------------------------------------------------------- document numbers


class DocumentNumbers:
    """Realistic, unique document numbers: 环市监处罚〔2024〕153号, （2024）鲁1002执123号.

    Numbers rise through each year per (prefix, year) as records are numbered in decision order;
    `taken` holds (provider, item, number) already in the database so a second load never
    collides with the first (the store's unique key is per provider and item).
    """

    def __init__(self, rng: random.Random, area: Area, taken: set[tuple[str, str, str]]):
        self.rng, self.area, self.taken = rng, area, taken
        self.counters: dict[tuple[str, int], int] = {}

    def _next(self, key: tuple[str, int]) -> int:
        current = self.counters.get(key)
        current = self.rng.randint(1, 40) if current is None else current + self.rng.randint(1, 4)
        self.counters[key] = current
        return current

    def official(self, abbr: str, kind: str, year: int) -> str:
        prefix = f"{self.area.short}{abbr}{kind}"
        return f"{prefix}〔{year}〕{self._next((prefix, year))}号"

    def case(self, case_type: str, year: int) -> str:
        return (f"（{year}）{self.area.province_abbr}{self.area.court_code}{case_type}"
                f"{self._next(('case' + case_type, year))}号")

    def unique(self, provider: str, item: str, make) -> str:
        for _ in range(1000):
            number = make()
            if (provider, item, number) not in self.taken:
                self.taken.add((provider, item, number))
                return number
        raise RuntimeError(f"cannot find a free document number for {provider}/{item}")


def _document_kind(item: CatalogueItem) -> str:
    """The character(s) of a decision's kind in its number, from the item's name and family."""
    for keyword, kind in (("认证", "认证"), ("强制", "强执"), ("禁入", "禁入"), ("董事", "禁入"),
                          ("责令改正", "责改"), ("荣誉", "奖"), ("表彰", "奖"), ("志愿", "志"),
                          ("慈善", "捐"), ("评价", "评"), ("商标", "知"), ("经营、财务", "年报"),
                          ("登记", "登")):
        if keyword in item.name:
            return kind
    return {RecordFamily.ORGANISATION_REGISTRATION: "登", RecordFamily.PERSON_IDENTITY: "信",
            RecordFamily.LICENCE: "许", RecordFamily.HONOUR: "奖", RecordFamily.EVALUATION: "评",
            RecordFamily.PENALTY: "处罚", RecordFamily.ARREARS: "催缴", RecordFamily.MISCONDUCT: "认定",
            }.get(item.family, "字")


def _court_case_type(item: CatalogueItem) -> str | None:
    """The case type code when a court's record rests on a case number rather than a letter."""
    if item.family is RecordFamily.JUDGMENT:
        return "执" if ("失信" in item.name or "执行" in item.name) else "民初"
    for keyword, case_type in (("虚假诉讼", "司惩"), ("破产", "破"), ("董事", "刑初"), ("刑事", "刑初")):
        if keyword in item.name:
            return case_type
    return None


# --------------------------------------------------------------------- content vocabulary

# Violations per department domain: (违法行为, 处罚依据). Persons get their own list.
VIOLATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "market": (("未按规定公示年度报告", "《企业信息公示暂行条例》第八条、第十七条"),
               ("销售不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条第一款"),
               ("经营超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项"),
               ("未取得食品经营许可从事食品经营活动", "《中华人民共和国食品安全法》第一百二十二条第一款"),
               ("发布虚假广告", "《中华人民共和国广告法》第五十五条第一款"),
               ("销售不合格产品", "《中华人民共和国产品质量法》第五十条"),
               ("使用未经检定的计量器具", "《中华人民共和国计量法实施细则》第四十三条"),
               ("特种设备未经定期检验继续使用", "《中华人民共和国特种设备安全法》第八十四条第（一）项"),
               ("对商品作虚假或者引人误解的商业宣传", "《中华人民共和国反不正当竞争法》第二十条第一款")),
    "tax": (("未按照规定期限办理纳税申报和报送纳税资料", "《中华人民共和国税收征收管理法》第六十二条"),
            ("未按规定开具发票", "《中华人民共和国发票管理办法》第三十五条"),
            ("少缴应纳税款", "《中华人民共和国税收征收管理法》第六十三条第一款"),
            ("未按照规定保管账簿、记账凭证", "《中华人民共和国税收征收管理法》第六十条第一款")),
    "labour": (("未按规定为职工缴纳社会保险费", "《中华人民共和国社会保险法》第八十六条"),
               ("安排劳动者延长工作时间超过法定限度", "《劳动保障监察条例》第二十五条"),
               ("未按规定建立职工名册", "《中华人民共和国劳动合同法实施条例》第三十三条"),
               ("克扣、拖欠劳动者工资", "《保障农民工工资支付条例》第五十四条")),
    "construction": (("未取得施工许可证擅自施工", "《建筑工程施工许可管理办法》第十二条"),
                     ("未组织竣工验收擅自交付使用", "《建设工程质量管理条例》第五十八条"),
                     ("未按规定对建筑材料进行检验", "《建设工程质量管理条例》第六十五条"),
                     ("违法分包工程", "《建设工程质量管理条例》第六十二条"),
                     ("施工现场扬尘污染防治措施不到位", "《中华人民共和国大气污染防治法》第一百一十五条")),
    "environment": (("超过大气污染物排放标准排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条第（二）项"),
                    ("未依法报批建设项目环境影响报告表擅自开工建设", "《中华人民共和国环境影响评价法》第三十一条第一款"),
                    ("通过暗管方式排放水污染物", "《中华人民共和国水污染防治法》第八十三条第（三）项"),
                    ("未按规定设置危险废物识别标志", "《中华人民共和国固体废物污染环境防治法》第一百一十二条第一款"),
                    ("无排污许可证排放污染物", "《排污许可管理条例》第三十三条第（一）项")),
    "safety": (("未按规定对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条第（三）项"),
               ("未对安全设备进行经常性维护、保养和定期检测", "《中华人民共和国安全生产法》第九十九条第（三）项"),
               ("未采取措施消除事故隐患", "《中华人民共和国安全生产法》第一百零二条"),
               ("特种作业人员未按照规定经专门的安全作业培训并取得相应资格上岗作业",
                "《中华人民共和国安全生产法》第九十七条第（七）项")),
    "education": (("未经批准擅自举办校外培训机构", "《中华人民共和国民办教育促进法》第六十四条"),
                  ("民办学校违规招生", "《中华人民共和国民办教育促进法》第六十二条")),
    "civil": (("社会组织未按规定参加年度检查", "《社会团体登记管理条例》第三十条"),
              ("民办非企业单位超出章程规定的宗旨和业务范围进行活动", "《民办非企业单位登记管理暂行条例》第二十五条")),
    "fund": (("单位未按规定办理住房公积金缴存登记", "《住房公积金管理条例》第三十七条"),
             ("逾期不缴或者少缴住房公积金", "《住房公积金管理条例》第三十八条")),
    "police": (("消防设施、器材未保持完好有效", "《中华人民共和国消防法》第六十条第一款第（一）项"),
               ("占用、堵塞、封闭疏散通道、安全出口", "《中华人民共和国消防法》第六十条第一款第（三）项")),
}
PERSON_VIOLATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "market": (("无照经营", "《无证无照经营查处办法》第十三条"),
               ("销售过期食品", "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项")),
    "environment": (("露天焚烧秸秆、落叶等产生烟尘污染的物质", "《中华人民共和国大气污染防治法》第一百一十九条第一款"),),
    "construction": (("擅自变动房屋建筑主体和承重结构", "《住宅室内装饰装修管理办法》第三十八条"),),
    "tax": (("未按规定办理个人所得税纳税申报", "《中华人民共和国税收征收管理法》第六十二条"),),
    "labour": (("以欺诈手段骗取失业保险金", "《中华人民共和国社会保险法》第八十八条"),),
    "safety": (("特种作业人员未持证上岗", "《中华人民共和国安全生产法》第九十七条第（七）项"),),
    "education": (("未经批准擅自举办校外培训机构", "《中华人民共和国民办教育促进法》第六十四条"),),
    "civil": (("未经登记擅自以社会团体名义进行活动", "《社会团体登记管理条例》第三十二条"),),
    "fund": (("以虚假材料骗提住房公积金", "《住房公积金管理条例》第三十八条"),),
}
BAN_VIOLATIONS: dict[str, tuple[str, str]] = {
    "market": ("生产经营不符合食品安全标准的食品，情节严重", "《中华人民共和国食品安全法》第一百三十五条"),
    "construction": ("以欺骗手段取得建筑业企业资质证书", "《建筑业企业资质管理规定》第三十六条"),
    "safety": ("对重大生产安全事故负有责任", "《中华人民共和国安全生产法》第九十四条"),
    "education": ("教师违反职业道德，情节严重", "《中华人民共和国教师法》第三十七条"),
    "labour": ("以欺骗手段取得职业资格证书", "《中华人民共和国行政许可法》第七十九条"),
    "court": ("犯虚开增值税专用发票罪", "《中华人民共和国刑法》第二百零五条、第三十七条之一"),
}
TAX_VIOLATIONS = {  # violation kind -> (main facts, article of the tax collection law)
    "偷税": ("采取虚假申报、隐匿收入等手段，{year}年度少缴增值税、企业所得税等税款共计{amount}", "第六十三条第一款"),
    "逃避追缴欠税": ("欠缴应纳税款{amount}，采取转移、隐匿财产的手段，妨碍税务机关追缴欠缴的税款", "第六十五条"),
    "骗取出口退税": ("{year}年度以假报出口等欺骗手段骗取国家出口退税款{amount}", "第六十六条第一款"),
    "抗税": ("以暴力、威胁方法拒不缴纳{year}年度应纳税款{amount}", "第六十七条"),
}
COERCION_BASIS = {
    "查封": "《中华人民共和国行政强制法》第二十二条", "扣押": "《中华人民共和国行政强制法》第二十三条",
    "冻结": "《中华人民共和国行政强制法》第二十九条", "加处": "《中华人民共和国行政强制法》第四十五条",
    "划拨": "《中华人民共和国行政强制法》第四十七条", "拍卖": "《中华人民共和国行政强制法》第四十六条",
    "排除": "《中华人民共和国行政强制法》第四十四条", "代履行": "《中华人民共和国行政强制法》第五十条",
}
OBLIGATIONS = ("支付货款", "偿还借款本金", "支付工程款", "支付劳动报酬", "支付租金", "返还购房款", "支付货运代理费")
DISHONEST_CONDUCT = ("有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令",
                     "以伪造证据、暴力、威胁等方法妨碍、抗拒执行", "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行")
EXAMS = ("全国硕士研究生招生考试", "全国一级建造师执业资格考试", "普通高等学校招生全国统一考试", "全国会计专业技术资格考试",
         "公务员录用考试", "中小学教师资格考试", "全国护士执业资格考试", "二级建造师执业资格考试")
CHEATING = ("携带具有发送或者接收信息功能的设备进入考场", "由他人冒名代替参加考试", "抄袭他人答案",
            "使用伪造的身份证件参加考试")
# Enum values (by keyword) that fit what a department of each domain records.
DOMAIN_KINDS: dict[str, tuple[str, ...]] = {
    "safety": ("安全生产",), "environment": ("环境污染",), "market": ("产品质量", "食品安全", "经营异常", "禁入"),
    "labour": ("保险待遇", "禁入"), "civil": ("最低生活", "社会救助", "CHARITY"),
    "construction": ("住房", "禁入"), "tax": ("非正常户", "税"), "court": ("刑事", "判决", "执行"),
    "education": ("学历", "学术", "禁止"), "youth": ("VOLUNTEER",),
}
SCHEMES: dict[str, tuple[str, tuple[str, ...], int]] = {  # domain -> (评价体系, good ratings, years valid)
    "tax": ("纳税信用等级评价", ("A级",), 1),
    "labour": ("劳动保障守法诚信等级评价", ("A级",), 1),
    "construction": ("建筑市场主体信用评价", ("AAA级", "AA级"), 1),
    "environment": ("企业环境信用评价", ("环保诚信企业（绿牌）", "环保良好企业（蓝牌）"), 1),
    "safety": ("安全生产标准化达标评审", ("安全生产标准化一级企业", "安全生产标准化二级企业", "安全生产标准化三级企业"), 3),
    "market": ("守合同重信用企业公示", ("AAA级守合同重信用企业", "AA级守合同重信用企业"), 2),
}


# -------------------------------------------------------------------------------- licences


@dataclass(frozen=True)
class LicenceSpec:
    name: str
    kind: str  # 普通 / 特许 / 认可 / 核准 / 登记 / 其他 (行政许可 双公示 categories)
    years: int | None  # validity; None: no end date
    domains: tuple[str, ...]  # which departments issue it
    scope: str
    number: str  # format; see _licence_number
    for_person: bool = False
    org_types: tuple[str, ...] = ()  # only these organisation kinds (empty: by industry)


LICENCES: tuple[LicenceSpec, ...] = (
    LicenceSpec("食品经营许可证", "普通", 5, ("approval", "market"),
                "预包装食品（含冷藏冷冻食品）销售；散装食品销售；热食类食品制售", "JY"),
    LicenceSpec("食品生产许可证", "普通", 5, ("approval", "market"), "糕点；速冻食品；水产制品", "SC"),
    LicenceSpec("药品经营许可证", "普通", 5, ("approval", "market"),
                "中成药、化学药制剂、抗生素制剂、生化药品、生物制品（除疫苗）", "drug"),
    LicenceSpec("医疗器械经营许可证", "普通", 5, ("approval", "market"),
                "第三类医疗器械：6815注射穿刺器械、6866医用高分子材料及制品", "device"),
    LicenceSpec("建筑业企业资质证书", "认可", 5, ("construction", "approval"),
                "建筑工程施工总承包三级；市政公用工程施工总承包三级", "D"),
    LicenceSpec("建筑工程施工许可证", "普通", None, ("construction", "approval"),
                "综合楼新建工程，建筑面积{area}平方米", "permit"),
    LicenceSpec("安全生产许可证", "普通", 3, ("safety", "construction", "approval"), "建筑施工", "safe"),
    LicenceSpec("排污许可证", "普通", 5, ("environment", "approval"),
                "排放大气污染物：颗粒物、二氧化硫、氮氧化物；排放水污染物：化学需氧量、氨氮", "pollutant"),
    LicenceSpec("危险化学品经营许可证", "普通", 3, ("safety", "approval"), "汽油、柴油、液化石油气（不储存）", "hazchem"),
    LicenceSpec("道路运输经营许可证", "普通", 4, ("transport", "approval"),
                "道路普通货物运输；机动车维修：二类机动车维修", "road"),
    LicenceSpec("公共场所卫生许可证", "普通", 4, ("health", "approval"), "住宿；理发店、美容店", "hygiene"),
    LicenceSpec("劳务派遣经营许可证", "普通", 3, ("labour", "approval"), "劳务派遣", "labour"),
    LicenceSpec("人力资源服务许可证", "普通", None, ("labour", "approval"), "职业中介；人力资源供求信息的收集和发布",
                "labour"),
    LicenceSpec("民办学校办学许可证", "普通", 5, ("education", "approval"), "文化教育类培训；艺术类培训", "school",
                org_types=("private_non_enterprise",)),
    LicenceSpec("民办非企业单位登记证书", "登记", 5, ("civil",), "业务范围：职业技能培训、社会服务", "civil",
                org_types=("private_non_enterprise", "social_group")),
    LicenceSpec("特种设备使用登记证", "登记", None, ("market",), "电梯：曳引驱动乘客电梯", "equipment"),
    LicenceSpec("城镇污水排入排水管网许可证", "普通", 5, ("construction", "approval"),
                "排放污水：生活污水、经预处理的工业废水", "drain"),
    # natural persons
    LicenceSpec("教师资格证", "认可", None, ("education", "approval"), "初级中学教师资格（语文）", "teacher", True),
    LicenceSpec("二级建造师注册证书", "认可", 3, ("construction", "approval"), "建筑工程；市政公用工程", "builder", True),
    LicenceSpec("职业技能等级证书", "认可", None, ("labour",), "电工（四级/中级工）", "skill", True),
    LicenceSpec("道路运输从业人员从业资格证", "认可", 6, ("transport", "approval"), "道路货物运输驾驶员", "id", True),
    LicenceSpec("特种作业操作证", "认可", 6, ("safety", "approval", "labour"), "电工作业：低压电工作业", "Tid", True),
    LicenceSpec("执业药师注册证", "认可", 5, ("approval", "market"), "药品零售企业执业", "pharmacist", True),
)
CERTIFICATIONS: tuple[tuple[str, str, str], ...] = (  # (name, kind value, number style)
    ("质量管理体系认证（ISO 9001）", "管理体系认证", "Q"), ("环境管理体系认证（ISO 14001）", "管理体系认证", "E"),
    ("职业健康安全管理体系认证（ISO 45001）", "管理体系认证", "S"), ("中国强制性产品认证（CCC）", "产品认证", "CCC"),
    ("有机产品认证", "产品认证", "OP"), ("商品售后服务评价认证（五星级）", "服务认证", "SV"),
    ("检验检测机构资质认定（CMA）", "检验检测机构资质认定", "CMA"), ("实验室认可（CNAS）", "实验室认可", "CNAS"),
)
CERTIFICATION_INDUSTRIES = {  # number style -> industries it is plausible for (absent: any)
    "CCC": ("机械制造", "商贸", "汽车销售服务"), "OP": ("农业发展", "食品", "枣业", "水产"),
    "CMA": ("科技", "环保科技", "海洋科技"), "CNAS": ("科技", "环保科技", "海洋科技"),
}
CERTIFICATION_BODIES = ("中国质量认证中心", "方圆标志认证集团有限公司", "北京世标认证中心有限公司",
                        "中国船级社质量认证有限公司", "华夏认证中心有限公司")


def _patent_check(digits: str) -> str:
    """Check character of a 12-digit Chinese patent application number (weights 2..9 repeated)."""
    total = sum(int(d) * w for d, w in zip(digits, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)))
    return "X" if total % 11 == 10 else str(total % 11)


# ------------------------------------------------------------------------ record context


@dataclass
class RecordContext:
    """What the content of one record is generated from."""

    rng: random.Random
    area: Area
    item: CatalogueItem
    subject: DemoSubject
    provider: Department
    domain: str
    decided_on: date
    act_ended_on: date | None
    valid_from: date | None
    valid_until: date | None
    document_number: str
    today: date
    documents: DocumentNumbers
    organisations: list[DemoSubject]
    consent_ref: str | None = None
    licence: LicenceSpec | None = None

    def values(self, name: str) -> tuple[str, ...]:
        spec = self.item.field(name)
        return spec.values if spec is not None and spec.type == "enum" else ()

    def choose(self, name: str, default: tuple[str, ...], picker=None) -> str:
        """An enum field's value (from the catalogue), or one of `default` for a string field.

        Values that fit the provider's domain are preferred (an environment bureau's accident is
        环境污染, a court's sanction of an officer 刑事处罚), when the catalogue offers such values.
        """
        options = self.values(name) or default
        keywords = DOMAIN_KINDS.get(self.domain, ())
        fitting = tuple(v for v in options if any(k in v for k in keywords))
        if fitting:
            options = fitting
        return picker(self.rng, options) if picker else self.rng.choice(options)

    def set_term(self, years: int | None) -> None:
        """A licence or certificate valid from the decision for `years` (None: no end date)."""
        self.valid_from = self.decided_on
        self.valid_until = add_years(self.decided_on, years) - ONE_DAY if years else None

    def before(self, min_days: int, max_days: int) -> date:
        return self.decided_on - timedelta(days=self.rng.randint(min_days, max_days))

    @property
    def court(self) -> str:
        return self.provider.name if self.domain == "court" else self.area.court

    def other_organisation(self) -> DemoSubject:
        return self.rng.choice(self.organisations) if self.organisations else self.subject


OMIT = object()  # a proposal's way of saying "leave this optional field out"


# ------------------------------------------------------------- content proposals per family


def _registration(ctx: RecordContext) -> dict[str, Any]:
    s, rng = ctx.subject, ctx.rng
    proposal = {"organisationName": s.name, "organisationForm": s.form, "legalRepresentative": s.legal_rep,
                "establishedOn": s.active_from, "registeredAddress": s.address, "businessScope": s.industry.scope,
                "registrationAuthority": ctx.provider.name}
    if "分支" in ctx.item.name or ctx.item.field("branchName") is not None:
        town = rng.choice(ctx.area.towns)
        suffix = "分公司" if s.name.endswith("公司") else "分支机构"
        base = s.name[:-len("有限公司")] if s.name.endswith("有限公司") else s.name
        proposal.update(branchName=f"{base}{town}{suffix}",
                        branchCode=credit_code(rng, s.code[0], s.code[1], ctx.area.home_division, modern=True),
                        legalRepresentative=person_name(rng, rng.random() < 0.6),
                        establishedOn=max(s.active_from, ctx.before(0, 30)), registeredAddress=_address(rng, ctx.area))
    return proposal


def _identity(ctx: RecordContext) -> dict[str, Any]:
    s, rng, area = ctx.subject, ctx.rng, ctx.area
    assert s.born is not None and s.education is not None
    age = (ctx.decided_on - s.born).days // 365
    graduated = min(date(s.born.year + GRADUATION_AGE[s.education], 6, 30), ctx.decided_on)
    if s.education in ("博士研究生", "硕士研究生", "大学本科"):
        school = rng.choice(area.universities)
    elif s.education == "大学专科":
        school = rng.choice(area.colleges)
    elif s.education in ("普通高中", "中等职业教育"):
        school = f"{area.full}{rng.choice(('第一中学', '第二中学', '职业中等专业学校', '实验中学'))}"
    else:
        school = f"{area.full}{rng.choice(area.towns)}中学"
    employed = s.employer is not None
    status = ("退休" if age >= 60 else "灵活就业" if s.employer == "个体经营" else "在职" if employed else "登记失业")
    married = s.marital in ("已婚", "离婚", "丧偶")
    return {
        "fullName": s.name, "gender": "男" if s.male else "女", "education": s.education,
        "employer": s.employer or ("退休" if age >= 60 else "无"), "maritalStatus": s.marital,
        "employmentStatus": status,
        "employedSince": max(graduated, ctx.before(200, 4000)) if employed else OMIT,
        "school": school, "graduatedOn": graduated,
        "certificateNumber": (f"{rng.randint(10000, 14999)}{graduated.year}{rng.randint(1, 9)}"
                              f"{rng.randint(0, 999999):06d}"),
        "registeredOn": min(add_years(s.born, rng.randint(21, 32)), ctx.decided_on) if married else OMIT,
        "registrationOffice": f"{area.full}民政局婚姻登记处",
    }


def _licence_number(ctx: RecordContext, style: str) -> str:
    rng, area, s, year = ctx.rng, ctx.area, ctx.subject, ctx.decided_on.year
    div = area.home_division
    seq = rng.randint(1, 999999)
    formats = {
        "JY": lambda: f"JY{rng.choice('123')}{div}{seq:06d}{rng.randint(0, 9)}",
        "SC": lambda: f"SC{rng.choice(('101', '106', '111', '122'))}{div}{seq % 10000:04d}{rng.randint(0, 9)}",
        "drug": lambda: f"{area.province_abbr}CB{div[2:]}{seq % 1000:03d}",
        "device": lambda: f"{area.province_abbr}{area.city[0]}药监械经营许{year}{seq % 10000:04d}号",
        "D": lambda: f"D{rng.randint(2, 3)}{div[:2]}{seq:06d}",
        "permit": lambda: f"{div}{ctx.decided_on:%Y%m%d}{seq % 100:02d}01",
        "safe": lambda: f"（{area.province_abbr}）JZ安许证字〔{year}〕{seq:06d}",
        "pollutant": lambda: f"{s.code}001{rng.choice('PUVQ')}",
        "hazchem": lambda: f"{area.province_abbr}{area.city[0]}危化经字〔{year}〕{seq:06d}",
        "road": lambda: f"{area.province_abbr}交运管许可{area.city[0]}字{div}{seq:06d}号",
        "hygiene": lambda: f"{area.province_abbr}卫公证字〔{year}〕第{div}-{seq:06d}号",
        "labour": lambda: f"{div}{year}{seq % 10000:04d}",
        "school": lambda: f"教民{div}{rng.randint(7, 8)}{seq:06d}号",
        "civil": lambda: f"{area.province_abbr}{area.city[0]}民证字第{seq:06d}号",
        "equipment": lambda: f"梯11{area.province_abbr}{area.city_letter}{seq % 100000:05d}({year % 100:02d})",
        "drain": lambda: f"{area.province_abbr}排水字第{year}{seq % 10000:04d}号",
        "teacher": lambda: f"{year}{div[:2]}{rng.randint(1, 7)}{rng.randint(0, 9999999999):010d}",
        "builder": lambda: f"{area.province_abbr}2{div[:4]}{year % 100:02d}{seq % 100000:05d}",
        "skill": lambda: f"S{div}{year}{seq:06d}",
        "id": lambda: s.code,
        "Tid": lambda: f"T{s.code}",
        "pharmacist": lambda: f"{area.province_abbr}{year}{seq:06d}",
    }
    return formats.get(style, lambda: f"{area.short}{year}{seq:06d}")()


def _licence_status(ctx: RecordContext) -> str:
    if ctx.subject.status is SubjectStatus.TERMINATED:
        return "注销"
    if ctx.valid_until is not None and ctx.valid_until < ctx.today:
        return "过期"
    return _weighted(ctx.rng, [("有效", 0.95), ("注销", 0.04), ("吊销", 0.01)])


def _certification(ctx: RecordContext) -> dict[str, Any]:
    rng = ctx.rng
    kinds = ctx.values("licenceKind")
    word = ctx.subject.industry.word if ctx.subject.industry else ""
    options = [c for c in CERTIFICATIONS if (not kinds or c[1] in kinds)
               and (not CERTIFICATION_INDUSTRIES.get(c[2]) or word in CERTIFICATION_INDUSTRIES[c[2]])]
    options = options or [c for c in CERTIFICATIONS if c[1] == "管理体系认证"]
    name, kind, style = rng.choice(options)
    yy = ctx.decided_on.year % 100
    number = {"CCC": f"20{yy:02d}{rng.randint(10, 99)}{rng.randint(0, 9999999999):010d}",
              "CMA": f"{yy:02d}{ctx.area.home_division[:2]}{rng.randint(0, 99):02d}{rng.randint(0, 99999999):08d}",
              "CNAS": f"CNAS L{rng.randint(1000, 19999)}"}.get(
        style, f"{rng.choice(('00124', '00223', '11724'))}{style[0]}{rng.randint(30000, 39999)}R{rng.randint(0, 3)}M")
    body = {"CMA": f"{ctx.area.province}市场监督管理局", "CNAS": "中国合格评定国家认可委员会"}.get(
        style, rng.choice(CERTIFICATION_BODIES))
    ctx.set_term(6 if style == "CMA" else 3)
    subject_scope = ctx.subject.industry.scope.split("；")[0] if ctx.subject.industry else "相关产品"
    return {"licenceName": name, "licenceKind": kind, "licenceNumber": number, "certificationBody": body,
            "scope": f"{subject_scope}相关的产品、服务及管理活动", "validFrom": ctx.valid_from,
            "validTo": ctx.valid_until or OMIT}


def _intellectual_property(ctx: RecordContext) -> dict[str, Any]:
    rng, s, year = ctx.rng, ctx.subject, ctx.decided_on.year
    kind = ctx.choose("licenceKind", ("注册商标",))
    trade = s.trade or trade_name(rng)
    product = rng.choice(("浓缩汁", "烘干设备", "包装盒", "冷藏装置", "清洗装置", "检测仪", "复合材料"))
    patent_type = {"发明专利": "1", "实用新型专利": "2", "外观设计专利": "3"}.get(kind)
    ctx.set_term({"发明专利": 20, "实用新型专利": 10, "外观设计专利": 15, "名优产品": 3}.get(kind, 10))
    if patent_type:
        digits = f"{year}{patent_type}{rng.randint(0, 9999999):07d}"
        number = f"ZL {digits[:4]} {digits[4]} {digits[5:]}.{_patent_check(digits)}"
        name = (f"一种{product}的制备方法" if patent_type == "1" else f"一种{product}" if patent_type == "2"
                else f"{product}（{trade}款）")
        scope = "专利权保护范围以授权公告的权利要求书为准"
    elif kind == "地理标志":
        name, number, scope = f"“{ctx.area.geographic_mark}”地理标志证明商标", f"{rng.randint(10000000, 39999999)}", \
            f"第29类、第31类：{ctx.area.geographic_mark}"
    elif kind == "名优产品":
        name, number, scope = f"{trade}牌{product}", f"{ctx.area.province_abbr}MP{year}{rng.randint(1, 9999):04d}", \
            f"{ctx.area.province}名牌产品"
    else:
        name, number = f"“{trade}”注册商标", f"{rng.randint(10000000, 79999999)}"
        goods = (s.industry.scope if s.industry else "商品和服务").split("；")[0]
        scope = f"第{rng.choice((29, 30, 35, 37, 39, 42))}类：{goods}"
    return {"licenceName": name, "licenceKind": kind, "licenceNumber": number, "scope": scope,
            "validFrom": ctx.valid_from, "validTo": ctx.valid_until or OMIT}


def _licence(ctx: RecordContext) -> dict[str, Any]:
    kinds = set(ctx.values("licenceKind"))
    if kinds & {"管理体系认证", "产品认证"}:
        return _certification(ctx)
    if kinds & {"注册商标", "发明专利"}:
        return _intellectual_property(ctx)
    spec = ctx.licence or LicenceSpec(f"{ctx.provider.name}行政许可", "普通", None, (ctx.domain,),
                                      "依申请准予行政许可", "generic")
    ctx.set_term(spec.years)
    scope = spec.scope.replace("{area}", str(ctx.rng.randint(800, 30000)))
    return {"licenceName": spec.name, "licenceKind": spec.kind, "licenceNumber": _licence_number(ctx, spec.number),
            "scope": scope, "validFrom": ctx.valid_from, "validTo": ctx.valid_until if ctx.valid_until else OMIT,
            "licenceStatus": _licence_status(ctx)}


def _awarding_body(ctx: RecordContext, level: str) -> str:
    area = ctx.area
    if "国家" in level:
        return ctx.rng.choice(("中华全国总工会", "人力资源社会保障部", "中央精神文明建设指导委员会"))
    if "省" in level:
        return ctx.rng.choice((f"{area.province}人民政府", f"{area.province}总工会"))
    if "区" in level or "县" in level or area.county[:2] in level:
        return ctx.rng.choice((f"{area.full}人民政府", ctx.provider.name))
    return ctx.rng.choice((f"{area.city}人民政府", f"{area.city}总工会"))


def _honour(ctx: RecordContext) -> dict[str, Any]:
    rng, area, s, year = ctx.rng, ctx.area, ctx.subject, ctx.decided_on.year
    kind = ctx.choose("honourKind", ("AWARD",))
    if kind == "VOLUNTEER":
        hours = Yuan(rng.choice((rng.randint(20, 300), rng.randint(100, 1600))))
        stars = sum(hours >= h for h in (100, 300, 600, 1000, 1500))
        star_names = ("一星", "二星", "三星", "四星", "五星")
        return {"honourName": f"{area.county}“{rng.choice(area.volunteer_themes)}”志愿服务项目", "honourKind": kind,
                "awardingBody": rng.choice((f"共青团{area.full}委员会", f"{area.full}志愿服务联合会", ctx.provider.name)),
                "level": star_names[max(stars, 1) - 1] + ("" if ctx.values("level") else "志愿者"),
                "serviceHours": float(hours), "donationAmount": OMIT}
    if kind == "CHARITY":
        theme = rng.choice((f"{year}年“慈心一日捐”活动", "乡村振兴爱心捐赠", "助学圆梦捐赠", "关爱困难群众捐赠"))
        if area.province == "河南省" and year == 2021 and rng.random() < 0.5:
            theme = "“7·20”防汛救灾捐赠"
        return {"honourName": theme, "honourKind": kind,
                "awardingBody": rng.choice((f"{area.full}慈善总会", f"{area.city}慈善总会", f"{area.full}红十字会")),
                "level": rng.choice(("区级", "市级")) if area.county.endswith("区") else rng.choice(("县级", "市级")),
                "donationAmount": _yuan(rng, 2000, 500000) if not s.is_person else _yuan(rng, 200, 20000),
                "donatedOn": ctx.before(0, 60), "serviceHours": OMIT}
    level = ctx.choose("level", ("区级", "市级", "省级"), picker=_ascending)
    place = ("全国" if "国家" in level else area.province if "省" in level else
             area.full if ("区" in level or "县" in level or area.county[:2] in level) else area.city)
    if s.is_person:
        name = rng.choice(("{p}劳动模范", "{p}道德模范", "{p}优秀教师", "{p}见义勇为先进个人", "{p}三八红旗手",
                           "{p}优秀共青团员", "{p}五一劳动奖章"))
        if place == area.full and rng.random() < 0.2:
            name = f"最美{area.county[:2]}人"
    else:
        name = rng.choice(("{p}文明单位", "{y}年度{p}守合同重信用企业", "{p}安全生产先进单位", "{p}优秀民营企业",
                           "{p}诚信经营示范单位", "{p}“专精特新”中小企业", "{y}年度{p}纳税贡献先进单位"))
    name = name.format(p=place, y=year - 1)
    return {"honourName": name, "honourKind": kind, "awardingBody": _awarding_body(ctx, level), "level": level,
            "awardedOn": ctx.decided_on}


def _evaluation(ctx: RecordContext) -> dict[str, Any]:
    rng, year = ctx.rng, ctx.decided_on.year
    scheme, ratings, years = SCHEMES.get(ctx.domain, ("信用分类管理评价", ("A级", "优良"), 1))
    if ctx.domain == "market" and ctx.subject.industry and ctx.subject.industry.word in ("食品", "餐饮管理"):
        scheme, ratings = "餐饮服务食品安全量化分级", ("A级（优秀）",)
    period = (f"{year - 1}年度" if years == 1 else f"{year - 2}—{year - 1}年度" if years == 2
              else f"{year}年至{year + years - 1}年")
    ctx.set_term(years)
    return {"rating": rng.choice(ratings), "evaluationScheme": scheme, "period": period,
            "evaluatedOn": ctx.decided_on}


def _fine_fields(ctx: RecordContext, penalty: str, person: bool) -> dict[str, Any]:
    """Fine and confiscation amounts consistent with the kind of penalty."""
    rng = ctx.rng
    hi = 20000 if person else 300000
    fined = "罚款" in penalty or "滞纳金" in penalty or rng.random() < 0.15
    return {"fineAmount": _yuan(rng, 200, hi) if fined else OMIT,
            "confiscatedAmount": _yuan(rng, 500, hi / 2) if "没收违法所得" in penalty else OMIT}


def _penalty(ctx: RecordContext) -> dict[str, Any]:
    rng, item, s = ctx.rng, ctx.item, ctx.subject
    if ctx.values("violationKind") and "税" in item.name:
        kind = ctx.choose("violationKind", ("偷税",))
        evaded = _yuan(rng, 50000, 5000000, 1)
        multiple = rng.choice((0.5, 1, 1.5, 2))
        fact, article = TAX_VIOLATIONS.get(kind, TAX_VIOLATIONS["偷税"])
        return {"violationKind": kind,
                "violation": fact.format(year=rng.randint(max(2015, ctx.decided_on.year - 4), ctx.decided_on.year - 1),
                                         amount=_money_text(evaded)),
                "legalBasis": f"《中华人民共和国税收征收管理法》{article}",
                "penaltyKind": f"追缴税款{_money_text(evaded)}、加收滞纳金，并处少缴税款{multiple:g}倍的罚款",
                "fineAmount": Yuan(round(evaded * multiple, 2)), "amountInvolved": evaded}
    if "强制" in item.name:
        measure = ctx.choose("penaltyKind", ("加处罚款或者滞纳金",))
        basis = next((v for k, v in COERCION_BASIS.items() if k in measure), "《中华人民共和国行政强制法》第十二条")
        earlier = ctx.documents.official(department_domain(ctx.provider)[1], "处罚", ctx.before(60, 300).year)
        return {"violation": f"逾期不履行《行政处罚决定书》（{earlier}）确定的义务", "legalBasis": basis,
                "penaltyKind": measure,
                "fineAmount": _yuan(rng, 500, 100000) if "罚款" in measure or "滞纳金" in measure else OMIT}
    if ctx.values("position") and ctx.item.field("officerName") is not None:
        sanction = ctx.choose("penaltyKind", ("行业禁入",))
        if sanction == "刑事处罚" and ctx.domain != "court":
            sanction = next((v for v in ctx.values("penaltyKind") if v != "刑事处罚"), sanction)
        if sanction == "刑事处罚":
            crime = rng.choice(("虚开增值税专用发票罪", "生产、销售伪劣产品罪", "重大责任事故罪", "拒不支付劳动报酬罪"))
            violation, basis = f"犯{crime}，被判处有期徒刑{rng.randint(1, 5)}年", "《中华人民共和国刑法》相关条款"
        else:
            violation, basis = BAN_VIOLATIONS.get(ctx.domain, BAN_VIOLATIONS["market"])
        return {"officerName": person_name(rng, rng.random() < 0.75), "position": ctx.choose("position", ("董事",)),
                "violation": violation, "legalBasis": basis, "penaltyKind": sanction,
                "fineAmount": _yuan(rng, 10000, 500000) if rng.random() < 0.5 else OMIT}
    if "禁入" in item.name or "行业禁入" in ctx.values("penaltyKind"):
        violation, basis = BAN_VIOLATIONS.get(ctx.domain, BAN_VIOLATIONS["market"])
        ban_years = rng.choice((3, 5, 10, None))
        return {"violation": violation, "legalBasis": basis, "penaltyKind": ctx.choose("penaltyKind", ("行业禁入",)),
                "fineAmount": _yuan(rng, 10000, 500000) if rng.random() < 0.4 else OMIT,
                "banFrom": ctx.decided_on,
                "banUntil": add_years(ctx.decided_on, ban_years) - ONE_DAY if ban_years else OMIT}
    pool = (PERSON_VIOLATIONS.get(ctx.domain, PERSON_VIOLATIONS["market"]) if s.is_person
            else VIOLATIONS.get(ctx.domain, VIOLATIONS["market"]))
    violation, basis = rng.choice(pool)
    penalty = ctx.choose("penaltyKind", ("罚款",), picker=lambda r, v: _weighted(
        r, [(x, {"罚款": 55, "警告": 14, "没收违法所得": 8, "通报批评": 4}.get(x, 1.5)) for x in v]))
    return {"violation": f"{violation}。经查，当事人自{_day_text(ctx.before(20, 200))}起存在上述行为",
            "legalBasis": basis, "penaltyKind": penalty, **_fine_fields(ctx, penalty, s.is_person)}


def _judgment(ctx: RecordContext) -> dict[str, Any]:
    rng = ctx.rng
    amount = _yuan(rng, 5000, 3000000, 1)
    creditor = (ctx.other_organisation().name if rng.random() < 0.6 else f"{rng.choice(SURNAMES[:40])}某")
    what = rng.choice(OBLIGATIONS)
    return {"court": ctx.court, "caseNumber": ctx.document_number,
            "basisKind": _descending(rng, ctx.values("basisKind") or ("判决书",), 0.5),
            "documentKind": _descending(rng, ctx.values("documentKind") or ("判决书",), 0.6),
            "obligation": f"向{creditor}{what}人民币{amount:.2f}元及逾期利息，并负担案件受理费",
            "performance": ctx.choose("performance", ("全部未履行",)),
            "dishonestConduct": rng.choice(DISHONEST_CONDUCT), "amountInvolved": amount}


_FEE_ITEMS = {"行政事业性收费": ("城市基础设施配套费", "不动产登记费", "防空地下室易地建设费"),
              "政府性基金": ("残疾人就业保障金", "地方水利建设基金", "文化事业建设费"),
              "公用事业收费": ("供水费", "供热费", "污水处理费", "管道燃气费")}
_PERSON_TAXES = ("个人所得税", "车船税", "契税", "城镇土地使用税", "印花税")


def _arrears(ctx: RecordContext) -> dict[str, Any]:
    rng, s = ctx.rng, ctx.subject
    kind = ctx.choose("arrearsKind", _PERSON_TAXES if s.is_person else ("行政事业性收费",))
    owed = _yuan(rng, 500, 80000 if s.is_person else 1500000, 1)
    since = ctx.before(60, 900)
    months = max(1, (ctx.decided_on - since).days // 30)
    return {"arrearsKind": kind, "itemName": rng.choice(_FEE_ITEMS.get(kind, _FEE_ITEMS["行政事业性收费"])),
            "amountOwed": owed, "owedSince": since, "monthsOwed": months,
            "employeesAffected": rng.randint(3, 180), "lateFee": Yuan(round(owed * 0.0005 * months * 30, 2))}


# Misconduct: text per kind value (the catalogue's enum value chosen first, then matching words).
_CONDUCTS: dict[str, str] = {
    "拖欠劳动报酬": "拖欠{n}名劳动者{y}年{m}月至{m2}月工资，经劳动保障监察机构责令限期支付后逾期仍未支付",
    "未依法参加社会保险": "未依法为{n}名职工办理社会保险登记并缴纳社会保险费",
    "违法使用童工": "招用未满十六周岁的未成年人{k}名从事生产劳动",
    "未依法订立劳动合同": "自用工之日起超过一个月未与{n}名劳动者订立书面劳动合同",
    "虚假诉讼": "与他人恶意串通，捏造债权债务关系提起民事诉讼，企图侵害他人合法权益",
    "作伪证": "在民事诉讼中故意提供虚假证言，妨碍人民法院审理案件",
    "提供虚假材料": "在办理{matter}时提交虚假的证明材料",
    "违反告知承诺": "以告知承诺方式办理{matter}，经核查不符合所承诺的条件",
    "产品质量": "销售的燃气热水器存在质量缺陷，使用中发生燃爆，造成人员受伤",
    "安全生产": "生产车间发生一起机械伤害事故。经调查，该单位未落实安全生产主体责任，安全管理制度不健全",
    "食品安全": "单位食堂发生一起食物中毒事故，{n}人就医。经调查，系食品加工过程生熟混放所致",
    "环境污染": "污水处理设施故障期间，未经处理的废水直接排入河道，造成水体污染",
    "其他": "仓库电气线路老化引发火灾，造成财产损失",
    "养老保险待遇": "隐瞒亲属死亡信息，继续冒领基本养老保险待遇{k}个月",
    "失业保险待遇": "在已就业期间继续领取失业保险金{k}个月",
    "工伤保险待遇": "伪造工伤认定材料，骗取工伤保险待遇",
    "生育保险待遇": "虚构生育事实，骗取生育保险待遇",
    "社会保险待遇": "伪造证明材料，骗取社会保险待遇{k}个月",
    "最低生活保障": "隐瞒家庭成员就业及车辆登记情况，骗取最低生活保障金{k}个月",
    "保障性住房": "隐瞒名下住房情况，骗取公共租赁住房",
    "经济适用住房": "伪造家庭住房困难证明，骗购经济适用住房",
    "公共租赁住房": "隐瞒名下住房情况，骗取公共租赁住房",
    "廉租住房": "隐瞒家庭真实情况，骗取廉租住房",
    "学历造假": "应聘时提交伪造的学历证书",
    "学术造假": "发表的论文存在抄袭、伪造数据等学术不端行为",
    "档案造假": "篡改本人人事档案中的出生日期和参加工作时间",
    "列入经营异常名录": "未按照《企业信息公示暂行条例》规定的期限公示年度报告",
    "责令改正": "经责令限期改正，逾期未改正违法行为",
    "非正常户认定": "未按规定期限办理纳税申报，经税务机关责令限期改正后仍未申报，且无法取得联系",
}
_FINDINGS: dict[str, str] = {
    "拖欠劳动报酬": "责令限期支付拖欠的劳动报酬，列入拖欠农民工工资失信联合惩戒对象名单",
    "未依法参加社会保险": "责令限期补缴社会保险费，逾期仍未缴纳的，依法加收滞纳金",
    "违法使用童工": "依据《禁止使用童工规定》第六条，责令限期改正，并处罚款人民币{fine}",
    "未依法订立劳动合同": "责令限期改正，向劳动者每月支付二倍工资",
    "提供虚假材料": "撤销已作出的{matter}决定，申请人三年内不得再次申请",
    "违反告知承诺": "撤销已作出的{matter}决定，记入告知承诺失信记录",
    "产品质量": "依据《中华人民共和国产品质量法》第四十九条，没收违法产品，并处罚款人民币{fine}",
    "安全生产": "依据《中华人民共和国安全生产法》第一百一十四条，对事故发生单位处以罚款人民币{big}",
    "食品安全": "依据《中华人民共和国食品安全法》第一百二十八条，责令停业整顿，并处罚款人民币{fine}",
    "环境污染": "依据《中华人民共和国水污染防治法》第九十四条，处以罚款人民币{big}，责令限期采取治理措施",
    "其他": "依据《中华人民共和国消防法》第六十四条，处以罚款人民币{fine}",
    "养老保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "失业保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "工伤保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "生育保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "其他社会保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "社会保险待遇": "依据《中华人民共和国社会保险法》第八十八条，责令退回骗取的社会保险金{amount}，并处骗取金额二倍的罚款",
    "最低生活保障": "依据《社会救助暂行办法》第六十八条，停止发放最低生活保障金，责令退回非法获取的救助资金{amount}",
    "其他社会救助": "依据《社会救助暂行办法》第六十八条，停止救助，责令退回非法获取的救助资金{amount}",
    "保障性住房": "责令限期退回所租住房，五年内不得再次申请住房保障",
    "经济适用住房": "依据《经济适用住房管理办法》第四十条，责令按市场价格补缴房款，五年内不得再次申请住房保障",
    "公共租赁住房": "依据《公共租赁住房管理办法》第三十六条，责令限期退回所租住房，并处罚款人民币{fine}",
    "廉租住房": "责令限期退回所租住房，五年内不得再次申请住房保障",
    "其他保障性住房": "责令限期退回所租住房，五年内不得再次申请住房保障",
    "学历造假": "认定学历证书无效，解除聘用合同，记入诚信档案",
    "学术造假": "撤销相关学术成果及奖励，记入科研诚信档案",
    "档案造假": "恢复档案原始记载，对相关人员依规处理",
    "虚假诉讼": "依据《中华人民共和国民事诉讼法》第一百一十五条，驳回其诉讼请求，并处罚款人民币{fine}",
    "作伪证": "依据《中华人民共和国民事诉讼法》第一百一十四条，予以训诫，并处罚款人民币{fine}",
    "列入经营异常名录": "列入经营异常名录",
    "非正常户认定": "认定为非正常户",
}
_MATTERS = {"market": ("企业变更登记", "食品经营许可申请"), "approval": ("建设工程规划许可申请", "食品经营许可告知承诺"),
            "construction": ("建筑业企业资质申请", "商品房预售许可申请"), "labour": ("社会保险待遇申领", "职业技能提升补贴申领"),
            "civil": ("社会组织年度检查",), "education": ("民办学校办学许可申请",), "environment": ("排污许可证申请",),
            "safety": ("安全生产许可证延续",), "fund": ("住房公积金提取",)}


def _misconduct(ctx: RecordContext) -> dict[str, Any]:
    rng, item, year = ctx.rng, ctx.item, ctx.decided_on.year
    proposal: dict[str, Any] = {}
    kind = None
    for name in ("conductKind", "accidentKind", "benefitKind", "housingKind", "falsificationKind", "violationKind"):
        if ctx.values(name):
            kind = ctx.choose(name, ())
            proposal[name] = kind
            break
    if kind is None:
        kind = next((k for k in _CONDUCTS if k in item.name), None)
    matter = rng.choice(_MATTERS.get(ctx.domain, ("行政许可申请",)))
    fine = _yuan(ctx.rng, 1000, 100000)
    words = {"n": rng.randint(3, 60), "k": rng.randint(1, 3) if "童工" in (kind or "") else rng.randint(3, 30),
             "y": year - 1, "m": rng.randint(1, 6), "m2": rng.randint(7, 12), "matter": matter}
    defrauded = _yuan(rng, 1000, 80000, 1)
    conduct = _CONDUCTS.get(kind or "", "经调查核实，存在违反{law}规定的行为").format(law="相关法律法规", **words)
    finding = _FINDINGS.get(kind or "", "依法责令改正，处罚款人民币{fine}，并记入信用记录").format(
        fine=_money_text(fine), big=_money_text(_yuan(rng, 200000, 2000000, 10000)), amount=_money_text(defrauded),
        matter=matter)
    proposal.update(conduct=conduct, finding=finding, matter=matter)
    if ctx.values("accidentLevel") or item.field("occurredOn") is not None:
        level = _descending(rng, ctx.values("accidentLevel") or ("一般事故",), 0.25)
        rank = ("一般", "较大", "重大", "特别重大").index(level[:-2]) if level[:-2] in ("一般", "较大", "重大", "特别重大") else 0
        deaths = rng.randint(*((0, 2), (3, 9), (10, 29), (30, 40))[rank])
        loss = Yuan(rng.randint(*((5, 999), (1000, 4999), (5000, 9999), (10000, 20000))[rank]) * 10000)
        occurred = ctx.before(30, 200)
        proposal.update(accidentLevel=level, occurredOn=occurred, deaths=deaths, directLoss=loss,
                        conduct=f"{_day_text(occurred)}，{conduct}")
    if item.field("orderNumber") is not None:
        order_day = ctx.before(40, 120)
        proposal.update(orderNumber=ctx.documents.official(department_domain(ctx.provider)[1], "责改通", order_day.year),
                        correctionDeadline=order_day + timedelta(days=rng.choice((15, 30))),
                        conduct=f"逾期未按《责令改正通知书》要求改正"
                                f"{rng.choice(VIOLATIONS.get(ctx.domain, VIOLATIONS['market']))[0]}的违法行为")
    if item.field("examName") is not None:
        exam_day = ctx.before(20, 90)
        proposal.update(examName=f"{exam_day.year}年{rng.choice(EXAMS)}", examDate=exam_day,
                        conduct=f"在{_day_text(exam_day)}举行的考试中{rng.choice(CHEATING)}",
                        finding=f"该科目考试成绩无效，{rng.choice((1, 3))}年内不得报名参加同类考试")
    if item.field("caseNumber") is not None:
        proposal["caseNumber"] = ctx.documents.case("民初", ctx.before(100, 400).year)
    if item.field("enterpriseCode") is not None:
        ended = [o for o in ctx.organisations if o.status is SubjectStatus.TERMINATED and o.org_type == "enterprise"]
        enterprise = rng.choice(ended) if ended else ctx.other_organisation()
        proposal.update(enterpriseName=enterprise.name, enterpriseCode=enterprise.code,
                        position=ctx.choose("position", ("法定代表人",)), bankruptcyCaseNumber=ctx.document_number,
                        conduct=f"任{enterprise.name}{ctx.choose('position', ('法定代表人',))}期间，未依法履行忠实、勤勉义务，致使企业资不抵债被宣告破产",
                        finding="对企业破产负有个人责任，自破产清算完结之日起三年内不得担任公司、企业的董事、监事、高级管理人员")
    amount = _yuan(rng, 2000, 200000, 1)
    proposal.update(wageArrears=amount if kind == "拖欠劳动报酬" else OMIT, workersAffected=words["n"],
                    amountDefrauded=defrauded, recovered=rng.random() < 0.6)
    return proposal


def _other(ctx: RecordContext) -> dict[str, Any]:
    """Items of family OTHER: fund and tax registrations, annual reports (by field names)."""
    rng, s = ctx.rng, ctx.subject
    size = rng.randint(2, 300)
    assets = _yuan(rng, 100000, 50000000, 1)
    terminated = s.status is SubjectStatus.TERMINATED
    return {
        "fundAccountNumber": f"{ctx.area.home_division}{rng.randint(0, 9999999999):010d}",
        "registeredOn": max(s.active_from, ctx.before(5, 60)),
        "contributionStatus": ("销户" if terminated else _weighted(rng, [("正常缴存", 0.85), ("缓缴", 0.05), ("封存", 0.1)])),
        "contributorCount": size,
        "taxAuthority": ctx.provider.name,
        "taxpayerQualification": ctx.choose("taxpayerQualification", ("小规模纳税人",)),
        "registrationStatus": "注销" if terminated else _weighted(rng, [("正常", 0.96), ("非正常户", 0.04)]),
        "reportYear": ctx.decided_on.year - 1, "annualReportFiled": rng.random() < 0.9,
        "operatingStatus": "注销" if terminated else _weighted(rng, [("存续", 0.6), ("在业", 0.35), ("停业", 0.05)]),
        "employeeCount": size, "totalAssets": assets, "totalLiabilities": Yuan(round(assets * rng.uniform(0.1, 0.9))),
        "operatingRevenue": Yuan(round(assets * rng.uniform(0.3, 2.5))),
    }


PROPOSALS = {
    RecordFamily.ORGANISATION_REGISTRATION: _registration, RecordFamily.PERSON_IDENTITY: _identity,
    RecordFamily.LICENCE: _licence, RecordFamily.HONOUR: _honour, RecordFamily.EVALUATION: _evaluation,
    RecordFamily.PENALTY: _penalty, RecordFamily.JUDGMENT: _judgment, RecordFamily.ARREARS: _arrears,
    RecordFamily.MISCONDUCT: _misconduct, RecordFamily.OTHER: _other,
}


# ---------------------------------------------------------------------- fitting to the item


def _generic_value(ctx: RecordContext, spec: FieldSpec) -> Any:
    """A value for a field no family generator knows, from its type and label (other catalogues)."""
    rng, label = ctx.rng, spec.label
    if spec.type == "enum":
        return rng.choice(spec.values)
    if spec.type == "date":
        if any(k in label for k in ("截止", "到期", "届满", "至")):
            return ctx.decided_on + timedelta(days=rng.randint(30, 1000))
        return ctx.before(0, 365)
    if spec.type == "integer":
        if "年度" in label:
            return ctx.decided_on.year - 1
        return rng.randint(1, 200 if "人数" in label else 100)
    if spec.type == "decimal":
        if "小时" in label:
            return float(rng.randint(1, 500))
        return _yuan(rng, 500, 500000, 1)
    if spec.type == "boolean":
        return rng.random() < 0.5
    if any(k in label for k in ("姓名", "负责人", "联系人", "法定代表人")):
        return person_name(rng, rng.random() < 0.6)
    if any(k in label for k in ("地址", "住所", "场所")):
        return _address(rng, ctx.area)
    if any(k in label for k in ("机关", "部门", "单位")):
        return ctx.provider.name
    if "代码" in label:
        return ctx.other_organisation().code
    if "名称" in label:
        return ctx.other_organisation().name
    if any(k in label for k in ("编号", "文号", "号")):
        return f"{ctx.area.short}{ctx.decided_on.year}{rng.randint(1, 99999):05d}"
    return f"{label}详见{ctx.document_number}"


def _coerce(spec: FieldSpec, value: Any, rng: random.Random) -> Any:
    """Make a proposed value fit the field's declared type, in its JSON form."""
    if spec.type == "enum":
        return value if value in spec.values else rng.choice(spec.values)
    if spec.type in ("string", "text"):
        text_value = str(value)
        limit = spec.length_limit
        return text_value[:limit] if limit else text_value
    if spec.type == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if spec.type == "integer":
        return int(value)
    if spec.type == "decimal":
        if isinstance(value, Yuan):
            return round(value / 10000, 4) if "万元" in spec.label else round(float(value), 2)
        return round(float(value), 2)
    if spec.type == "boolean":
        return bool(value)
    return value  # pragma: no cover - the catalogue refuses other types


def fit_content(ctx: RecordContext, proposal: dict[str, Any]) -> dict[str, Any]:
    """The record's content: each field of the item, from the proposal or generated, typed.

    Optional fields the family generator did not address are sometimes left empty, as providers
    do; consent-only fields (XZ-9(3)) are filled only when the record carries a consent reference.
    """
    content: dict[str, Any] = {}
    for spec in ctx.item.fields:
        value = proposal.get(spec.name)
        if value is OMIT and not spec.required:
            continue
        if spec.requires_consent and not ctx.consent_ref:
            continue
        if value is None or value is OMIT:
            if not spec.required and ctx.rng.random() < OPTIONAL_BLANK_SHARE:
                continue
            value = _generic_value(ctx, spec)
        content[spec.name] = _coerce(spec, value, ctx.rng)
    return content


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """One record decided before its content: who, what, which department, when."""

    item: CatalogueItem
    subject: DemoSubject
    provider: Department
    decided_on: date
    licence: LicenceSpec | None = None
    order: int = 0


def plan_quotas(items: list[CatalogueItem], total: int) -> dict[str, int]:
    """Records per item: a floor for every item, the rest by family share and item weight."""
    if not items or total <= 0:
        return {i.code: 0 for i in items}
    floor = min(MIN_PER_ITEM, total // len(items))
    by_family: dict[RecordFamily, list[CatalogueItem]] = defaultdict(list)
    for item in items:
        by_family[item.family].append(item)
    family_total = sum(FAMILY_SHARE.get(f, 3) for f in by_family)
    weights: dict[str, float] = {}
    for family, members in by_family.items():
        raw = {i.code: (1 + len(i.providers) / 3) * (0.5 if i.severity and i.severity.value == "SERIOUS" else 1)
               * (2 if "行政处罚" in i.name else 1) for i in members}
        scale = FAMILY_SHARE.get(family, 3) / family_total / sum(raw.values())
        weights.update({code: w * scale for code, w in raw.items()})
    rest = total - floor * len(items)
    exact = {code: rest * w for code, w in weights.items()}
    quotas = {code: floor + int(v) for code, v in exact.items()}
    leftover = total - sum(quotas.values())
    for code in sorted(exact, key=lambda c: (-(exact[c] - int(exact[c])), c))[:leftover]:
        quotas[code] += 1
    return quotas


def _subject_fits(item: CatalogueItem, subject: DemoSubject) -> bool:
    """Item-specific plausibility beyond the subject kind (branches of companies, officers...)."""
    if subject.kind not in item.subject_kinds:
        return False
    if subject.is_person:
        return True
    if item.field("branchName") is not None or item.field("officerName") is not None:
        return subject.org_type == "enterprise"
    if item.field("violationKind") is not None and "税" in item.name:
        return subject.org_type in ("enterprise", "individual", "cooperative")
    if item.family is RecordFamily.EVALUATION or item.field("conductKind") is not None:
        return subject.org_type in ("enterprise", "individual", "cooperative", "private_non_enterprise")
    return True


class _Pools:
    """Eligible subjects per item, with weights: bad records cluster, good ones elsewhere."""

    def __init__(self, subjects: list[DemoSubject]):
        self.subjects = subjects
        self.cache: dict[str, tuple[list[DemoSubject], list[float], list[float]]] = {}

    def for_item(self, item: CatalogueItem):
        if item.code not in self.cache:
            eligible = [s for s in self.subjects if _subject_fits(item, s)] or [
                s for s in self.subjects if s.kind in item.subject_kinds]
            bad = list(itertools.accumulate(s.risk for s in eligible))
            good = list(itertools.accumulate(1 / s.risk for s in eligible))
            self.cache[item.code] = (eligible, bad, good)
        return self.cache[item.code]


def _decision_window(item: CatalogueItem, subject: DemoSubject, today: date) -> tuple[date, date] | None:
    lo = max(EARLIEST_DECISION, item.in_force_from, subject.active_from)
    hi = subject.latest_decision(today)
    if item.in_force_until is not None:
        hi = min(hi, item.in_force_until)
    return (lo, hi) if lo <= hi else None


def _disclosure_months(item: CatalogueItem, profile: JurisdictionProfile) -> int:
    return 12 * (item.disclosure.years or profile.bad_record_years)


def _decision_date(rng: random.Random, item: CatalogueItem, subject: DemoSubject, window: tuple[date, date],
                   profile: JurisdictionProfile, today: date) -> date:
    """When the decision was made. Bad records are split between long-over ones (archived) and
    ones still in their disclosure period, so that both show up however short the period is."""
    lo, hi = window
    if item.category is Category.BAD:
        months = _disclosure_months(item, profile)
        old_hi = min(hi, add_months(today, -months) - timedelta(days=250))
        recent_lo = max(lo, add_months(today, -months))
        if rng.random() < OLD_BAD_SHARE and lo <= old_hi:
            return _rand_date(rng, lo, old_hi)
        if recent_lo <= hi:
            return _rand_date(rng, recent_lo, hi)
    if item.family is RecordFamily.ORGANISATION_REGISTRATION and subject.active_from >= lo:
        return subject.active_from  # a new organisation: the registration decision itself
    return _rand_date(rng, lo, hi)


def _choose_licence(rng: random.Random, item: CatalogueItem, subject: DemoSubject,
                    providers: dict[str, Department]) -> tuple[LicenceSpec | None, list[str]]:
    """A licence this subject plausibly holds that one of the item's providers issues."""
    domains = {code: department_domain(providers[code])[0] for code in item.providers}
    issued = [lic for lic in LICENCES if lic.for_person == subject.is_person
              and any(domains[c] in lic.domains for c in item.providers)]
    if not subject.is_person:
        typical = [lic for lic in issued if (subject.org_type in lic.org_types) or (
            not lic.org_types and subject.industry is not None and lic.name in subject.industry.licences)]
        issued = typical or [lic for lic in issued if not lic.org_types]
    if not issued:
        return None, list(item.providers)
    licence = rng.choice(issued)
    return licence, [c for c in item.providers if domains[c] in licence.domains]


_BAD_PROVIDER_WEIGHT = {"market": 3.0, "tax": 1.5, "environment": 1.5, "construction": 1.5, "safety": 1.5}


def _choose_provider(rng: random.Random, item: CatalogueItem, subject: DemoSubject, candidates: list[str],
                     providers: dict[str, Department]) -> Department:
    if item.family is RecordFamily.ORGANISATION_REGISTRATION and not subject.is_person:
        civil = subject.org_type in ("social_group", "private_non_enterprise")
        preferred = [c for c in candidates if (department_domain(providers[c])[0] == "civil") == civil]
        candidates = preferred or candidates
    weights = [(_BAD_PROVIDER_WEIGHT.get(department_domain(providers[c])[0], 1.0)
                if item.category is Category.BAD else 1.0) for c in candidates]
    return providers[rng.choices(candidates, weights=weights)[0]]


def plan_records(rng: random.Random, profile: JurisdictionProfile, subjects: list[DemoSubject], total: int,
                 today: date) -> list[_Plan]:
    """Who gets which record from whom and when, for every item of the profile.

    BASIC items go through their eligible subjects one by one (most subjects get one
    registration or identity record); other items draw subjects weighted by risk.
    """
    items = list(profile.items.values())
    quotas = plan_quotas(items, total)
    pools = _Pools(subjects)
    departments = dict(profile.departments)
    plans: list[_Plan] = []
    for item in items:
        eligible, bad_w, good_w = pools.for_item(item)
        if not eligible:
            continue
        cycle = list(eligible)
        rng.shuffle(cycle)
        position = 0
        made = 0
        attempts = 0
        while made < quotas[item.code] and attempts < quotas[item.code] * 50 + 100:
            attempts += 1
            if item.category is Category.BASIC:
                subject = cycle[position % len(cycle)]
                position += 1
            else:
                subject = rng.choices(eligible, cum_weights=bad_w if item.category is Category.BAD else good_w)[0]
            window = _decision_window(item, subject, today)
            if window is None:
                continue
            licence, candidates = (None, list(item.providers))
            if item.family is RecordFamily.LICENCE:
                licence, candidates = _choose_licence(rng, item, subject, departments)
            provider = _choose_provider(rng, item, subject, candidates, departments)
            decided = _decision_date(rng, item, subject, window, profile, today)
            plans.append(_Plan(item, subject, provider, decided, licence, order=len(plans)))
            made += 1
    plans.sort(key=lambda p: (p.decided_on, p.order))
    return plans


# -------------------------------------------------------------------- dates and statuses


def _validity(rng: random.Random, plan: _Plan) -> tuple[date | None, date | None]:
    """valid_from / valid_until of awards: half are titles held for 2-3 years, half have no end.

    Licences, certificates and ratings get theirs from their term while their content is
    generated (RecordContext.set_term); volunteer and charity records have none (until cancelled).
    """
    kind = plan.item.field("honourKind")
    if plan.item.family is RecordFamily.HONOUR and "AWARD" in (kind.values if kind else ("AWARD",)):
        if rng.random() < 0.5:
            return plan.decided_on, add_years(plan.decided_on, rng.choice((2, 3))) - ONE_DAY
    return None, None


def _act_ended(rng: random.Random, plan: _Plan, today: date) -> date | None:
    """Bad records: the act ends on the decision day or some months later (fine paid, order obeyed);
    some arrears and judgments are still unpaid (an ongoing act: no end, HC-19(3))."""
    if plan.item.category is not Category.BAD:
        return None
    roll = rng.random()
    if roll < ONGOING_SHARE and plan.item.family in (RecordFamily.ARREARS, RecordFamily.JUDGMENT):
        return None
    if roll < 0.3:
        return plan.decided_on
    return min(plan.decided_on + timedelta(days=rng.randint(1, 240)), max(plan.decided_on, today - ONE_DAY))


def _submission_day(rng: random.Random, item: CatalogueItem, decided: date, today: date) -> date:
    """When the provider submitted: decisions a few days after they are made, periodic items after
    their month ends; never after `today`.

    The deadline is n working days after its start, hence at least n calendar days after it: a
    submission within n calendar days is on time. LATE_SHARE of them come well after any n working
    days can end (holiday weeks included); derive_facts then counts exactly how late they are.
    """
    rule = item.submission
    if rule is None or not rule.deadline_working_days:
        return min(decided + timedelta(days=rng.randint(0, 6)), max(decided, today))
    n = rule.deadline_working_days
    if rule.deadline_from is DeadlineFrom.PERIOD_END:
        start, on_time = period_end(decided, rule.frequency), n
    else:
        start, on_time = decided, min(n, 6)
    if rng.random() < LATE_SHARE:
        day = start + timedelta(days=math.ceil(n * 7 / 5) + rng.randint(12, 50))
    else:
        day = start + timedelta(days=rng.randint(1, on_time))
    return max(decided, min(day, today))


def _status(rng: random.Random, plan: _Plan, ends: date | None, submitted: date, act_ended: date | None,
            profile: JurisdictionProfile, today: date) -> tuple[str, date | None]:
    """A few revoked, repaired or deleted records (each then given its case, store/demo_cases.py) so
    that every lifecycle state can be seen; the rest ACTIVE as submitted. Records past their period
    are archived by the sweeper when the data are loaded (`load_demo_data`), as in production: no
    status is set here that an event would not explain."""
    item = plan.item
    first = submitted + ONE_DAY
    last = today - ONE_DAY
    if first > last or (ends is not None and ends < today):
        return RecordStatus.ACTIVE.value, None
    roll = rng.random()
    if item.category is Category.BAD:
        if roll < 0.012:
            return RecordStatus.REVOKED.value, _rand_date(rng, first, last)
        if roll < 0.045:
            start = repairable_from(item, decided_on=plan.decided_on, act_ended_on=act_ended) or (
                (act_ended or plan.decided_on) + timedelta(days=30))
            start = max(start, first)
            if start <= last:
                return RecordStatus.REPAIRED.value, _rand_date(rng, start, last)
    if item.family is RecordFamily.HONOUR and roll < 0.025:
        return RecordStatus.DELETED.value, _rand_date(rng, first, last)
    return RecordStatus.ACTIVE.value, None


# ---------------------------------------------------------------------------- assembling


@dataclass
class DemoData:
    """Rows ready for bulk insert, and the counts `load_demo_data` reports."""

    subjects: list[dict[str, Any]]
    records: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    cases: CaseRows = field(default_factory=CaseRows)  # store/demo_cases.py


class ContentError(ValueError):
    """A generated record failed its catalogue item's validation: a bug in this module."""


def build_demo_data(profile: JurisdictionProfile, *, seed: int = DEFAULT_SEED, subjects: int = 2000,
                    records: int = 20000, today: date | None = None, taken_codes: set[str] | None = None,
                    taken_documents: set[tuple[str, str, str]] | None = None, first_record_id: int = 1,
                    working_days: WorkingDayCalendar | None = None, first_case_id: int = 1) -> DemoData:
    """Generate the whole data set in memory (no database): deterministic for a given seed.

    `taken_codes` / `taken_documents` are what the database already holds (kept unique against);
    record ids start at `first_record_id` so annotations can point at them. No version rows:
    a record that never changed is its own version 1 (`resolvers.correction.versions_of`).
    Revoked, repaired and deleted records come from their cases (store/demo_cases.py): a completed
    revocation or honour deletion leaves a tombstone, not a record.
    """
    today = today or REFERENCE_DATE
    rng = random.Random(seed)
    working_days = working_days or WorkingDayCalendar.shipped()
    area = area_for(profile)
    people = make_subjects(rng, area, subjects, today, set(taken_codes or ()))
    organisations = [s for s in people if not s.is_person]
    documents = DocumentNumbers(rng, area, set(taken_documents or ()))
    consent_counters: Counter[int] = Counter()
    record_rows: list[dict[str, Any]] = []
    annotation_rows: list[dict[str, Any]] = []
    first_seen: dict[str, dt.datetime] = {}
    validated: set[tuple[str, tuple[str, ...], bool]] = set()

    for offset, plan in enumerate(plan_records(rng, profile, people, records, today)):
        item, subject, provider = plan.item, plan.subject, plan.provider
        domain, abbr = department_domain(provider)
        case_type = _court_case_type(item) if domain == "court" else None
        year = plan.decided_on.year
        number = documents.unique(provider.code, item.code, (lambda: documents.case(case_type, year)) if case_type
                                  else (lambda: documents.official(abbr, _document_kind(item), year)))
        valid_from, valid_until = _validity(rng, plan)
        ctx = RecordContext(rng=rng, area=area, item=item, subject=subject, provider=provider, domain=domain,
                            decided_on=plan.decided_on, act_ended_on=_act_ended(rng, plan, today),
                            valid_from=valid_from, valid_until=valid_until, document_number=number, today=today,
                            documents=documents, organisations=organisations, licence=plan.licence)
        proposal = PROPOSALS[item.family](ctx)
        if any(f.requires_consent for f in item.fields) and (
                rng.random() < CONSENT_SHARE or any(f.requires_consent and f.required for f in item.fields)):
            consent_counters[year] += 1
            ctx.consent_ref = f"SQ-{year}-{consent_counters[year]:04d}"
        content = fit_content(ctx, proposal)
        shape = (item.code, tuple(content), ctx.consent_ref is not None)
        if shape not in validated:
            # Once per item and set of fields: the check of field names against prohibited
            # information is most of validate_content's cost and depends on the names only;
            # values are typed, enum-checked and length-limited by _coerce (tests check every row).
            problems, _ = item.validate_content(content, consent_ref=ctx.consent_ref)
            if problems:
                raise ContentError(f"demo record for {item.code} is invalid: "
                                   f"{'; '.join(map(str, problems))}: {content}")
            validated.add(shape)

        submitted_on = _submission_day(rng, item, plan.decided_on, today)
        facts = derive_facts(item, profile, working_days, subject_kind=subject.kind,
                             subject_ended_on=subject.ended_on, decided_on=plan.decided_on,
                             act_ended_on=ctx.act_ended_on, valid_until=ctx.valid_until, submitted_on=submitted_on)
        status, changed_on = _status(rng, plan, facts.disclosure_ends_on, submitted_on, ctx.act_ended_on, profile,
                                     today)
        submitted_at = _office_time(rng, submitted_on)
        channels = sorted(m.value for m in item.submission.methods)
        channel = _weighted(rng, [(c, {"API": 0.55, "BATCH": 0.3, "MANUAL": 0.15}[c]) for c in channels])
        record_id = first_record_id + offset
        row = {
            "id": record_id, "subject_code": subject.code, "catalogue_item_code": item.code,
            "provider_code": provider.code, "category": item.category.value, "family": item.family.value,
            "visibility": facts.visibility, "severity": facts.severity, "document_number": number,
            "issuing_authority": provider.name, "decided_on": plan.decided_on, "act_ended_on": ctx.act_ended_on,
            "valid_from": ctx.valid_from, "valid_until": ctx.valid_until,
            "disclosure_ends_on": facts.disclosure_ends_on, "publicity_ends_on": facts.publicity_ends_on,
            "retained_until": facts.retained_until, "status": status, "status_changed_on": changed_on,
            "content": content, "consent_ref": ctx.consent_ref, "version": 1, "channel": channel,
            "submitted_at": submitted_at, "submitted_by": SUBMITTED_BY, "deadline_on": facts.deadline_on,
            "deadline_provisional": facts.deadline_provisional, "late_working_days": facts.late_working_days,
            "updated_at": _office_time(rng, changed_on) if changed_on else submitted_at,
        }
        record_rows.append(row)
        live = facts.disclosure_ends_on is None or facts.disclosure_ends_on >= today  # the sweeper archives the rest
        if status == RecordStatus.ACTIVE.value and live and rng.random() < ANNOTATED_SHARE:
            filed = _rand_date(rng, max(submitted_on, today - timedelta(days=40)), today - ONE_DAY)
            if changed_on is not None:
                filed = min(filed, changed_on - timedelta(days=25))
            annotation_rows.append({"record_id": record_id, "objection_id": None, "kind": "OBJECTION_OPEN",
                                    "text": OBJECTION_TEXT, "created_at": _office_time(rng, max(filed, submitted_on)),
                                    "closed_at": None})
        if subject.code not in first_seen or submitted_at < first_seen[subject.code]:
            first_seen[subject.code] = submitted_at

    record_rows, case_rows = apply_case_workflows(record_rows, profile, working_days, today, rng, first_case_id)
    never_seen = dt.datetime(today.year, today.month, today.day, tzinfo=UTC)
    subject_rows = [{"code": s.code, "kind": s.kind.value, "name": s.name, "status": s.status.value,
                     "ended_on": s.ended_on, "created_at": first_seen.get(s.code, never_seen)} for s in people]
    statuses = Counter(r["status"] for r in record_rows)
    counts = {
        "subjects": len(subject_rows),
        "persons": sum(s.is_person for s in people),
        "organisations": len(organisations),
        "records": len(record_rows),
        **{status.value.lower(): statuses.get(status.value, 0) for status in RecordStatus},
        "late": sum(r["late_working_days"] > 0 for r in record_rows),
        "annotations": len(annotation_rows),
        "cases": len(case_rows.cases),
        "tombstones": len(case_rows.tombstones),
    }
    return DemoData(subject_rows, record_rows, annotation_rows, counts, case_rows)


# ------------------------------------------------------------------------------- loading


async def load_demo_data(engine: AsyncEngine, profile_code: str, *, seed: int = DEFAULT_SEED, subjects: int = 2000,
                         records: int = 20000, today: date | None = None) -> dict[str, int]:
    """Generate the demo data set and insert it in one transaction; return what was inserted.

    The database must be initialised with the same profile (`store.bootstrap.initialise`), since
    records point at its departments and catalogue items. Loading into a database that already
    holds data works too (`credit-gateway load-demo --force`): codes and document numbers are kept
    unique against what is there and record ids continue after the highest one.
    """
    profile = load_profile(profile_code)
    async with engine.begin() as connection:
        taken_codes = set((await connection.execute(select(Subject.code))).scalars())
        taken_documents = {tuple(r) for r in await connection.execute(
            select(Record.provider_code, Record.catalogue_item_code, Record.document_number))}
        first_id = max(((await connection.execute(select(func.max(Record.id)))).scalar() or 0),
                       ((await connection.execute(select(func.max(RecordTombstone.record_id)))).scalar() or 0)) + 1
        first_case = ((await connection.execute(select(func.max(Case.id)))).scalar() or 0) + 1
        data = build_demo_data(profile, seed=seed, subjects=subjects, records=records, today=today,
                               taken_codes=taken_codes, taken_documents=taken_documents, first_record_id=first_id,
                               first_case_id=first_case)
        for table, rows in ((Subject.__table__, data.subjects), (Record.__table__, data.records),
                            (Annotation.__table__, data.annotations), (Case.__table__, data.cases.cases),
                            (RecordEvent.__table__, data.cases.events),
                            (RecordTombstone.__table__, data.cases.tombstones),
                            (Notification.__table__, data.cases.notifications)):
            if rows:
                await connection.execute(table.insert(), rows)
        # Explicit ids: later inserts must not collide, nor take a deleted record's id (its tombstone's).
        await continue_ids_after(connection, "records", max(
            [r["id"] for r in data.records] + [t["record_id"] for t in data.cases.tombstones], default=0))
        if connection.dialect.name == "postgresql":  # cases: a plain rowid table on SQLite, never deleted
            await continue_ids_after(connection, "cases", max((c["id"] for c in data.cases.cases), default=0))
    # What the dates decide (archive, end of publicity, XZ-20 deletion, missed deadlines) is applied
    # as the sweeper applies it, each change an event, a notice and a log entry (issue 15).
    from store.sweep import sweep

    await sweep(engine, profile, today or REFERENCE_DATE)
    async with engine.connect() as connection:  # the counts as the sweep left them
        statuses = dict((await connection.execute(
            select(Record.status, func.count()).where(Record.id >= first_id).group_by(Record.status))).all())
        tombstones = (await connection.execute(select(func.count()).where(
            RecordTombstone.record_id >= first_id))).scalar()
    counts = {**data.counts, **{status.value.lower(): statuses.get(status.value, 0) for status in RecordStatus},
              "records": sum(statuses.values()), "tombstones": tombstones}
    return counts
