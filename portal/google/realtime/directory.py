"""The webhook's view of the watch channels: one query per channel, then kept in memory.

Google may send thousands of notifications a second for one channel; looking the channel up
in the database for each would make the webhook as slow as the database. So each web process
keeps what it read, tagged with two versions held in Redis: its connection's (set afresh after
any commit that adds or stops one of the connection's channels or moves it into or out of the
active states, by the session hooks below) and the global generation (set afresh only by bulk
statements, whose rows the hooks cannot name). The webhook's Redis script refuses to enqueue a
pull for facts read under other versions (heard.note_genuine answers "stale"), so a stopped
channel is never trusted once its stop has been committed, and a change costs a reload of that
connection's channels only, not of every channel. A time limit bounds the memory's age should
Redis lose its keys.

Ids no channel ever had (forged, or guessed) are not remembered one by one, or a forger would
fill the memory; instead each process keeps the roster of every id a notification may name
read in full once, then kept current by a Redis stream of the ids commits added: a renewal
costs each process one stream entry, not a re-read of every row.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.client import Pipeline
from redis.exceptions import RedisError
from sqlalchemy import Row, bindparam, event, inspect, or_, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import History

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.models import ACTIVE_STATES, GoogleConnection, WatchChannel, utcnow

log = logging.getLogger(__name__)

GENERATION_KEY = "coordinoter:channels:generation"
KEEP_SECONDS = 300.0
# A connection's version must outlive any facts read under the one before it (KEEP_SECONDS).
VERSION_TTL = 24 * 3600
# Facts of 100,000 channels take about 26 MB (bench.roster); past this the oldest read go.
MAX_ENTRIES = 200_000
_CHANGED = "coordinoter_channels_changed"


def version_key(connection_id: int | None) -> str:
    """The Redis key of a connection's channel version (random, set afresh by each change)."""
    return f"coordinoter:channels:connection:{connection_id or 0}"


@dataclass(frozen=True, slots=True)
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
    version: str = "0"


_known: dict[str, ChannelFacts] = {}


def facts_for(channel_id: str) -> ChannelFacts | None:
    """What we know of this channel: from memory when recent, else from the database."""
    facts = _known.get(channel_id)
    if facts is not None and time.monotonic() - facts.read_at < KEEP_SECONDS:
        return facts
    if not may_exist(channel_id):
        return None
    return reload(channel_id)


@dataclass
class Roster:
    """Every channel id a notification may name: read in full, then added to from the stream."""

    ids: set[str]
    generation: str
    last_entry: str  # the last entry of ADDED_STREAM applied
    read_at: float  # when it was last read in full


# Channels stopped longer ago than this are left out: Google stops sending soon after a stop.
ROSTER_STOPPED_DAYS = 7
# A full re-read drops ids stopped long ago and covers an entry lost with Redis.
ROSTER_KEEP_SECONDS = 600.0
ADDED_STREAM = "coordinoter:channels:added"
# Far more than the channels opened between two full re-reads, even at 100,000 channels.
ADDED_KEEP = 50_000
_roster: Roster | None = None


def may_exist(channel_id: str) -> bool:
    """False when no channel has this id: a forged id then costs no database query.

    An id in the roster needs no look at Redis (the database has the last word); another
    costs one round trip for the ids added since, so a channel committed a moment ago is
    known when Google names it. Read in full on a new global generation, or when old.
    """
    roster = _roster
    if roster is not None and channel_id in roster.ids:
        return True
    try:
        generation, added = _news(roster)
    except RedisError:
        return True  # Redis cannot tell us whether the roster is current: ask the database.
    if (
        roster is None
        or roster.generation != generation
        or time.monotonic() - roster.read_at >= ROSTER_KEEP_SECONDS
        or len(added) >= ADDED_KEEP
    ):
        roster = _read_roster()
    elif added:
        roster.ids.update(value.decode() for _entry, fields in added for value in fields.values())
        roster.last_entry = added[-1][0]
    return channel_id in roster.ids


def _news(roster: Roster | None) -> tuple[str, list]:
    pipe = redis_connection().pipeline(transaction=False)
    pipe.get(GENERATION_KEY)
    after = roster.last_entry if roster is not None else "0-0"
    pipe.xrange(ADDED_STREAM, min=f"({after}", max="+", count=ADDED_KEEP)
    value, added = pipe.execute()
    return (value.decode() if value else "0"), [(e.decode(), f) for e, f in added]


