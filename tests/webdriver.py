"""Headless Chromium through Selenium and Debian's chromedriver, one per person.

    with chrome() as driver:
        driver.get(link)
        wait_js(driver, "window.chaosLive && chaosLive.updates > 0")

Several at once are several processes: a game day has a browser per role. The
driver is the Debian package's (``chromium-driver``), named explicitly, so that
Selenium never tries to fetch one; without it the test is skipped, or fails in CI.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from tests.browser import chromium_path
from tests.needs import need_tool


@contextlib.contextmanager
def chrome(width: int = 1400, height: int = 1000, args: tuple[str, ...] = ()) -> Iterator[Any]:
    os.environ.setdefault("SE_OFFLINE", "true")   # Selenium Manager must not go online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", f"--window-size={width},{height}",
                *args):
        options.add_argument(arg)
    service = Service(need_tool("chromedriver", package="chromium-driver"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_js(driver: Any, expression: str, timeout: float = 20, every: float = 0.05) -> Any:
    """Poll a JavaScript expression in the page until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = driver.execute_script(f"return ({expression});")
        except Exception:   # the page is still loading: try again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(every)


def click(driver: Any, selector: str) -> float:
    """Click like a person (the button's onclick runs); the wall time of the click."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for attempt in range(3):   # a list re-rendered between finding and clicking
        before = time.time()
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
        except StaleElementReferenceException:
            if attempt == 2:
                raise
            continue
        break
    return (before + time.time()) / 2


def type_into(driver: Any, selector: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, selector)
    field.clear()
    field.send_keys(text)
