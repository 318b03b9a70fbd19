"""Anything posted to /google/notify: answered without a 5xx, and no forgery makes Google work.

Only Google knows a channel's token, so no generated request is genuine: none may enqueue a
pull or cause a single call to Google, even with the real channel id and resource id.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.realtime.heard import outcome_counts
from portal.models import WatchChannel
from tests.fuzz.conftest import FUZZ, row_counts
from tests.support.worker import run_jobs

# Header values travel as Latin-1 and cannot hold line breaks.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
)
GOOG = [
    "X-Goog-Channel-ID",
    "X-Goog-Channel-Token",
    "X-Goog-Channel-Expiration",
    "X-Goog-Resource-ID",
    "X-Goog-Resource-URI",
    "X-Goog-Resource-State",
    "X-Goog-Message-Number",
    "Content-Type",
    "X-Forwarded-For",
]


def headers_for(channel: WatchChannel) -> st.SearchStrategy[dict]:
    """Hostile headers, often carrying the real channel's id and resource id."""
    real = {
        "X-Goog-Channel-ID": st.sampled_from([channel.channel_id, channel.channel_id.upper()]),
        "X-Goog-Resource-ID": st.just(channel.resource_id or ""),
        "X-Goog-Resource-State": st.sampled_from(["exists", "sync", "not_exists", ""]),
        "X-Goog-Message-Number": st.sampled_from(["2", "-1", "99999999999999999999", "x"]),
    }
    values = {name: st.one_of(real.get(name, HEADER_TEXT), HEADER_TEXT) for name in GOOG}
    extra = st.dictionaries(st.from_regex(r"\AX-[A-Za-z-]{1,20}\Z"), HEADER_TEXT, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, st.fixed_dictionaries({}, optional=values), extra)


def test_forged_notifications_never_reach_google(client, connected, google):
    channel = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    google.state.clear_request_log()

    @FUZZ
    @given(
        headers=headers_for(channel),
        body=st.one_of(st.binary(max_size=2000), st.just(b"")),
        method=st.sampled_from(["post", "post", "get", "put"]),
    )
    def forge(headers, body, method):
        before = row_counts()
        response = getattr(client, method)("/google/notify", headers=headers, data=body)
        assert response.status_code < 500
        if method == "post":
            assert response.status_code == 200
        # Counted in Redis, and nothing else: no pull, no job, no row written.
        assert row_counts() == before
        assert get_queue().count == 0

    forge()
    run_jobs()
    assert google.state.request_log() == []
    outcomes = set(outcome_counts(redis_connection()))
    assert outcomes and outcomes <= {"unknown_channel", "bad_token", "missing_headers"}, outcomes
