"""events.list and events.instances: filtering, expansion, paging and sync tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from . import events as ev
from . import timefmt
from .errors import ApiError
from .model import Calendar, EventRecord
from .recurrence import RecurrenceError

DEFAULT_PAGE = 250
MAX_PAGE = 2500
# How far ahead an open-ended series is expanded when the caller gives no timeMax.
DEFAULT_HORIZON = timedelta(days=730)

# Query parameters that cannot accompany a syncToken.
SYNC_EXCLUSIVE = {
    "timeMin": "timeMin",
    "timeMax": "timeMax",
    "updatedMin": "updatedMin",
    "q": "q",
    "orderBy": "orderBy",
    "iCalUID": "iCalUID",
    "privateExtendedProperty": "privateExtendedProperty",
    "sharedExtendedProperty": "sharedExtendedProperty",
}


@dataclass
class ListQuery:
    """The parsed parameters of an events.list (or instances) call."""

    max_results: int = DEFAULT_PAGE
    page_token: str | None = None
    sync_token: str | None = None
    show_deleted: bool = False
    single_events: bool = False
    time_min: datetime | None = None
    time_max: datetime | None = None
    updated_min: datetime | None = None
    q: str | None = None
    order_by: str | None = None
    private: list[tuple[str, str]] = field(default_factory=list)
    shared: list[tuple[str, str]] = field(default_factory=list)
    ical_uid: str | None = None
    # events.list eventTypes ("Event types" guide): only these types; all when empty.
    event_types: list[str] = field(default_factory=list)


def _bool(args: MultiDict, name: str) -> bool:
    value = args.get(name)
    if value is None:
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(
        400,
        "invalid",
        f"Invalid boolean value: '{value}'.",
        location=name,
        location_type="parameter",
    )


def _time(args: MultiDict, name: str) -> datetime | None:
    value = args.get(name)
    if value is None:
        return None
    try:
        return timefmt.parse_rfc3339(value)
    except ValueError:
        raise ApiError(
            400, "badRequest", "Bad Request", location=name, location_type="parameter"
        ) from None


def _props(args: MultiDict, name: str) -> list[tuple[str, str]]:
    out = []
    for raw in args.getlist(name):
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise ApiError(
                400,
                "invalid",
                f"Invalid value for: {name}",
                location=name,
                location_type="parameter",
            )
        out.append((key, value))
    return out


def parse_query(args: MultiDict, page_size_cap: int | None) -> ListQuery:
    """A ListQuery from request arguments; 400 for anything Google refuses."""
    query = ListQuery()
    raw_max = args.get("maxResults")
    if raw_max is not None:
        try:
            query.max_results = int(raw_max)
        except ValueError:
            raise ApiError(
                400,
                "invalid",
                f"Invalid value '{raw_max}'. Values must match the "
                "following regular expression: '-?\\d+'",
                location="maxResults",
                location_type="parameter",
            ) from None
        if query.max_results < 1:
            raise ApiError(
                400,
                "invalid",
                "Invalid value for: maxResults",
                location="maxResults",
                location_type="parameter",
            )
    query.max_results = min(query.max_results, MAX_PAGE)
    if page_size_cap:
        query.max_results = min(query.max_results, page_size_cap)
    query.page_token = args.get("pageToken") or None
    query.sync_token = args.get("syncToken") or None
    query.show_deleted = _bool(args, "showDeleted")
    query.single_events = _bool(args, "singleEvents")
    query.time_min = _time(args, "timeMin")
    query.time_max = _time(args, "timeMax")
    query.updated_min = _time(args, "updatedMin")
    query.q = args.get("q") or None
    query.order_by = args.get("orderBy") or None
    query.private = _props(args, "privateExtendedProperty")
    query.shared = _props(args, "sharedExtendedProperty")
    query.ical_uid = args.get("iCalUID") or None
    query.event_types = [t for t in args.getlist("eventTypes") if t]
    if query.sync_token:
        clashing = [name for name in SYNC_EXCLUSIVE if args.get(name)]
        if clashing:
            raise ApiError(
                400,
                "invalid",
                "Sync token cannot be used with other request restrictions: "
                + ", ".join(clashing)
                + ".",
                location=clashing[0],
                location_type="parameter",
            )
    if query.order_by not in (None, "startTime", "updated"):
        raise ApiError(
            400,
            "invalid",
            "Invalid value for: orderBy",
            location="orderBy",
            location_type="parameter",
        )
    if query.order_by == "startTime" and not query.single_events:
        raise ApiError(
            400,
            "invalid",
            "The requested ordering is not available for the particular query.",
            location="orderBy",
            location_type="parameter",
        )
    if query.time_min and query.time_max and query.time_max <= query.time_min:
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            location="timeMax",
            location_type="parameter",
        )
    return query


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def sync_token(cal: Calendar, seq: int) -> str:
    """An opaque sync token: the calendar, its token generation and a change counter."""
    return _encode({"c": cal.id, "g": cal.generation, "s": seq})


def _sync_position(cal: Calendar, token: str) -> int:
    payload = _decode(token)
    if (
        not payload
        or payload.get("c") != cal.id
        or payload.get("g") != cal.generation
        or not isinstance(payload.get("s"), int)
        or payload["s"] > cal.seq
    ):
        raise ApiError(
            410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
        )
    return payload["s"]


@dataclass
class Item:
    """A candidate list entry: its sort key, data, and whether to show it trimmed."""

    key: tuple
    data: dict[str, Any]
    minimal: bool


def _is_master(data: dict[str, Any]) -> bool:
    return bool(data.get("recurrence")) and not data.get("recurringEventId")


def _cancelled(data: dict[str, Any]) -> bool:
    return data.get("status") == "cancelled"


def _start_key(data: dict[str, Any], tz: str) -> float:
    return ev.instant(data["start"], tz).timestamp() if "start" in data else 0.0


def _overlaps(data: dict[str, Any], tz: str, lo: datetime | None, hi: datetime | None) -> bool:
    if "start" not in data or "end" not in data:
        return True
    begin, end = ev.interval(data, tz)
    return not ((lo is not None and end <= lo) or (hi is not None and begin >= hi))


def instances(
    cal: Calendar,
    master: EventRecord,
    lo: datetime | None,
    hi: datetime | None,
    *,
    include_cancelled: bool,
) -> Iterator[tuple[EventRecord | None, dict[str, Any]]]:
    """A series' instances in [lo, hi): (exception record or None, data), exceptions applied."""
    tz = cal.time_zone
    try:
        series = ev.series_of(master.data, tz)
    except (RecurrenceError, ValueError):
        return
    seen: set[str] = set()
    for occ in series.occurrences(lo, hi):
        inst_id = f"{master.data['id']}_{occ.suffix}"
        seen.add(inst_id)
        record = cal.events.get(inst_id)
        if record is not None:
            data = record.data
            if _cancelled(data):
                if include_cancelled:
                    yield record, data
                continue
            if _overlaps(data, tz, lo, hi):
                yield record, data
            continue
        yield None, ev.instance_data(master.data, occ, series.tz)
    # Exceptions moved into the window from an original time outside it.
    prefix = master.data["id"] + "_"
    for event_id, record in cal.events.items():
        if (
            event_id.startswith(prefix)
            and event_id not in seen
            and not _cancelled(record.data)
            and record.data.get("recurringEventId") == master.data["id"]
            and _overlaps(record.data, tz, lo, hi)
            and series.find_original(record.data["originalStartTime"]) is not None
        ):
            yield record, record.data


