"""The dashboard in a real browser: Debian's chromium, driven through chromedriver by
Selenium, against `socialbot serve`'s app on uvicorn at 127.0.0.1 (skips without them)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from socialbot.config import Config
from socialbot.moderation.queue import ModerationQueue
from socialbot.store import Store
from socialbot.store.drafts import DRAFTS
from socialbot.web.app import build_app
from tests.web.conftest import PASSWORD

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
           "chromium-driver; .ci/run installs both)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(config: Config, store: Store) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(config, store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):  # bounded: at most ~10 s for the server to come up
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1200,1600",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    # elements of a page still loading are waited for (an absent one costs these 5 s)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def _submit(driver: Any, button: Any) -> None:
    """Click a form's button and wait for the next page: a click returns before the
    browser has loaded it, and the old page's elements go stale under the test."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(page))


def _log_in(driver: Any, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/")
    assert "/login" in driver.current_url
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    _submit(driver, driver.find_element(By.CSS_SELECTOR, "form.login button"))
    assert "/login" not in driver.current_url, "the login was refused"


def _shots() -> Path | None:
    folder = os.environ.get("SOCIALBOT_SCREENSHOTS")
    return Path(folder) if folder else None


def test_log_in_see_the_alert_open_it_and_filter_posts(
    browser: Any, demo: tuple[Config, Store]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    config, store = demo
    with _serve(config, store) as base:
        _log_in(browser, base, "vic")
        assert browser.current_url.startswith(base + "/watch/parcelly")
        alerts = browser.find_element(By.ID, "overview-alerts")
        assert "negative posts spiking about delivery" in alerts.text
        if (shots := _shots()) is not None:
            browser.save_screenshot(str(shots / "overview.png"))
        _submit(browser, alerts.find_element(By.TAG_NAME, "a"))
        explanation = browser.find_element(By.ID, "explanation").text
        assert "rising phrases" in explanation
        if shots is not None:
            browser.save_screenshot(str(shots / "alert.png"))
        browser.get(base + "/posts")
        Select(browser.find_element(By.NAME, "topic")).select_by_visible_text("delivery")
        Select(browser.find_element(By.NAME, "sentiment")).select_by_visible_text("negative")
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
        posts = browser.find_elements(By.CSS_SELECTOR, "#posts .post")
        assert len(posts) == 50
        assert all("negative" in p.get_attribute("class") for p in posts)
        assert all("delivery" in p.text for p in posts)


def test_a_moderator_approves_in_the_browser_and_a_viewer_cannot(
    browser: Any, drafts: tuple[Config, Store]
) -> None:
    from selenium.webdriver.common.by import By

    config, store = drafts
    with _serve(config, store) as base:
        _log_in(browser, base, "vic")
        browser.get(base + "/drafts")
        assert browser.find_elements(By.ID, "draft-1")
        assert not browser.find_elements(By.CSS_SELECTOR, "button.approve")
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "form.logout button"))

        _log_in(browser, base, "ana")
        browser.get(base + "/drafts")
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "#draft-1 button.approve"))
        assert "Draft 1 approved." in browser.find_element(By.ID, "notice").text
        assert not browser.find_elements(By.ID, "draft-1")
    with store.reading() as conn:
        row = conn.execute(select(DRAFTS).where(DRAFTS.c.id == 1)).one()
    assert (row.status, row.decided_by) == ("approved", "ana")
    terminal = ModerationQueue(store, moderator="tom")
    offered = []
    while (item := terminal.next()) is not None:
        offered.append(item.draft_id)
        terminal.skip(item)
    assert 1 not in offered and len(offered) == 5


def test_a_moderator_corrects_a_post_in_the_browser_and_the_label_is_stored(
    browser: Any, drafts: tuple[Config, Store]
) -> None:
    from selenium.webdriver.common.by import By

    from socialbot.store.labels import current_labels

    config, store = drafts
    topic = config.watch[0].topic[1].name
    with _serve(config, store) as base:
        _log_in(browser, base, "ana")
        browser.get(base + "/drafts")
        _submit(browser, browser.find_element(By.CSS_SELECTOR, "#draft-1 a.correct"))
        assert "The model said" in browser.find_element(By.ID, "model-said").text
        form = browser.find_element(By.ID, "correction")
        form.find_element(By.CSS_SELECTOR, 'input[name="sentiment"][value="neutral"]').click()
        form.find_element(By.CSS_SELECTOR, 'input[name="need"][value="question"]').click()
        for box in form.find_elements(By.CSS_SELECTOR, 'input[name="topic"]'):
            if box.is_selected() != (box.get_attribute("value") == topic):
                box.click()
        _submit(browser, form.find_element(By.TAG_NAME, "button"))
        assert "Saved" in browser.find_element(By.ID, "notice").text
    with store.reading() as conn:
        labels = current_labels(conn)
    assert {(lab.kind, lab.value, lab.labeller) for lab in labels} == {
        ("sentiment", "neutral", "ana"), ("need", "question", "ana"), ("topic", topic, "ana")}
