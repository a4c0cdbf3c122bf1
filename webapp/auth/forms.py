"""The login form and the user's own password change."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import Form
from webapp.models.accounts import MAX_PASSWORD_SET, MIN_PASSWORD


class LoginForm(Form):
    """Username and password. CSRF is checked for every POST by ``webapp.access.enforce``
    (the page writes the masked token itself: hidden_tag() would write the bare one)."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class PasswordChangeForm(Form):
    """The current password, and the new one twice (CSRF as for LoginForm)."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=256)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, message=_l("At least %(n)d characters.", n=MIN_PASSWORD)),
            Length(
                max=MAX_PASSWORD_SET,
                message=_l("At most %(n)d characters.", n=MAX_PASSWORD_SET),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )
