"""The sign-in forms (Flask-WTF: each carries and checks its ``csrf_token``).

Field names follow DESIGN.md "Sign-in details": ``email``, ``password``, ``next``. Lengths are
checked here, before any hashing: a password longer than the maximum never reaches argon2.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from gate.accounts.passwords import DEFAULT_MAX_LENGTH

EMAIL_MAX = 320


class LoginForm(FlaskForm):
    """Email and password (clients and staff)."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=DEFAULT_MAX_LENGTH)]
    )
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class EmailForm(FlaskForm):
    """Just an email: one-time link and password reset requests."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """The one-time link's confirmation button (only the CSRF token and ``next``)."""

    next = HiddenField()


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (invitation and reset)."""

    password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=DEFAULT_MAX_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class ChangePasswordForm(SetPasswordForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=DEFAULT_MAX_LENGTH)]
    )


class ButtonForm(FlaskForm):
    """A POST button with nothing but its CSRF token (sign out, sign out everywhere)."""


class AccessRequestForm(FlaskForm):
    """Asking for access (DESIGN.md ``/auth/request-access``): only the email is required."""

    email = EmailField("Your email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    name = StringField("Your name (optional)", validators=[Optional(), Length(max=200)])
    wanted = StringField("What you would like to open (optional)",
                         validators=[Optional(), Length(max=500)])
    message = TextAreaField("Anything we should know (optional)",
                            validators=[Optional(), Length(max=2000)])
