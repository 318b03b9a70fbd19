"""Applying a pull's items so that one bad item never stops the sync.

A page is applied in one savepoint, its new events written together at the end (PullScope).
If anything in it fails, the savepoint is rolled back and the page is applied again one item
at a time, each in a savepoint of its own and written at once: the item that fails again is
left out and recorded (skipped.py), and the rest apply. The pull goes on, its sync token
moves, and the item is tried again when it next changes in Google, or at the next full sync.

A failure that is no item's fault (the database connection lost, a lock timeout) still
stops the pull, so the job is retried as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace

from sqlalchemy.exc import InterfaceError, OperationalError

from portal.extensions import db
from portal.google.api.errors import GoogleApiError
from portal.google.sync.mapping import is_exception
from portal.google.sync.pull_scope import PullScope
from portal.google.sync.reconcile import PullCounts, apply_remote_event, series_of
from portal.google.sync.skipped import NO_SERIES, SkippedItems
from portal.models import GoogleConnection

# The database or its connection failed, not the item: let the job be retried.
NOT_THE_ITEMS_FAULT = (OperationalError, InterfaceError)


class ItemApplier:
    """One pull's application of Google's items, page by page, leaving out what cannot apply."""

    def __init__(self, connection: GoogleConnection, counts: PullCounts, log_each: bool) -> None:
        self.connection = connection
        self.counts = counts
        self.log_each = log_each
        self.scope = PullScope(connection)
        self.skipped = SkippedItems(connection)

    def apply_page(self, items: list[dict]) -> list[dict]:
        """Apply one page; returns the exceptions whose series has not come yet."""
        if not items:
            return []  # an idle pull's page: no savepoint to pay for
        # Series before their exceptions, so an exception finds its series on the same page.
        ordered = sorted(items, key=is_exception)
        before = replace(self.counts)
        try:
            with db.session.begin_nested():
                self.scope.prefetch(items)
                deferred = [item for item in ordered if self._apply(item) == "deferred"]
                self.scope.end_page()
        except NOT_THE_ITEMS_FAULT:
            raise
        except Exception:
            # Something on the page cannot be applied: find out which, one item at a time.
            _restore(self.counts, before)
            self._fresh_scope(items)
            deferred = [item for item in ordered if self.apply_alone(item) == "deferred"]
            self.scope.end_page()
            return deferred
        deferred_ids = {item["id"] for item in deferred}
        self.skipped.applied([item["id"] for item in items if item["id"] not in deferred_ids])
        return deferred

    def apply_deferred(self, deferred: list[dict], fetch_series: Callable[[str], dict]) -> None:
        """Exceptions whose series came later, or not at all (fetch the series, then retry)."""
        for item in deferred:
            if series_of(self.scope, item) is None and not self._fetch_series(item, fetch_series):
                continue
            if self.apply_alone(item) == "deferred":
                self.skipped.record(item, reason=NO_SERIES)
        self.scope.end_page()

    def _fetch_series(self, item: dict, fetch_series: Callable[[str], dict]) -> bool:
        """Bring in the series an exception needs; False (and the exception left out) when
        Google has no such series."""
        # Asked outside any savepoint: Google's failures are the pull's, not the item's.
        try:
            series = fetch_series(item["recurringEventId"])
        except GoogleApiError as exc:
            if exc.status not in (404, 410):
                raise
            self.skipped.record(item, reason=NO_SERIES)
            return False
        self.apply_alone(series)
        return True

    def apply_alone(self, item: dict) -> str:
        """Apply one item in a savepoint of its own and write it at once; "skipped" if it
        cannot be applied (recorded, and the rest of the pull goes on)."""
        before = replace(self.counts)
        try:
            with db.session.begin_nested():
                outcome = self._apply(item)
                self.scope.flush()
        except NOT_THE_ITEMS_FAULT:
            raise
        except Exception as exc:
            _restore(self.counts, before)
            # What the scope holds may be from the rolled-back savepoint: start afresh.
            self._fresh_scope([])
            self.skipped.record(item, exc)
            return "skipped"
        if outcome != "deferred":
            self.skipped.applied([item["id"]])
        return outcome

    def _apply(self, item: dict) -> str:
        return apply_remote_event(self.scope, item, self.counts, log_each=self.log_each)

    def _fresh_scope(self, items: list[dict]) -> None:
        self.scope = PullScope(self.connection)
        if items:
            self.scope.prefetch(items)


def _restore(counts: PullCounts, before: PullCounts) -> None:
    """Undo what a rolled-back attempt counted."""
    for field in fields(PullCounts):
        setattr(counts, field.name, getattr(before, field.name))
