"""Forms for users and estate settings."""

from __future__ import annotations

import zoneinfo
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import vocab
from webapp.extensions import db
from webapp.forms import Choice, EstateId, FilterForm, Flag, Form, Text
from webapp.i18n import term
from webapp.models import Estate, User
from webapp.models.accounts import (
    ALL_ESTATE_ROLES,
    MAX_PASSWORD_SET,
    MAX_USERNAME,
    MIN_PASSWORD,
    MIN_USERNAME,
    ROLES,
    USERNAME_CHARS,
)
from webapp.registry.naming import clean
from webapp.values import choice_id


@cache
def timezones() -> list[str]:
    """Every IANA timezone name this machine knows, sorted."""
    return sorted(zoneinfo.available_timezones())


class CheckboxList(SelectMultipleField):
    """Estates as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    """Create or edit a user: name, role, estates and (on create, or to reset) a password.

    ``every_estate`` (the organisation admin's form only: others' forms have no such field,
    so a posted value is never read) makes an admin or supervisor see every estate, present
    and future."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=MIN_USERNAME, max=MAX_USERNAME),
            Regexp(USERNAME_CHARS, message=_l("Letters, digits, dot, dash, underscore.")),
        ],
    )
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    estates = CheckboxList(_l("Estates"), coerce=choice_id)
    all_estates = BooleanField(_l("Every estate, present and future"))
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=MAX_PASSWORD_SET)])

    def __init__(
        self, estates: list[Estate], user: User | None = None, every_estate=False, **kwargs
    ):
        super().__init__(obj=user, **kwargs)
        if not every_estate:
            del self.all_estates
        self.user = user
        self.role.choices = [(r, term("role", r)) for r in vocab.ROLES]
        self.estates.choices = [(e.id, e.name) for e in estates]
        visible = {e.id for e in estates}
        if user is not None and not self.is_submitted():
            self.estates.data = [e.id for e in user.estates if e.id in visible]
        if user is not None:
            self.username.render_kw = {"readonly": True}

    def validate_username(self, field):
        field.data = (field.data or "").strip()
        if self.user is not None:
            field.data = self.user.username  # usernames do not change
            return
        if db.session.scalar(sa.select(User.id).where(User.username == field.data)):
            raise ValidationError(_l("This username is taken."))

    def sees_every_estate(self) -> bool:
        """Whether the form asks for every estate (only the organisation admin's can)."""
        return "all_estates" in self and bool(self.all_estates.data)

    def validate_estates(self, field):
        if not field.data and not self.sees_every_estate():
            raise ValidationError(_l("Choose at least one estate."))

    def validate_all_estates(self, field):
        if field.data and self.role.data not in ALL_ESTATE_ROLES:
            raise ValidationError(_l("Only an admin or a supervisor can see every estate."))

    def validate_password(self, field):
        if self.user is None and not field.data:
            raise ValidationError(_l("Set a password for the new user."))
        if field.data and len(field.data) < MIN_PASSWORD:
            raise ValidationError(_l("At least %(n)d characters.", n=MIN_PASSWORD))


class EstateForm(Form):
    """An estate's settings: its name and timezone."""

    # Folded before it is judged, as the registry's names: its length is the one kept.
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)], filters=[clean])
    timezone = StringField(_l("Timezone"), validators=[DataRequired(), Length(max=64)])

    def __init__(self, estate: Estate | None = None, **kwargs):
        super().__init__(obj=estate, **kwargs)
        self.estate = estate
        if estate is None and not self.is_submitted():
            self.timezone.data = "Asia/Taipei"

    def validate_name(self, field):
        clash = db.session.scalar(
            sa.select(Estate.id).where(
                Estate.name == field.data, Estate.id != (self.estate.id if self.estate else -1)
            )
        )
        if clash is not None:
            raise ValidationError(_l("Another estate already has this name."))

    def validate_timezone(self, field):
        field.data = (field.data or "").strip()
        if field.data not in timezones():
            raise ValidationError(_l("Not a known timezone. Use a name such as Asia/Taipei."))


class UserFilters(FilterForm):
    """The users list's query: an estate of the admin's, a role, words of a name; ``add``
    opens the new-user form for that estate (the estates page's link)."""

    estate = EstateId()
    role = Choice(ROLES)
    q = Text(64)
    add = Flag()
