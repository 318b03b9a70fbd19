"""Conference data (Google Meet): `conferenceData` on events and the read-only `hangoutLink`.

Source: calendar.v3's discovery document. `conferenceData`: "To persist your changes,
remember to set the conferenceDataVersion request parameter to 1 for all event modification
requests"; events.insert `conferenceDataVersion`: version 0 "assumes no conference data
support and ignores conference data in the event's body"; `hangoutLink` is read-only;
`createRequest` asks Google to generate a conference (asynchronously: the emulator answers
with it already created, status "success"). Meet codes look like aaa-bbbb-ccc.
Also "Create events", https://developers.google.com/calendar/api/guides/create-events
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from .errors import ApiError

MEET = {
    "key": {"type": "hangoutsMeet"},
    "name": "Google Meet",
    "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
    "logo_meet_2020q4_color_2x_web_512dp.png",
}


def version(raw: str | None) -> int:
    """The conferenceDataVersion query parameter (0 or 1)."""
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid", "Invalid value for: conferenceDataVersion") from None
    if value not in (0, 1):
        raise ApiError(400, "invalid", "Invalid value for: conferenceDataVersion")
    return value


def meet_code() -> str:
    """A random Meet code like abc-defg-hij."""
    letters = string.ascii_lowercase
    parts = [3, 4, 3]
    return "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in parts)


def meet(code: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    """Conference data of a Google Meet conference, as Google returns it."""
    code = code or meet_code()
    data: dict[str, Any] = {}
    if request_id:
        data["createRequest"] = {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        }
    data["entryPoints"] = [
        {
            "entryPointType": "video",
            "uri": f"https://meet.google.com/{code}",
            "label": f"meet.google.com/{code}",
        }
    ]
    data["conferenceSolution"] = copy.deepcopy(MEET)
    data["conferenceId"] = code
    return data


def _resolve(sent: Any) -> Any:
    if not isinstance(sent, dict):
        raise ApiError(400, "invalid", "Invalid conference data.")
    request = sent.get("createRequest")
    if request and not sent.get("entryPoints"):
        key = (request.get("conferenceSolutionKey") or {}).get("type")
        if key != "hangoutsMeet":
            raise ApiError(400, "invalid", "Invalid conference type value.")
        return meet(request_id=request.get("requestId"))
    if not sent.get("entryPoints") or not sent.get("conferenceSolution"):
        raise ApiError(
            400,
            "invalid",
            "Either conferenceSolution and at least one entryPoint, or createRequest is required.",
        )
    return copy.deepcopy(sent)


def prepare(body: dict[str, Any], current: dict[str, Any] | None, persist: bool) -> dict:
    """The body with conference data resolved, or left as the event had it (version 0)."""
    out = dict(body)
    if not persist:
        out.pop("conferenceData", None)
        if current is not None and "conferenceData" in current:
            out["conferenceData"] = copy.deepcopy(current["conferenceData"])
        return out
    if out.get("conferenceData") is not None:
        out["conferenceData"] = _resolve(out["conferenceData"])
    return out


def finish(data: dict[str, Any]) -> None:
    """Set or clear the read-only hangoutLink from the Meet entry point."""
    data.pop("hangoutLink", None)
    conf = data.get("conferenceData") or {}
    if (conf.get("conferenceSolution") or {}).get("key", {}).get("type") != "hangoutsMeet":
        return
    for entry in conf.get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            data["hangoutLink"] = entry["uri"]
            return
