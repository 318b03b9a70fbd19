"""The participant form."""

from __future__ import annotations

from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.core.forms import PortalForm, within_years


def _strip(value: str | None) -> str | None:
    """Trim, and drop NUL characters (never meant, and PostgreSQL refuses them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def _digits_only(value: str | None) -> str | None:
    """People copy NDIS numbers as "430 123 456"; keep the digits they meant."""
    return value.replace(" ", "").replace("-", "") if isinstance(value, str) else value


class ParticipantForm(PortalForm):
    """Name, NDIS number and plan dates."""

    name = StringField(
        "Name", filters=[_strip], validators=[DataRequired("Enter a name."), Length(max=120)]
    )
    ndis_number = StringField(
        "NDIS number",
        filters=[_strip, _digits_only],
        validators=[
            DataRequired("Enter the NDIS number."),
            Regexp(r"^[0-9]{9}\Z", message="An NDIS number is exactly 9 digits."),
        ],
    )
    plan_start = DateField("Plan start", validators=[Optional(), within_years])
    plan_end = DateField("Plan end", validators=[Optional(), within_years])
    # Ticked by "Save anyway" when another participant already has this NDIS number.
    duplicate_ok = BooleanField("Save anyway", default=False)

    def validate_plan_end(self, field) -> None:
        """A plan cannot end before it starts."""
        start = self.plan_start.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The plan end cannot be before the plan start.")
