"""The credit report in a real browser: headless Chromium loads `GET /reports/{code}` from a served
gateway (demo data), with the subject's token sent as a header through the DevTools protocol
(`Network.setExtraHTTPHeaders`: a plain browser has no way to add it), shows the receipt, and prints
the page to PDF (`Page.printToPDF`, the browser's print, A4 from the page's stylesheet). The
screenshot and the PDF are kept as test artefacts in `tests/artefacts/` (git-ignored; TEST_ARTEFACTS
names another folder), not in pytest's tmp folders, which later sessions remove; their paths are
printed (`pytest -s`)."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import pytest

from tests.e2e_browser import chromium_available, chromium_driver
from tests.server import running_gateway

pytestmark = pytest.mark.e2e
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS") or Path(__file__).parent / "artefacts")


def subject_with_bad_records(data_dir) -> str:
    """An organisation of the demo data with a bad record, read from the served database's file."""
    with sqlite3.connect(data_dir / "credit-gateway.sqlite3") as connection:
        (code,) = connection.execute(
            "SELECT r.subject_code FROM records r JOIN subjects s ON s.code = r.subject_code "
            "WHERE r.category = 'BAD' AND r.status = 'ACTIVE' AND s.kind = 'ORGANISATION' "
            "ORDER BY r.subject_code LIMIT 1").fetchone()
    return code


def subject_token(data_dir, code: str) -> str:
    from domain.catalogue import load_profile
    from domain.roles import DepartmentRegistry
    from gateway.identity import load_or_create_dev_secret, mint_token

    return mint_token(load_or_create_dev_secret(data_dir), user=f"subject-{code}", department=None, roles=(),
                      subject=code, name="信息主体", departments=DepartmentRegistry.of(load_profile("huancui")))


def test_the_subject_s_report_renders_in_chromium_and_prints_to_a_pdf(tmp_path):
    reason = chromium_available()
    if reason:
        pytest.skip(f"{reason} (to render the credit report and print it to PDF)")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    data = tmp_path / "data"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot, pdf = ARTEFACTS / "credit-report.png", ARTEFACTS / "credit-report.pdf"
    with running_gateway(data) as base, chromium_driver() as driver:
        code = subject_with_bad_records(data)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                               {"headers": {"Authorization": f"Bearer {subject_token(data, code)}"}})
        driver.get(f"{base}/reports/{code}")
        try:
            receipt = WebDriverWait(driver, 30, poll_frequency=0.1).until(
                lambda d: d.find_elements(By.ID, "receipt-id"))[0].text
            page = driver.find_element(By.TAG_NAME, "body").text
            font = driver.execute_script("return getComputedStyle(document.documentElement).fontFamily")
        finally:
            driver.save_screenshot(str(screenshot))
            print(f"credit report screenshot: {screenshot}")
        printed = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    pdf.write_bytes(base64.b64decode(printed["data"]))
    print(f"credit report PDF: {pdf}")
    assert receipt.startswith("R") and code in page and "失信信息" in page and "verifyCreditCheck" in page
    assert "Noto Sans CJK SC" in font and "SimSun" in font
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 5_000
    assert screenshot.stat().st_size > 10_000
