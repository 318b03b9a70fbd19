"""Hostile form data, generated from the form classes themselves (new fields are fuzzed too).

Each field gets plausible values (its own choices, well-formed dates) mixed with nasty text:
NUL characters, control characters, right-to-left marks, very long strings, and numbers
far out of range. Fields may also be missing, repeated, or joined by fields nobody declared.
"""

from __future__ import annotations

import inspect

from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField

# Text a form can carry (surrogates cannot be encoded into a request at all).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\r\n",
        "\u202eevil",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "x" * 10_001,
        "9" * 40,
        "-1",
        "0",
        "NaN",
        "☃" * 300,
    ]
)
DATES = st.sampled_from(["2026-10-04", "2026-02-29", "2024-02-29", "0001-01-01", "9999-12-31"])
DATETIMES = st.sampled_from(
    ["2026-10-04T02:30", "2026-04-05T02:30", "2026-10-05 09:00", "9999-12-31T23:59", "2026-1-1T1:1"]
)


def text_values() -> st.SearchStrategy[str]:
    """Any text, with the known troublemakers more likely than chance would make them."""
    return st.one_of(NASTY, ANY_TEXT, ANY_TEXT.map(lambda v: v + "\x00"))


def fields_of(form_class: type) -> dict[str, UnboundField]:
    """The declared fields of a WTForms form class, by name (csrf_token aside)."""
    return dict(inspect.getmembers(form_class, lambda v: isinstance(v, UnboundField)))


def value_for(field: UnboundField) -> st.SearchStrategy:
    """Plausible and hostile values for one field (a list for multi-valued fields)."""
    kind = field.field_class
    choices = [str(c[0]) for c in field.kwargs.get("choices") or [] if isinstance(c, tuple)]
    if issubclass(kind, BooleanField):
        plausible = st.sampled_from(["y", "", "false", "on"])
    elif issubclass(kind, DateTimeLocalField):
        plausible = DATETIMES
    elif issubclass(kind, DateField):
        plausible = DATES
    elif issubclass(kind, IntegerField):
        plausible = st.integers(-(2**70), 2**70).map(str)
    elif issubclass(kind, SelectField | RadioField) and choices:
        plausible = st.sampled_from(choices)
    else:
        plausible = text_values()
    # A NUL inside an otherwise good value: PostgreSQL refuses it, so it must not get that far.
    with_nul = plausible.filter(lambda v: isinstance(v, str)).map(lambda v: v[:1] + "\x00" + v[1:])
    one = st.one_of(plausible, text_values(), with_nul)
    if issubclass(kind, SelectMultipleField):
        return st.lists(one, max_size=4)
    return one


def form_data(form_class: type, fixed: dict | None = None) -> st.SearchStrategy[dict]:
    """Form bodies for form_class: any subset of its fields, plus undeclared ones."""
    optional = {name: value_for(field) for name, field in fields_of(form_class).items()}
    junk = st.dictionaries(
        st.sampled_from(["id", "owner_id", "business_id", "csrf_token"]), text_values(), max_size=2
    )
    return st.builds(
        lambda declared, extra: {**extra, **declared, **(fixed or {})},
        st.fixed_dictionaries({}, optional=optional),
        junk,
    )
