"""Week marks: a value in Redis per coordinator, set afresh after every commit that may change
what their weeks show, so an open calendar can ask "anything new?" without the database.

A mark is random, not a counter: after Redis loses its data a counter would start again at
numbers an open page still carries. The hooks sit on SQLAlchemy's Session class, so every
change counts wherever it is made: the portal's own edits, the worker applying Google's
changes, a participant renamed, a coordinator's zone or session version changed.
"""

from __future__ import annotations

import logging
import secrets

from redis.exceptions import RedisError
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from portal.core.queue import redis_connection
from portal.models import Event, Participant, User

log = logging.getLogger(__name__)

_CHANGED = "coordinoter_week_marks_changed"
# A mark nobody reads for a week goes; the next page drawn sets a new one.
MARK_SECONDS = 7 * 24 * 3600


MARK_PREFIX = "coordinoter:week-mark:"


def mark_key(user_id: int) -> str:
    """The Redis key of one coordinator's week mark."""
    return f"{MARK_PREFIX}{user_id}"


def current_mark(user_id: int) -> str | None:
    """The coordinator's mark now (set if missing), or None while Redis cannot answer."""
    key = mark_key(user_id)
    try:
        pipe = redis_connection().pipeline(transaction=False)
        pipe.set(key, secrets.token_hex(8), nx=True, ex=MARK_SECONDS)
        pipe.get(key)
        value = pipe.execute()[1]
    except RedisError as exc:
        log.warning("could not read a week mark: %s", exc)
        return None
    return value.decode() if value else None


def bump_marks(user_ids: set[int]) -> None:
    """Give these coordinators fresh marks: every page drawn before then asks Flask again."""
    if not user_ids:
        return
    try:
        pipe = redis_connection().pipeline(transaction=False)
        for user_id in sorted(user_ids):
            pipe.set(mark_key(user_id), secrets.token_hex(8), ex=MARK_SECONDS)
        pipe.execute()
    except Exception as exc:  # the poll token's lifetime still bounds how stale a page stays
        log.warning("could not bump week marks: %s", exc)


def install_mark_hooks() -> None:
    """Bump the marks of the coordinators a commit touched, once it has committed."""
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "after_commit", _bump_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_changes)


def _note_changes(session: Session, _context: object) -> None:
    # After the flush the rows are written but the transaction is open: what a changed row
    # did not have loaded (an expired owner, say) can still be read on the same connection.
    owners: set[int] = set()
    events: set[int] = set()  # changed with their owner not loaded (an expired row)
    participants: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Event):
            found = _values(obj, "owner_id")
            owners.update(found)
            if not found and obj.id is not None:
                events.add(obj.id)
        elif isinstance(obj, User) and obj.id is not None:
            owners.add(obj.id)  # zone or session version: the week or the poll's identity
        elif isinstance(obj, Participant):
            participants.add(obj.id)  # shown by name in every colleague's week
    owners.update(_read_owners(session, events, participants))
    if owners:
        session.info.setdefault(_CHANGED, set()).update(owners)


def _values(obj: object, name: str) -> set[int]:
    """The attribute's value, and its value before should the row have moved (unloaded: none)."""
    history = inspect(obj).attrs[name].history
    return {value for value in history.sum() if value is not None}


def _read_owners(session: Session, events: set[int], participants: set[int]) -> set[int]:
    """The owners of these events and every coordinator of these participants' businesses."""
    connection, owners = session.connection(), set()
    if events:
        owners.update(connection.scalars(select(Event.owner_id).where(Event.id.in_(events))))
    if participants:
        stmt = select(User.id).join(Participant, Participant.business_id == User.business_id)
        owners.update(connection.scalars(stmt.where(Participant.id.in_(participants))))
    return owners


def _bump_after_commit(session: Session) -> None:
    bump_marks(session.info.pop(_CHANGED, set()))


def _forget_changes(session: Session, _previous: object) -> None:
    session.info.pop(_CHANGED, None)