def _read_roster() -> Roster:
    """Every id a notification may name, streamed from the database (no list of rows held)."""
    global _roster
    # The generation and the stream's end first, then the rows: rows at least as new as tags.
    pipe = redis_connection().pipeline(transaction=False)
    pipe.get(GENERATION_KEY)
    pipe.xrevrange(ADDED_STREAM, count=1)
    value, last = pipe.execute()
    since = utcnow() - timedelta(days=ROSTER_STOPPED_DAYS)
    rows = db.session.scalars(
        select(WatchChannel.channel_id)
        .where(or_(WatchChannel.stopped_at.is_(None), WatchChannel.stopped_at > since))
        .execution_options(yield_per=5_000)
    )
    ids = set(rows)
    last_entry = last[0][0].decode() if last else "0-0"
    _roster = Roster(ids, value.decode() if value else "0", last_entry, time.monotonic())
    return _roster


def note_added(pipe: Pipeline, channel_ids: list[str]) -> None:
    """Queue on `pipe` the stream entry that tells every web process of these new channels."""
    if channel_ids:
        fields = {str(n): channel_id for n, channel_id in enumerate(channel_ids)}
        pipe.xadd(ADDED_STREAM, fields, maxlen=ADDED_KEEP, approximate=True)


def reload(channel_id: str, versions: tuple[str, str] | None = None) -> ChannelFacts | None:
    """Read the channel afresh (and remember it); None when no such channel exists.

    The versions are read before the row: a change committed in between sets a version after
    its commit, so remembered facts are never newer than their tags. A channel never moves to
    another connection (it can only lose its own), so facts remembered before (old or stale)
    name whose versions to read and one query does; otherwise a first query finds the
    connection. `versions`, read just now for the remembered facts' connection (the webhook's
    script found them stale), save reading them again.
    """
    remembered = _known.get(channel_id)
    if remembered is None:
        first = _read(channel_id)
        if first is None:
            return None  # unknown ids are not remembered: a forger would fill the memory
        connection_id, versions = first.connection_id, None
    else:
        connection_id = remembered.connection_id
    versions = versions or current_versions(connection_id)
    row = _read(channel_id)
    if row is not None and row.connection_id != connection_id:
        # The channel lost its connection meanwhile: the versions of the one it has now.
        versions = current_versions(row.connection_id)
        row = _read(channel_id)
    if row is None:
        _known.pop(channel_id, None)
        return None
    return _remember(channel_id, row, versions)


def _remember(channel_id: str, row: Row, versions: tuple[str, str]) -> ChannelFacts:
    generation, version = versions
    facts = ChannelFacts(
        channel_id, *row, generation=generation, read_at=time.monotonic(), version=version
    )

    # Popped first so that the dict's order stays the order facts were read: the oldest go.
    _known.pop(channel_id, None)
    while len(_known) >= MAX_ENTRIES:
        try:
            _known.pop(next(iter(_known)), None)
        except (StopIteration, RuntimeError):  # another thread changed it meanwhile
            break
    _known[channel_id] = facts
    return facts


# Built once: the webhook reads a channel after every quiet spell.
_READ = (
    select(
        WatchChannel.connection_id,
        WatchChannel.token_hash,
        WatchChannel.stopped_at,
        WatchChannel.expires_at,
        GoogleConnection.state,
    )
    .outerjoin(GoogleConnection, GoogleConnection.id == WatchChannel.connection_id)
    .where(WatchChannel.channel_id == bindparam("channel"))
)


def _read(channel_id: str) -> Row | None:
    return db.session.execute(_READ, {"channel": channel_id}).first()


# Facts read while Redis is down carry this: no version in Redis ever equals it.
UNKNOWN_GENERATION = "unknown"


def current_generation() -> str:
    """The channels' global generation in Redis: set afresh by bulk changes ("0" before any)."""
    try:
        value = redis_connection().get(GENERATION_KEY)
    except RedisError:
        # The webhook still answers; with Redis down it cannot enqueue a pull anyway.
        return UNKNOWN_GENERATION
    return value.decode() if value else "0"


def current_versions(connection_id: int | None) -> tuple[str, str]:
    """The global generation and this connection's version, in one round trip."""
    try:
        values = redis_connection().mget([GENERATION_KEY, version_key(connection_id)])
    except RedisError:
        return UNKNOWN_GENERATION, UNKNOWN_GENERATION
    return tuple(value.decode() if value else "0" for value in values)  # type: ignore[return-value]


