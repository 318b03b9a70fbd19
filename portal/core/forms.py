"""The base form every portal form uses, and URL rules shared by every route."""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import Field
from wtforms.validators import ValidationError

from portal.calendar.timeutil import MAX_YEAR, MIN_YEAR

# PostgreSQL's integer: ids in URLs beyond it can never exist.
MAX_ID = 2**31 - 1


def refuse_nul(form: FlaskForm, field: Field) -> None:
    """NUL characters are never meant (PostgreSQL cannot even store them): say so, don't 500."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError("This contains a character that is not allowed.")


def within_years(form: FlaskForm, field: Field) -> None:
    """Keep dates where date arithmetic and zone conversion cannot overflow."""
    if field.data is not None and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise ValidationError(f"Choose a date between {MIN_YEAR} and {MAX_YEAR}.")


class PortalForm(FlaskForm):
    """FlaskForm whose every field refuses NUL characters."""

    def validate(self, extra_validators=None) -> bool:
        """Validate as usual, with refuse_nul added to every field."""
        extra = {name: [refuse_nul] for name in self._fields}
        for name, validators in (extra_validators or {}).items():
            extra[name] = [refuse_nul, *validators]
        return super().validate(extra_validators=extra)


class IdConverter(IntegerConverter):
    """`<int:…>` limited to ids the database can hold: a larger one is a plain 404."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
