"""The webhook's view of the watch channels: one query per channel, then kept in memory.

Google may send thousands of notifications a second for one channel; looking the channel up
in the database for each would make the webhook as slow as the database. So each web process
keeps what it read, tagged with a generation number held in Redis. Any commit that stops a
channel or changes a connection's state bumps the generation (the session hooks below), and
the webhook's Redis script refuses to enqueue a pull for facts read under an older generation
(notice_log.note_genuine answers "stale"), so a stopped channel is never trusted once its stop
has been committed. A time limit bounds the memory's age should Redis lose the generation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import Row, event, inspect, select
from sqlalchemy.orm import Session

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.models import GoogleConnection, WatchChannel

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
    return reload(channel_id)


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
    """The channels' generation number in Redis ("0" before the first change)."""
    try:
        value = redis_connection().get(GENERATION_KEY)
    except RedisError:
        # The webhook still answers; with Redis down it cannot enqueue a pull anyway.
        return UNKNOWN_GENERATION
    return value.decode() if value else "0"


def install_session_hooks() -> None:
    """Bump the generation after every commit that stops a channel or changes a connection."""
    # On SQLAlchemy's Session class: every session of the process, web or worker.
    if not event.contains(Session, "before_flush", _note_changes):
        event.listen(Session, "before_flush", _note_changes)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_changes)


def _note_changes(session: Session, _context: object, _instances: object) -> None:
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
        redis_connection().incr(GENERATION_KEY)
    except Exception as exc:  # the memory's time limit still bounds how stale it can be
        log.warning("could not bump the channels' generation: %s", exc)


def _forget_changes(session: Session, _previous: object) -> None:
    session.info.pop(_CHANGED, None)
