"""Receiving Google's push notifications: authenticate, count, and coalesce into pulls.

The hot path is one Redis script: the channel's facts come from directory.py (read once,
then kept in memory), heard.py keeps what was heard and the outcome counters, and the worker's
enqueue functions turn a genuine notification into (at most one waiting) pull.
No database write except the once-per-channel `sync` message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import update

from portal.config import sync_tuning
from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.realtime.channels import hash_matches
from portal.google.realtime.directory import ChannelFacts, facts_for, reload
from portal.google.realtime.heard import count_outcome, note_genuine
from portal.google.worker.enqueue import enqueue_noticed_pull, notice_claims
from portal.models import ACTIVE_STATES, WatchChannel, utcnow

log = logging.getLogger(__name__)


def receive_notification(headers: Mapping[str, str]) -> str:
    """Check one notification and enqueue a pull when it is genuine; returns the outcome."""
    channel_id = headers.get("X-Goog-Channel-ID")
    state = headers.get("X-Goog-Resource-State")
    if not channel_id or not state:
        return _ignored("missing_headers", channel_id)
    token = headers.get("X-Goog-Channel-Token")
    facts = facts_for(channel_id)
    outcome = judge(facts, token, state)
    if outcome == "inactive":
        # The one verdict that can be undone (a reconnect): never trust memory for it.
        facts = reload(channel_id)
        outcome = judge(facts, token, state)
    if outcome == "sync":
        # Once per channel: Google confirms it is open. Worth a row update (the card shows it).
        db.session.execute(
            update(WatchChannel)
            .where(WatchChannel.channel_id == channel_id)
            .values(live_at=utcnow())
        )
        _count(outcome)
        return outcome
    if outcome != "accepted":
        return _ignored(outcome, channel_id)
    return _accept(facts, token, state, _int(headers.get("X-Goog-Message-Number")))


def _accept(facts: ChannelFacts, token: str | None, state: str, number: int | None) -> str:
    try:
        for _attempt in range(3):
            outcome, versions = _pull_for(facts, number)
            if outcome != "stale":
                return outcome
            # A channel or connection changed since we read these facts: read them again,
            # under the versions the script found.
            fresh = reload(facts.channel_id, versions)
            verdict = judge(fresh, token, state)
            if verdict != "accepted":
                return _ignored(verdict, facts.channel_id)
            facts = fresh
    except Exception as exc:  # Redis down: the safety-net pull will catch this change
        log.warning("could not enqueue pull for connection %s: %s", facts.connection_id, exc)
        return "queue_down"
    log.warning("channel %s kept changing; the safety-net pull covers it", facts.channel_id)
    return "stale"


def _pull_for(facts: ChannelFacts, number: int | None) -> tuple[str, tuple[str, str] | None]:
    """Note a genuine notification and make sure a pull will see its change.

    One Redis script notes it and marks the connection dirty for its shard's drain job (or
    claims a burst's pull marker), unless `facts` are out of date ("stale": nothing done). The
    first notification after a quiet spell is pulled at once; one within GOOGLE_BURST_GAP of
    the previous belongs to a burst, and its pull waits until the burst has passed: a burst
    costs two pulls, plus one per GOOGLE_BURST_MAX_WAIT it lasts. Stale, the current
    versions come back with the outcome.
    """
    claims = notice_claims(facts.connection_id)
    gap = sync_tuning(current_app.config, "GOOGLE_BURST_GAP")
    noted = note_genuine(redis_connection(), facts, number, claims, gap)
    if noted.verdict == "stale":
        return "stale", noted.versions
    return enqueue_noticed_pull(claims, noted.verdict, noted.marker), None


def judge(facts: ChannelFacts | None, token: str | None, state: str) -> str:
    """What a notification is: accepted, sync, or why it is ignored."""
    if facts is None:
        return "unknown_channel"
    if not hash_matches(facts.token_hash, token):
        return "bad_token"
    if facts.stopped_at is not None:
        return "stopped"
    if facts.expires_at is not None and facts.expires_at < utcnow():
        return "expired"
    if facts.connection_state not in ACTIVE_STATES:
        return "inactive"
    return "sync" if state == "sync" else "accepted"


def _ignored(outcome: str, channel_id: str | None) -> str:
    # Debug, not info: a forger sending thousands a second must not flood the logs too;
    # operators read the counters instead (`flask google notices`).
    log.debug("ignored Google notification for channel %r: %s", channel_id, outcome)
    _count(outcome)
    return outcome


def _count(outcome: str) -> None:
    try:
        count_outcome(redis_connection(), outcome)
    except Exception as exc:  # counting is for operators; never fail Google's delivery for it
        log.warning("could not count a %s notification: %s", outcome, exc)


# The columns are 32-bit integers; Google's message numbers stay far below this.
MAX_MESSAGE_NUMBER = 2**31 - 1


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    # A forged or garbled number must not reach the database (a 500 would make Google retry).
    return number if number is None or 0 <= number <= MAX_MESSAGE_NUMBER else None
