"""The card's dialogs are named by their headings, and Escape closes the modal kind only."""

from __future__ import annotations

from tests.integrations.test_google_card import make_connection

HTMX = {"HX-Request": "true"}


def test_the_disconnect_dialog_is_named_and_closes_on_escape_as_a_modal(coordinator, client):
    make_connection(coordinator)
    modal = client.get("/google/disconnect", headers=HTMX).text
    assert 'role="dialog" aria-modal="true" aria-labelledby="disconnect-title"' in modal
    assert '<h2 id="disconnect-title">' in modal
    assert "escapekey from:body" in modal


def test_the_disconnect_page_cancel_is_a_plain_link(coordinator, client):
    make_connection(coordinator)
    page = client.get("/google/disconnect").text
    assert 'aria-labelledby="disconnect-title"' in page
    assert "escapekey" not in page and "/calendar/dismiss" not in page


def test_the_card_names_no_channel_and_no_median(coordinator, client):
    make_connection(coordinator)
    card = client.get("/portal/integrations/google/card", headers=HTMX).text
    for jargon in ("channel renewal", "median", "(median, last day)"):
        assert jargon not in card


def test_an_activity_line_says_a_deletion_once_and_outcomes_in_words(coordinator, client):
    from portal.extensions import db
    from portal.google.sync.activity import log_activity

    connection = make_connection(coordinator)
    deleted = "“Dentist” was deleted in Google; Coordinoter keeps its record"
    log_activity(connection, "pull", deleted, direction="from_google", outcome="deleted")
    changed = "“Home visit” was changed in both places"
    log_activity(connection, "conflict", changed, outcome="google_won")
    db.session.commit()
    card = client.get("/portal/integrations/google/card", headers=HTMX).text
    assert "Coordinoter keeps its record</td>" in card
    assert "Google&#39;s version kept</span>" in card and "google won" not in card
