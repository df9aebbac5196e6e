"""Administrative division codes (GB/T 2260, 县级以上行政区划代码), current and retired.

A resident ID number carries, in positions 1-6, the division code of the place where it was
first issued, as it was then; a unified social credit code carries, in positions 3-8, the code
of its registration authority's division. Divisions are merged, renamed and renumbered every
year (e.g. 370200 Qingdao stays, while its old counties 370221-370226 were retired), and the
numbers issued under a retired code stay valid for life. So a code is accepted if it is, or
ever was, on the list: `DIVISIONS` holds every county-level-and-above code since 1980.

Source: the `cn/loc` database shipped with python-stdnum (LGPL-2.1+, a dependency, read
through its public `stdnum.numdb` module), compiled from the Chinese Wikipedia tables
"中华人民共和国行政区划代码" that follow the Ministry of Civil Affairs' yearly lists of
县级以上行政区划代码 and record each code's years of use (python-stdnum 2.2, January 2026,
has the changes up to 2025). Upgrading python-stdnum brings new codes; no code is ever removed.

Two codes the source does not list, because they name no division, are named here for the
validators (domain/identifiers.py) to accept where they belong:
- NATIONAL (100000, 中华人民共和国): the division of central-level registration authorities in
  unified social credit codes (positions 3-8 of the codes of central departments and the
  institutions they register), never in a resident ID;
- TAIWAN_RESIDENTS (830000): positions 1-6 of the residence permits of Taiwan residents
  (台湾居民居住证), numbered like resident IDs; Hong Kong's 810000 and Macao's 820000 are listed.

Loaded once at import into a frozenset: every look-up is O(1).
"""

from __future__ import annotations

from stdnum import numdb

__all__ = ["DIVISIONS", "PROVINCES", "NATIONAL", "TAIWAN_RESIDENTS", "SOURCE"]

SOURCE = "python-stdnum cn/loc (Chinese Wikipedia, after the Ministry of Civil Affairs' lists, 1980-2025)"

NATIONAL = "100000"
TAIWAN_RESIDENTS = "830000"


def _load() -> frozenset[str]:
    """Every 6-digit code of the `cn/loc` tree: 2-digit provinces, each with 4-digit suffixes."""
    codes: set[str] = set()
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high:
            raise RuntimeError(f"unexpected entry {low}-{high} in python-stdnum's cn/loc database")
        for sub_length, sub_low, sub_high, _sub_props, _ in children:
            if sub_length != 4:
                raise RuntimeError(f"unexpected entry {low}{sub_low} in python-stdnum's cn/loc database")
            for suffix in range(int(sub_low), int(sub_high) + 1):
                codes.add(f"{low}{suffix:04d}")
    if len(codes) < 3000:  # the 2025 list alone has ~2,850 county-level codes
        raise RuntimeError(f"python-stdnum's cn/loc database holds only {len(codes)} division codes")
    return frozenset(codes)


DIVISIONS: frozenset[str] = _load()
# Province-level codes (省级代码) as 2-digit strings: 11 Beijing ... 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCES: frozenset[str] = frozenset(code[:2] for code in DIVISIONS if code.endswith("0000"))