def _series_overlaps(
    cal: Calendar, record: EventRecord, lo: datetime | None, hi: datetime | None
) -> bool:
    try:
        series = ev.series_of(record.data, cal.time_zone)
    except (RecurrenceError, ValueError):
        return True
    return next(iter(series.occurrences(lo, hi, limit=1)), None) is not None


def _passes_filters(data: dict[str, Any], query: ListQuery) -> bool:
    if query.q and not ev.text_matches(data, query.q):
        return False
    if query.private and not ev.properties_match(data, "private", query.private):
        return False
    if query.shared and not ev.properties_match(data, "shared", query.shared):
        return False
    if query.event_types and (data.get("eventType") or "default") not in query.event_types:
        return False
    return not (query.ical_uid and data.get("iCalUID") != query.ical_uid)


def _updated_ok(data: dict[str, Any], query: ListQuery) -> bool:
    if query.updated_min is None:
        return True
    return timefmt.parse_rfc3339(data["updated"]) >= query.updated_min


def _full_items(cal: Calendar, query: ListQuery, now: datetime) -> list[Item]:
    tz = cal.time_zone
    lo, hi = query.time_min, query.time_max
    # With updatedMin, entries deleted since then always come back, whatever showDeleted says.
    show_deleted = query.show_deleted or query.updated_min is not None
    items: list[Item] = []

    def key_for(record_index: int, data: dict[str, Any]) -> tuple:
        if query.order_by == "updated":
            return (data["updated"], data["id"])
        if query.single_events:
            return (_start_key(data, tz), data["id"])
        return (record_index, data["id"])

    for record in list(cal.events.values()):
        data = record.data
        if data.get("recurringEventId") and query.single_events:
            continue  # exceptions come through their series
        if _is_master(data) and query.single_events:
            if _cancelled(data):
                continue
            horizon = hi if hi is not None else now + DEFAULT_HORIZON
            for exc_record, inst in instances(
                cal, record, lo, horizon, include_cancelled=show_deleted
            ):
                if not _updated_ok(inst, query) or not _passes_filters(inst, query):
                    continue
                index = exc_record.index if exc_record else record.index
                items.append(Item(key_for(index, inst), inst, _cancelled(inst)))
            continue
        if _cancelled(data):
            master_id = data.get("recurringEventId")
            master = cal.events.get(master_id) if master_id else None
            # Google's documented quirk: cancelled instances of a live series are listed
            # when singleEvents and showDeleted are both false.
            quirk = master is not None and not _cancelled(master.data)
            if not (show_deleted or quirk):
                continue
            if not _updated_ok(data, query) or not _passes_filters(data, query):
                continue
            if "start" in data and not _overlaps(data, tz, lo, hi):
                continue
            items.append(Item(key_for(record.index, data), data, True))
            continue
        if _is_master(data):
            if not _series_overlaps(cal, record, lo, hi):
                continue
        elif not _overlaps(data, tz, lo, hi):
            continue
        if not _updated_ok(data, query) or not _passes_filters(data, query):
            continue
        items.append(Item(key_for(record.index, data), data, False))
    return items


