"""Playwright helpers for the Streamlit pages: waiting for a rerun to settle, reading cards, screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def open_app(page: Page, url: str) -> None:
    """Go to `url` and wait until the script run has finished drawing."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    settle(page)


def settle(page: Page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit says it is no longer running the script."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')
                && !document.querySelector('[data-testid="stSkeleton"]');
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)


def no_exception(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def card_value(page: Page, metric: str) -> Locator:
    """The big number on a rep's card for `metric` (a catalog key)."""
    return page.locator(f'div[class*="st-key-card-"][class*="-{metric}"] [data-testid="stMetricValue"]').first


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def within_viewport(locator: Locator, width: int, height: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
