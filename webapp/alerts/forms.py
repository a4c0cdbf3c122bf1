"""The alerts' forms: a person's choices (kinds × channels, quiet hours, thresholds), and the
bell's open and mark-read buttons."""

from __future__ import annotations

import wtforms
from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired, NumberRange, ValidationError

from webapp.alerts import preferences
from webapp.forms import EmailAddress, FilterForm, Flag, Form, Int32, IntegerField, Number, Text


class ListArgs(FilterForm):
    """The alerts list's page (``?page=``), from 1 (a page past 10,000 is no page)."""

    page = Number(1, 10_000, default=1)


class OpenForm(Form):
    """Open one alert of the bell (marking it read)."""

    delivery = Int32()


class ChoicesForm(Form):
    """A person's choices; the kind × channel boxes are added per person (``build``)."""

    quiet_start = Text(5, label=_l("Quiet from"))
    quiet_end = Text(5, label=_l("Quiet until"))
    urgent_through_quiet = Flag(label=_l("Critical findings and major violations come through"))
    unsynced_hours = IntegerField(
        _l("Hours before a device's unsynced records are an alert"),
        validators=[InputRequired(), NumberRange(min=1, max=168)],
    )
    email = EmailAddress(_l("Email address for alerts"))
    # The digests (webapp/alerts/digests.py), shown to the roles that get them.
    digest_daily = Flag(label=_l("A daily digest"))
    digest_hour = wtforms.SelectField(_l("At"), coerce=int, default=preferences.DEFAULT_DIGEST_HOUR)
    digest_weekly = Flag(label=_l("The weekly report, Saturdays at 09:00"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.digest_hour.choices = [(hour, f"{hour:02d}:00") for hour in range(24)]

    def validate_quiet_start(self, field):
        _hm(field)
        if bool(field.data) != bool(self.quiet_end.data):
            raise ValidationError(_l("Give both times, or neither."))

    def validate_quiet_end(self, field):
        _hm(field)


def _hm(field) -> None:
    if field.data and preferences.parse_hm(field.data) is None:
        raise ValidationError(_l("Write a time as HH:MM, for example 22:00."))


def box(kind: str, channel: str) -> str:
    """The name of the box for a kind on a channel."""
    return f"c_{kind}_{channel}"


def build(kinds: list[str], channels: list[str], **data) -> ChoicesForm:
    """The choices form with a box for each kind on each channel (read from the request when
    it is a POST, else from ``data``)."""

    class Built(ChoicesForm):
        pass

    for kind in kinds:
        for channel in channels:
            setattr(Built, box(kind, channel), wtforms.BooleanField())
    return Built(data=data)