def _incremental_items(
    cal: Calendar, query: ListQuery, since: int, upto: int, now: datetime
) -> list[Item]:
    items: list[Item] = []
    for record in list(cal.events.values()):
        if not since < record.seq <= upto:
            continue
        data = record.data
        if query.single_events and _is_master(data) and not _cancelled(data):
            for exc_record, inst in instances(
                cal, record, None, now + DEFAULT_HORIZON, include_cancelled=True
            ):
                seq = max(record.seq, exc_record.seq if exc_record else 0)
                items.append(Item((seq, inst["id"]), inst, _cancelled(inst)))
            continue
        if query.single_events and _is_master(data):
            # A client syncing with singleEvents only ever saw instances: report each gone.
            try:
                series = ev.series_of(data, cal.time_zone)
            except (RecurrenceError, ValueError):
                series = None
            if series is not None:
                for occ in series.occurrences(None, now + DEFAULT_HORIZON):
                    inst = ev.instance_data(data, occ, series.tz)
                    items.append(Item((record.seq, inst["id"]), inst, True))
                continue
        items.append(Item((record.seq, data["id"]), data, _cancelled(data)))
    return items


def _mode(query: ListQuery, incremental: bool) -> str:
    # Page tokens only make sense for the kind of listing that produced them.
    if incremental:
        return "sync:" + ("single" if query.single_events else "stored")
    return f"full:{query.order_by or '-'}:{'single' if query.single_events else 'stored'}"


