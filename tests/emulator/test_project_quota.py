"""The per-project quota: every user of one OAuth client shares it, batch parts included."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from .helpers import (
    OTHER_USER,
    batch_service,
    calendar_service,
    credentials,
    error_reason,
    get_tokens,
)


def _service_for(emulator, account: str):
    return calendar_service(
        emulator.url, credentials(emulator.url, get_tokens(emulator.url, account=account))
    )


def test_the_project_quota_counts_every_user_of_the_client(emulator, service):
    other = _service_for(emulator, OTHER_USER)
    emulator.state.configure(project_quota_per_minute=4)
    for _ in range(2):
        service.calendarList().list().execute()
        other.calendarList().list().execute()
    for client in (service, other):
        with pytest.raises(HttpError) as err:
            client.calendarList().list().execute()
        assert error_reason(err.value) == (403, "rateLimitExceeded", "Rate Limit Exceeded")


def test_each_part_of_a_batch_counts_against_the_project(emulator, creds):
    emulator.state.configure(project_quota_per_minute=3)
    client = batch_service(emulator.url, creds)
    answers: list[object] = []
    batch = client.new_batch_http_request(callback=lambda _id, _resp, exc: answers.append(exc))
    for _ in range(4):
        batch.add(client.calendarList().list())
    batch.execute()
    refused = [exc for exc in answers if exc is not None]
    assert len(answers) == 4 and len(refused) == 1
    assert error_reason(refused[0])[:2] == (403, "rateLimitExceeded")


def test_no_project_quota_by_default(emulator, service):
    for _ in range(20):
        service.calendarList().list().execute()
