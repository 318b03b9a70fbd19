"""Every privacy level change, in both directions: afterwards Google holds exactly what the
new level allows, and what it no longer allows is cleared, not left behind."""

from __future__ import annotations

from itertools import permutations

import pytest

from portal.extensions import db
from portal.google.account.connection import set_privacy_level
from tests.google.sync_support import fresh, link_of, pending_outbox
from tests.google.test_real_calendars import (
    SHOWN,
    fresh_event,
    google_copy,
    messages,
    patches,
    portal_event,
    pull,
    push,
    shown_in_google,
)

LEVELS = ("busy", "private_title", "full")


@pytest.mark.parametrize(("before", "after"), list(permutations(LEVELS, 2)))
def test_every_privacy_level_change_leaves_google_with_what_the_level_allows(
    connected, coordinator, google, client, before, after
):
    event = portal_event(coordinator, connected, before)
    google_id = link_of(event).google_event_id
    assert shown_in_google(google_copy(google, google_id)) == SHOWN[before]

    # "confirm": the coordinator's yes to showing Google more (narrowing needs none).
    answer = client.post("/google/privacy", data={"privacy_level": after, "confirm": "y"})
    assert answer.status_code in (200, 302, 303), answer.text
    push(coordinator.id)

    now = google_copy(google, google_id)
    assert shown_in_google(now) == SHOWN[after]
    assert now["visibility"] == "private" and now["transparency"] == "opaque"
    assert "430123456" not in str(patches(google))
    assert not pending_outbox() and not messages(outcome="not_taken")
    # The echo of the level's own write changes nothing in the portal.
    version = fresh_event(event).version
    pull(connected)
    assert fresh_event(event).version == version and not pending_outbox()


def test_a_level_change_then_back_restores_everything(connected, coordinator, google):
    event = portal_event(coordinator, connected, "full")
    google_id = link_of(event).google_event_id
    for level in ("busy", "full", "private_title", "full"):
        set_privacy_level(fresh(connected), level)
        db.session.commit()
        push(coordinator.id)
        assert shown_in_google(google_copy(google, google_id)) == SHOWN[level], level