def list_events(cal: Calendar, query: ListQuery, base_url: str, now: datetime) -> dict[str, Any]:
    """One page of events.list as Google answers it."""
    since = _sync_position(cal, query.sync_token) if query.sync_token else None
    mode = _mode(query, since is not None)
    cursor = None
    snapshot = cal.seq
    if query.page_token:
        payload = _decode(query.page_token)
        if (
            not payload
            or payload.get("c") != cal.id
            or payload.get("m") != mode
            or not isinstance(payload.get("s"), int)
        ):
            raise ApiError(
                400,
                "invalid",
                "Invalid page token value.",
                location="pageToken",
                location_type="parameter",
            )
        # The snapshot taken when the listing began: its nextSyncToken must not skip any
        # change made while the client was paging.
        snapshot = min(payload["s"], cal.seq)
        cursor = tuple(payload["k"]) if payload.get("k") is not None else None
    if since is not None:
        items = _incremental_items(cal, query, since, snapshot, now)
    else:
        items = _full_items(cal, query, now)
    ordered = []
    seen: set[str] = set()
    for item in sorted(items, key=lambda i: i.key):
        if item.data["id"] not in seen:
            seen.add(item.data["id"])
            ordered.append(item)
    if cursor is not None:
        ordered = [i for i in ordered if i.key > cursor]
    page = ordered[: query.max_results]
    more = len(ordered) > len(page)
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": cal.etag,
        "summary": cal.summary,
        "updated": cal.updated,
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.primary else [],
    }
    if cal.description:
        body["description"] = cal.description
    if more:
        body["nextPageToken"] = _encode(
            {"c": cal.id, "m": mode, "s": snapshot, "k": list(page[-1].key)}
        )
    else:
        body["nextSyncToken"] = sync_token(cal, snapshot)
    body["items"] = [ev.render(i.data, cal, base_url, minimal=i.minimal) for i in page]
    return body


def list_instances(
    cal: Calendar, master: EventRecord, query: ListQuery, base_url: str, now: datetime
) -> dict[str, Any]:
    """One page of events.instances for a series."""
    hi = query.time_max if query.time_max is not None else now + DEFAULT_HORIZON
    items = [
        Item((_start_key(data, cal.time_zone), data["id"]), data, _cancelled(data))
        for _, data in instances(
            cal, master, query.time_min, hi, include_cancelled=query.show_deleted
        )
    ]
    items.sort(key=lambda i: i.key)
    cursor = None
    if query.page_token:
        payload = _decode(query.page_token)
        if not payload or payload.get("k") is None:
            raise ApiError(
                400,
                "invalid",
                "Invalid page token value.",
                location="pageToken",
                location_type="parameter",
            )
        cursor = tuple(payload["k"])
        items = [i for i in items if i.key > cursor]
    page = items[: query.max_results]
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": cal.etag,
        "summary": cal.summary,
        "updated": cal.updated,
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.primary else [],
    }
    if len(items) > len(page):
        body["nextPageToken"] = _encode({"c": cal.id, "s": cal.seq, "k": list(page[-1].key)})
    body["items"] = [ev.render(i.data, cal, base_url, minimal=i.minimal) for i in page]
    return body


def expand(
    cal: Calendar,
    lo: datetime | None,
    hi: datetime | None,
    now: datetime,
    show_deleted: bool = False,
) -> list[dict[str, Any]]:
    """Every instance in the window as singleEvents=true would list it (data, not rendered)."""
    query = ListQuery(
        single_events=True,
        time_min=lo,
        time_max=hi,
        show_deleted=show_deleted,
        order_by="startTime",
    )
    items = _full_items(cal, query, now)
    items.sort(key=lambda i: i.key)
    return [i.data for i in items]
