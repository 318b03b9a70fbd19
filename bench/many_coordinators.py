"""The coordinators of bench.many_at_once, and the profile of their pulls.

The first coordinator signs up and signs in with Google over HTTP (the portal's own pages and
the emulator's consent page); the others are users inserted in bulk, each allowing access on
the emulator's consent page and completing the connection with the portal's own
`complete_connection`, as the OAuth callback does. The workers then import each calendar and
open its watch channel with their own jobs.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg
import requests
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bench import figures, processes
from bench.harness import CLIENT_ID, CLIENT_SECRET, Stack
from bench.portal_user import allow_consent
from bench.scenario import seed_google

NAME = "many_at_once"


@dataclass
class Person:
    """One connected coordinator: the Google event the burst changes, and its portal event."""

    account: str
    google_id: str
    event_id: int = 0
    title: str = ""


def connect_many(stack: Stack, count: int, events: int) -> list[Person]:
    """`count` coordinators, each with `events` events imported and a live watch channel."""
    from portal.extensions import db
    from portal.google.worker.enqueue import JOBS, enqueue_many_once

    people = [_google_account(stack, n, events) for n in range(count)]
    # The first through the real sign-up and consent page, over HTTP.
    stack.connect_coordinator("many0@bench.example", people[0].account, wait=False)
    ids = _bulk_connections(stack, people[1:])
    enqueue_many_once("import", f"{JOBS}.import_job", ids)
    processes.wait_until(_all_listening(count), 900, f"{count} imports and watch channels")
    stack.wait_idle()
    _link_events(people)
    db.session.rollback()
    return people


def _google_account(stack: Stack, n: int, events: int) -> Person:
    account = f"many{n}@gmail.example"
    stack.google.add_user(account, f"Many {n}")
    google_ids = seed_google(stack.google, account, events)
    return Person(account, google_ids[0], title=f"Many at once: {n}")


def _bulk_connections(stack: Stack, people: list[Person]) -> list[int]:
    """Users in bulk, then each one's sign-in as the OAuth callback completes it."""
    from sqlalchemy import insert

    from portal.extensions import db
    from portal.google.account.connection import complete_connection
    from portal.google.account.oauth import BASE_SCOPES, SCOPE_ALIASES, Authorization
    from portal.models import Business, User

    business = Business(name="Many at once")
    db.session.add(business)
    db.session.flush()
    rows = [
        {"business_id": business.id, "email": f"many{n + 1}@bench.example", "name": "Many"}
        | {"password_hash": "x"}
        for n in range(len(people))
    ]
    user_ids = db.session.scalars(insert(User).returning(User.id), rows).all()
    scopes = [SCOPE_ALIASES.get(s, s) for s in BASE_SCOPES]
    ids = []
    for user_id, person in zip(user_ids, people, strict=True):
        token = _consent(stack, person.account, scopes)
        userinfo = {"sub": stack.google.users[person.account].sub, "email": person.account}
        answer = Authorization(token, userinfo, "connect", frozenset(scopes))
        ids.append(complete_connection(db.session.get(User, user_id), answer).id)
        if len(ids) % 100 == 0:
            db.session.commit()
    db.session.commit()
    return ids


