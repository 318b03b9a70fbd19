"""The card in a coordinator's words: which calendar, and how soon changes arrive."""

from __future__ import annotations

import pytest

from portal.integrations.card import arrival_in_words, calendar_label
from portal.integrations.privacy import changed_message, widens
from portal.models import GoogleConnection


def connection(calendar_id: str, summary: str = "") -> GoogleConnection:
    return GoogleConnection(
        google_email="casey@gmail.com", calendar_id=calendar_id, calendar_summary=summary
    )


def test_the_primary_calendar_is_called_the_main_one_with_its_address():
    expected = "Your main Google calendar (casey@gmail.com)"
    assert calendar_label(connection("casey@gmail.com", "casey@gmail.com")) == expected
    assert calendar_label(connection("primary")) == expected


def test_another_calendar_goes_by_its_name():
    assert calendar_label(connection("abc@group.calendar.google.com", "Work")) == "Work"


@pytest.mark.parametrize(
    ("latency_ms", "words"),
    [(100, "within a second"), (1400, "within a second"), (4600, "within about 5 seconds"),
     (180_000, "within about 3 minutes")],
)  # fmt: skip
def test_how_soon_changes_arrive_is_said_in_words(latency_ms, words):
    assert arrival_in_words(latency_ms) == words


def test_widening_is_towards_full_details():
    assert widens("busy", "private_title") and widens("private_title", "full")
    assert not widens("full", "busy") and not widens("busy", "busy")


def test_the_message_counts_the_events():
    assert changed_message("private_title", 42) == (
        "Google now sees titles and times only; 42 events updated."
    )
    assert changed_message("busy", 1).endswith("; 1 event updated.")
