"""The staff pages' forms (Flask-WTF: each POST form carries and checks its ``csrf_token``).

Filters are GET forms without a CSRF token (they change nothing). Messages are plain words;
the services check the rest (unknown audience, taken email ...) and the views put their
message on the field it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from gate.accounts.forms import EMAIL_MAX


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Choices of a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


ROLES = [("client", "Client"), ("subscriber", "Newsletter subscriber"), ("staff", "Staff")]
ROLE_CHOICES = options(ROLES)
STATE_CHOICES = options([("active", "Active"), ("revoked", "Revoked"), ("deleted", "Deleted"),
                         ("all", "All")])


class FilterForm(FlaskForm):
    """A GET form: no CSRF token, nothing changes."""

    class Meta:
        csrf = False


class UserFilterForm(FilterForm):
    """Search and filters of the users list."""

    # Named "search", not "q": Material opens its own search box on any page whose address
    # has ?q= (the view accepts ?q= too, as DESIGN.md's /admin/users?q=).
    search = StringField("Email or name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=options([("", "Any role"), *ROLES]),
                       validate_choice=False)
    account = SelectField("Account", choices=options([("", "Any account")]),
                          validate_choice=False)
    audience = StringField("Holds audience", validators=[Optional(), Length(max=200)])
    state = SelectField("State", choices=STATE_CHOICES, default="active",
                        validate_choice=False)


class EditUserForm(FlaskForm):
    """Email, name, role and account of a user."""

    email = EmailField("Email", validators=[DataRequired("Enter the email address."),
                                            Length(max=EMAIL_MAX)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    account = StringField("Client account (moving ends their sessions)",
                          validators=[Optional(), Length(max=200)])


class NewUserForm(EditUserForm):
    """Add a user and (clients and staff) send the invitation."""

    account = StringField("Client account (created when new)",
                          validators=[Optional(), Length(max=200)])
    account_type = SelectField("Type of a new account", choices=[])
    audience = StringField("Extra audience (optional, e.g. newsletter:payments)",
                           validators=[Optional(), Length(max=200)])
    invite = BooleanField("Send the invitation now", default=True)


class GrantForm(FlaskForm):
    """Add an audience, optionally until a date (its last day included)."""

    audience = StringField("Audience", validators=[DataRequired("Enter an audience."),
                                                   Length(max=200)])
    until = DateField("Until (optional, last day included)", validators=[Optional()])


class AudienceForm(FlaskForm):
    """Remove one audience (a button)."""

    audience = HiddenField(validators=[DataRequired()])


class ButtonForm(FlaskForm):
    """A POST button with nothing but its CSRF token."""


class AccountForm(FlaskForm):
    """Rename a client account (its slug stays) or change its type."""

    name = StringField("Name", validators=[DataRequired("Enter the account name."),
                                           Length(max=200)])
    account_type = SelectField("Account type", choices=[])


class AuditFilterForm(FilterForm):
    """Filters of the audit trail."""

    user = StringField("User (email, part of one, or #id)",
                       validators=[Optional(), Length(max=320)])
    action = SelectField("Action", choices=options([("", "Any action")]),
                         validate_choice=False)
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC, included)", validators=[Optional()])


class ImportForm(FlaskForm):
    """A FluentCRM contacts export to check (nothing changes yet)."""

    file = FileField("FluentCRM contacts export (CSV)",
                     validators=[FileRequired("Choose the CSV file to upload.")])
    prune = BooleanField("Also remove newsletter sections from subscribers absent from the file")


class ApplyImportForm(FlaskForm):
    """Apply a checked upload."""

    upload = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    prune = HiddenField()