def _consent(stack: Stack, account: str, scopes: list[str]) -> dict:
    """Google's token answer after `account` allowed access on the consent page (over HTTP)."""
    redirect = stack.public_url + "/google/callback"
    asked = {"client_id": CLIENT_ID, "redirect_uri": redirect, "response_type": "code"}
    asked |= {"scope": " ".join(scopes), "access_type": "offline"}
    back = allow_consent(f"{stack.emulator.url}/o/oauth2/v2/auth?{urlencode(asked)}", account)
    code = parse_qs(urlsplit(back).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    form |= {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    answer = requests.post(f"{stack.emulator.url}/token", data=form, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _all_listening(count: int):
    """Whether every connection is connected and Google has confirmed its channel."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import GoogleConnection, WatchChannel

    def check() -> bool:
        db.session.rollback()
        failed = db.session.scalar(
            select(func.count()).where(GoogleConnection.state.not_in(("importing", "connected")))
        )
        if failed:
            raise RuntimeError(f"{failed} connections failed to connect")
        live = select(func.count(func.distinct(WatchChannel.connection_id))).where(
            WatchChannel.live_at.is_not(None), WatchChannel.stopped_at.is_(None)
        )
        connected = select(func.count()).where(GoogleConnection.state == "connected")
        return db.session.scalar(live) == count and db.session.scalar(connected) == count

    return check


def _link_events(people: list[Person]) -> None:
    """Each person's portal event, by the Google id the import linked it to."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import EventLink

    wanted = {p.google_id: p for p in people}
    stmt = select(EventLink.google_event_id, EventLink.event_id).where(
        EventLink.google_event_id.in_(wanted)
    )
    for google_id, event_id in db.session.execute(stmt):
        wanted[google_id].event_id = event_id
    missing = [p.account for p in people if not p.event_id]
    if missing:
        raise RuntimeError(f"{len(missing)} imports lack their event, e.g. {missing[0]}")


class TitleCount:
    """How many of the events hold their new title: one autocommit query, cheap to poll."""

    def __init__(self, database_url: str, event_ids: list[int]) -> None:
        self.conn = psycopg.connect(_plain(database_url), autocommit=True)
        self.event_ids = event_ids

    def applied(self) -> int:
        """Changes the portal's database holds right now."""
        sql = "SELECT count(*) FROM event WHERE id = ANY(%s) AND title LIKE 'Many at once:%%'"
        return self.conn.execute(sql, (self.event_ids,)).fetchone()[0]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _plain(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def commits(database_url: str) -> int:
    """Transactions committed in the bench's database so far (pg_stat_database)."""
    with psycopg.connect(_plain(database_url), autocommit=True) as conn:
        sql = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        return conn.execute(sql).fetchone()[0]


def profile_pulls(stack: Stack, people: list[Person], changes: int) -> dict:
    """Stop the workers, change `changes` more events, then pull them with an RQ worker in
    this process under cProfile: RQ's own time per job against the pull's."""
    from rq import SimpleWorker

    for worker in stack.worker_processes:
        processes.stop(worker)
    stack.worker_processes.clear()
    for n, person in enumerate(people[:changes]):
        stack.google.user_patch_event(person.account, person.google_id, {"summary": f"P{n}"})
    stack.google.wait_notifications(timeout=120)
    worker = SimpleWorker([stack.queue()], connection=stack.redis)
    statements: Counter = Counter()

    def record(_conn, _cursor, statement: str, *_args) -> None:
        statements[" ".join(statement.split())[:90]] += 1

    def commit(_conn) -> None:
        statements["(COMMIT)"] += 1

    # CPU time, not wall time: on a loaded machine the waits would hide the work.
    profiler = cProfile.Profile(time.process_time)
    event.listen(Engine, "before_cursor_execute", record)
    event.listen(Engine, "commit", commit)
    started = time.process_time()
    profiler.enable()
    worker.work(burst=True, logging_level="WARNING")
    profiler.disable()
    elapsed = time.process_time() - started
    event.remove(Engine, "before_cursor_execute", record)
    event.remove(Engine, "commit", commit)
    lines = [f"{n / changes:6.2f}  {sql}" for sql, n in statements.most_common()]
    (figures.RESULTS / f"{NAME}.sql.txt").write_text("\n".join(lines) + "\n")
    return _profile_summary(profiler, elapsed, changes)


def _profile_summary(profiler: cProfile.Profile, elapsed: float, jobs: int) -> dict:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(80)
    stats.sort_stats("tottime").print_stats(40)
    (figures.RESULTS / f"{NAME}.prof.txt").write_text(out.getvalue())
    ours = sum(
        v[3]
        for (path, _line, function), v in stats.stats.items()
        if (function, Path(path).name) in {("pull_job", "jobs.py"), ("drain_job", "drain.py")}
    )
    summary = (
        f"{elapsed * 1000 / jobs:.1f} ms of CPU a job under the profiler, of which the pull "
        f"itself {ours * 1000 / jobs:.1f} ms and RQ's handling "
        f"{(elapsed - ours) * 1000 / jobs:.1f} ms"
    )
    print(summary)
    return {"jobs": jobs, "summary": summary}