def install_session_hooks() -> None:
    """Set versions after commits that add or stop channels or change connections."""
    # On SQLAlchemy's Session class: every session of the process, web or worker.
    if not event.contains(Session, "before_flush", _note_changes):
        event.listen(Session, "before_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_bulk)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_changes)


@dataclass
class _Changes:
    """What one transaction changed that the webhook's memory must hear of."""

    connections: set[int]
    added: list[str]
    everything: bool = False


def _changes(session: Session) -> _Changes:
    changes = session.info.get(_CHANGED)
    if changes is None:
        changes = session.info[_CHANGED] = _Changes(set(), [])
    return changes


def _note_changes(session: Session, _context: object, _instances: object) -> None:
    for obj in session.new:
        if isinstance(obj, WatchChannel):
            # A new channel must be in every web process's roster before Google names it.
            _changes(session).added.append(obj.channel_id)
            _touch(session, obj.connection_id)
    for obj in session.deleted:
        if isinstance(obj, WatchChannel | GoogleConnection):
            _touch(session, _connection_of(obj))
    for obj in session.dirty:
        if _matters(obj):
            _touch(session, _connection_of(obj))


def _connection_of(obj: WatchChannel | GoogleConnection) -> int | None:
    return obj.connection_id if isinstance(obj, WatchChannel) else obj.id


def _touch(session: Session, connection_id: int | None) -> None:
    if connection_id is None:
        _changes(session).everything = True
    else:
        _changes(session).connections.add(connection_id)


def _matters(obj: object) -> bool:
    if isinstance(obj, WatchChannel):
        return inspect(obj).attrs.stopped_at.history.has_changes()
    if isinstance(obj, GoogleConnection):
        return _activeness_changed(inspect(obj).attrs.state.history)
    return False


def _activeness_changed(history: History) -> bool:
    """Whether a state change moves the connection into or out of ACTIVE_STATES: the webhook
    judges by nothing finer (importing to connected, every new connection's, is not news)."""
    if not history.has_changes():
        return False
    if not history.deleted or not history.added:
        return True  # the old value was not loaded: the safe side
    return (history.deleted[0] in ACTIVE_STATES) != (history.added[0] in ACTIVE_STATES)


# What a bulk statement must set for the webhook's memory to care, by table.
_WATCHED = {WatchChannel.__table__: {"stopped_at"}, GoogleConnection.__table__: {"state"}}


def _note_bulk(state: ORMExecuteState) -> None:
    """A bulk UPDATE, INSERT or DELETE names no rows: every process reads channels again."""
    if not (state.is_update or state.is_insert or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    watched = _WATCHED.get(table)
    if watched is None:
        return
    if table is WatchChannel.__table__ and state.is_delete:
        return  # only channels stopped long ago are erased in bulk (forget_stopped_channels)
    if table is GoogleConnection.__table__ and state.is_insert:
        return  # a new connection has no channel yet
    if state.is_update and not watched & _columns_set(state):
        return  # live_at, next_pull_at and the like: nothing the webhook judges by
    _changes(state.session).everything = True


def _columns_set(state: ORMExecuteState) -> set[str]:
    """The columns a bulk UPDATE sets; every column when it cannot tell (the safe side)."""
    values = getattr(state.statement, "_values", None) or {}
    names = {getattr(key, "key", key) for key in values}
    parameters = state.parameters
    for row in parameters if isinstance(parameters, list) else [parameters or {}]:
        names.update(row)
    return {str(name) for name in names} if names else {"stopped_at", "state"}


def _bump_after_commit(session: Session) -> None:
    changes = session.info.pop(_CHANGED, None)
    if changes is None or not (changes.connections or changes.added or changes.everything):
        return
    try:
        # Fresh random values, not counters: after Redis loses its data a counter would
        # start again at numbers that memory read before the loss still carries.
        pipe = redis_connection().pipeline(transaction=False)
        for connection_id in changes.connections:
            pipe.set(version_key(connection_id), uuid.uuid4().hex, ex=VERSION_TTL)
        if changes.everything:
            pipe.set(GENERATION_KEY, uuid.uuid4().hex)
        note_added(pipe, changes.added)
        pipe.execute()
    except Exception as exc:  # the memory's time limits still bound how stale it can be
        log.warning("could not bump the channels' versions: %s", exc)


def _forget_changes(session: Session, _previous: object) -> None:
    session.info.pop(_CHANGED, None)
