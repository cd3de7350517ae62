"""The stand-up screen on a 1080p TV: key numbers visible without scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import no_exception, open_app, shot, within_viewport

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"
TV = {"width": 1920, "height": 1080}


def test_standup_at_1080p_shows_team_pace_without_scrolling(server: Server, page: Page) -> None:
    page.set_viewport_size(TV)
    open_app(page, f"{server.url}/?view=standup&as_of={AS_OF}&slide=gaps")
    expect(page.get_by_text("Team pace this week")).to_be_visible()
    no_exception(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    labels = page.locator('[data-testid="stMetricLabel"]')
    values = page.locator('[data-testid="stMetricValue"]')
    expect(labels).to_have_count(4)
    assert [t.strip() for t in labels.all_inner_texts()] == ["Conversations", "Meetings", "Opportunities", "Proposals"]
    # Other tests in the session add data, so the figures are checked for shape, not value.
    assert all(re.fullmatch(r"\d+%", t.strip()) for t in values.all_inner_texts())
    behind = page.get_by_text(re.compile(r"^\d+ of 5 reps below pace( · \d+ behind)?$"))
    expect(behind).to_have_count(4)
    for locator in (*labels.all(), *values.all(), *behind.all()):
        assert within_viewport(locator, TV["width"], TV["height"]), locator
    # Readable across a room: the pace figures are big.
    size = values.first.locator("p").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 96
    label_size = labels.first.locator("p").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert label_size >= 32
    assert page.evaluate("document.scrollingElement.scrollHeight") <= TV["height"] + 2
    shot(page, "standup-1080p")


def test_standup_on_a_laptop_shows_every_number_whole(server: Server, page: Page) -> None:
    """A stand-up shared from a 1280-wide laptop: the type shrinks, and no number or name is cut to "11…"."""
    laptop = {"width": 1280, "height": 800}
    page.set_viewport_size(laptop)
    open_app(page, f"{server.url}/?view=standup&as_of={AS_OF}&slide=gaps")
    expect(page.get_by_text("Team pace this week")).to_be_visible()
    values = page.locator('[data-testid="stMetricValue"]')
    labels = page.locator('[data-testid="stMetricLabel"]')
    expect(values).to_have_count(4)
    assert all(re.fullmatch(r"\d+%", t.strip()) for t in values.all_inner_texts())
    clipped = "e => [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1)"
    for locator in (*values.all(), *labels.all()):
        assert not locator.evaluate(clipped), locator.inner_text()
        assert within_viewport(locator, laptop["width"], laptop["height"]), locator
    shot(page, "standup-laptop")


def test_standup_other_slides(server: Server, page: Page) -> None:
    page.set_viewport_size(TV)
    open_app(page, f"{server.url}/?view=standup&as_of={AS_OF}&slide=conversations")
    expect(page.get_by_text("Conversations to have this week")).to_be_visible()
    no_exception(page)
    shot(page, "standup-1080p-conversations")
