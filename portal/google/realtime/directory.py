"""The webhook's view of the watch channels: one query per channel, then kept in memory.

Google may send thousands of notifications a second for one channel; looking the channel up
in the database for each would make the webhook as slow as the database. So each web process
keeps what it read, tagged with a generation number held in Redis. Any commit that adds or
stops a channel or changes a connection's state bumps the generation (the session hooks below),
and the webhook's Redis script refuses to enqueue a pull for facts read under an older
generation (notice_log.note_genuine answers "stale"), so a stopped channel is never trusted once
its stop has been committed. A time limit bounds the memory's age should Redis lose the
generation.

Ids no channel ever had (forged, or guessed) are not remembered one by one, or a forger would
fill the memory; instead each process keeps the roster of every id a notification may name,
read once per generation, and answers an id outside it without asking the database.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import Row, event, inspect, or_, select
from sqlalchemy.orm import Session

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.models import GoogleConnection, WatchChannel, utcnow

log = logging.getLogger(__name__)

GENERATION_KEY = "coordinoter:channels:generation"
KEEP_SECONDS = 300.0
MAX_ENTRIES = 10_000
_CHANGED = "coordinoter_channels_changed"


@dataclass(frozen=True)
class ChannelFacts:
    """The little the webhook needs to know about a channel, read in one query."""

    channel_id: str
    connection_id: int | None
    token_hash: str
    stopped_at: datetime | None
    expires_at: datetime | None
    connection_state: str | None
    generation: str
    read_at: float


_known: dict[str, ChannelFacts] = {}


def facts_for(channel_id: str) -> ChannelFacts | None:
    """What we know of this channel: from memory when recent, else from the database."""
    facts = _known.get(channel_id)
    if facts is not None and time.monotonic() - facts.read_at < KEEP_SECONDS:
        return facts
    if not may_exist(channel_id):
        return None
    return reload(channel_id)


@dataclass(frozen=True)
class Roster:
    """Every channel id a notification may name, as of one generation."""

    ids: frozenset[str]
    generation: str
    read_at: float


# Channels stopped longer ago than this are left out: Google stops sending soon after a stop.
ROSTER_STOPPED_DAYS = 7
# A roster is read again at least this often, should a bump have been lost with Redis.
ROSTER_KEEP_SECONDS = 30.0
_roster: Roster | None = None


def may_exist(channel_id: str) -> bool:
    """False when no channel has this id: a forged id then costs no database query.

    The roster of ids is read once per generation (every commit that adds or stops a channel
    bumps it), so a channel committed a moment ago is in it by the time Google names it.
    """
    global _roster
    generation = current_generation()
    if generation == UNKNOWN_GENERATION:
        return True  # Redis cannot tell us whether the roster is current: ask the database.
    roster = _roster
    if (
        roster is None
        or roster.generation != generation
        or time.monotonic() - roster.read_at >= ROSTER_KEEP_SECONDS
    ):
        # The generation first, then the rows (as in reload): rows at least as new as their tag.
        since = utcnow() - timedelta(days=ROSTER_STOPPED_DAYS)
        ids = db.session.scalars(
            select(WatchChannel.channel_id).where(
                or_(WatchChannel.stopped_at.is_(None), WatchChannel.stopped_at > since)
            )
        )
        roster = _roster = Roster(frozenset(ids), generation, time.monotonic())
    return channel_id in roster.ids


def reload(channel_id: str) -> ChannelFacts | None:
    """Read the channel afresh (and remember it); None when no such channel exists."""
    if _read(channel_id) is None:
        # Unknown ids are not remembered: a forger would fill the memory with them.
        _known.pop(channel_id, None)
        return None
    # Read the generation, then the row again: a change committed in between bumps the
    # generation after its commit, so remembered facts are never newer than their tag.
    generation = current_generation()
    row = _read(channel_id)
    if row is None:
        _known.pop(channel_id, None)
        return None
    facts = ChannelFacts(channel_id, *row, generation=generation, read_at=time.monotonic())
    if len(_known) >= MAX_ENTRIES:
        _known.clear()
    _known[channel_id] = facts
    return facts


def _read(channel_id: str) -> Row | None:
    return db.session.execute(
        select(
            WatchChannel.connection_id,
            WatchChannel.token_hash,
            WatchChannel.stopped_at,
            WatchChannel.expires_at,
            GoogleConnection.state,
        )
        .outerjoin(GoogleConnection, GoogleConnection.id == WatchChannel.connection_id)
        .where(WatchChannel.channel_id == channel_id)
    ).first()


# Facts read while Redis is down carry this: no generation in Redis ever equals it.
UNKNOWN_GENERATION = "unknown"


def current_generation() -> str:
    """The channels' generation in Redis: a random value set by each change ("0" before any)."""
    try:
        value = redis_connection().get(GENERATION_KEY)
    except RedisError:
        # The webhook still answers; with Redis down it cannot enqueue a pull anyway.
        return UNKNOWN_GENERATION
    return value.decode() if value else "0"


def install_session_hooks() -> None:
    """Bump the generation after commits that add or stop channels or change connections."""
    # On SQLAlchemy's Session class: every session of the process, web or worker.
    if not event.contains(Session, "before_flush", _note_changes):
        event.listen(Session, "before_flush", _note_changes)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_changes)


def _note_changes(session: Session, _context: object, _instances: object) -> None:
    for obj in session.new:
        if isinstance(obj, WatchChannel):
            # A new channel must be in every web process's roster before Google names it.
            session.info[_CHANGED] = True
            return
    for obj in session.deleted:
        if isinstance(obj, WatchChannel | GoogleConnection):
            session.info[_CHANGED] = True
            return
    for obj in session.dirty:
        if _matters(obj):
            session.info[_CHANGED] = True
            return


def _matters(obj: object) -> bool:
    if isinstance(obj, WatchChannel):
        return inspect(obj).attrs.stopped_at.history.has_changes()
    if isinstance(obj, GoogleConnection):
        return inspect(obj).attrs.state.history.has_changes()
    return False


def _bump_after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    try:
        # A fresh random value, not a counter: after Redis loses its data a counter would
        # start again at numbers that memory read before the loss still carries.
        redis_connection().set(GENERATION_KEY, uuid.uuid4().hex)
    except Exception as exc:  # the memory's time limit still bounds how stale it can be
        log.warning("could not bump the channels' generation: %s", exc)


def _forget_changes(session: Session, _previous: object) -> None:
    session.info.pop(_CHANGED, None)
