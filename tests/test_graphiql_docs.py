"""GraphiQL's docs explorer reads as a manual: walking Query → subject → Subject → records in headless
Chromium shows each step's description, as the served schema writes it. A screenshot of the last
page is kept in the test's tmp folder (its path is printed; `pytest -s` shows it)."""

from __future__ import annotations

import re

import pytest

from schema.build import build_schema
from tests.e2e_browser import chromium_available, chromium_driver
from tests.server import running_gateway

pytestmark = pytest.mark.e2e

EXPLORER = ".graphiql-doc-explorer"


def shown(description: str | None) -> str:
    """The start of a description as GraphiQL renders its Markdown: no backticks, emphasis or link targets."""
    assert description, "the schema must describe it"
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", description)
    text = re.sub(r"[`*]", "", text)
    return " ".join(text.split())[:60]


def test_the_docs_explorer_shows_descriptions_from_query_to_a_subject_s_records(tmp_path):
    reason = chromium_available()
    if reason:
        pytest.skip(f"{reason} (to check GraphiQL's docs explorer; `.ci/run` installs them)")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    types = build_schema()._schema.type_map
    steps = [("Query", shown(types["Query"].fields["subject"].description)),  # Query's page lists its fields
             ("subject", shown(types["Query"].fields["subject"].description)),
             ("Subject", shown(types["Subject"].description)),
             ("records", shown(types["Subject"].fields["records"].description))]
    screenshot = tmp_path / "graphiql-docs-subject-records.png"
    with running_gateway(tmp_path / "data", env={"LOAD_DEMO_ON_EMPTY": "false"}) as base, \
            chromium_driver() as driver:
        wait = WebDriverWait(driver, 60, poll_frequency=0.1)
        driver.get(f"{base}/graphql")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label='Show Documentation Explorer']"))[0] \
            .click()

        def explorer_text() -> str:
            return " ".join(driver.find_element(By.CSS_SELECTOR, EXPLORER).text.split())

        try:
            for link, description in steps:
                # the link's exact text, inside the explorer: a type name or a field name
                path = f"//div[contains(@class, 'graphiql-doc-explorer')]//a[normalize-space()='{link}']"
                wait.until(lambda d: d.find_elements(By.XPATH, path))[0].click()
                wait.until(lambda d: driver.find_element(By.CSS_SELECTOR, ".graphiql-doc-explorer-title").text
                           == link)
                wait.until(lambda d: description in explorer_text())
        finally:
            driver.save_screenshot(str(screenshot))
            print(f"GraphiQL docs explorer screenshot: {screenshot}")
        page = explorer_text()
        assert page.startswith("Subject records"), page  # back link to Subject, then the field
        assert "CreditRecordConnection" in page and "status: RecordStatus = ACTIVE" in page, page
    assert screenshot.stat().st_size > 10_000
