"""Talking to pages as the browser does: htmx headers, what is in the grid, which error is where."""

from __future__ import annotations

import json
from html.parser import HTMLParser

# The header htmx sends with every request it makes.
HTMX = {"HX-Request": "true"}


class _GridReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "data-event-id" in found:
            self.items.append(found)


class _FieldReader(HTMLParser):
    """Collects, for each `.field` block, the names of its inputs and its error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, list[str]] = {}
        self._divs: list[bool] = []  # for each open div: is it a .field block?
        self._names: list[str] = []
        self._messages: list[str] = []
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        classes = found.get("class", "").split()
        if tag == "div":
            self._divs.append("field" in classes)
            if "field" in classes:
                self._names, self._messages = [], []
        elif tag in ("input", "select", "textarea") and "name" in found:
            self._names.append(found["name"])
        elif tag == "small" and "error" in classes:
            self._in_error = True
            self._messages.append("")

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self._messages[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "small":
            self._in_error = False
        elif tag == "div" and self._divs and self._divs.pop():
            for name in self._names:
                self.errors.setdefault(name, []).extend(self._messages)


def grid_items(html: str) -> list[dict[str, str]]:
    """The attributes of every event drawn in the week grid (timed blocks and all-day chips)."""
    reader = _GridReader()
    reader.feed(html)
    return reader.items


def items_for(html: str, event_id: int) -> list[dict[str, str]]:
    """The grid pieces of one event: one per day it covers."""
    return [item for item in grid_items(html) if item["data-event-id"] == str(event_id)]


def field_errors(html: str) -> dict[str, list[str]]:
    """Error messages keyed by the name of the input they are shown next to."""
    reader = _FieldReader()
    reader.feed(html)
    return {name: messages for name, messages in reader.errors.items() if messages}


def saved_day(response) -> str:
    """The day a saved change's answer names: htmx's calendarChanged event carries the first
    day of what was saved, so a region that does not show it moves there."""
    return json.loads(response.headers["HX-Trigger"])["calendarChanged"]["day"]
