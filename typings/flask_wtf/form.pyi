from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup
from wtforms import Form
from wtforms.fields.core import _Validator

class FlaskForm(Form):
    # ``formdata`` defaults to the request's form and files on POST, PUT, PATCH and DELETE.
    def __init__(self, formdata: Any = ..., **kwargs: Any) -> None: ...
    def is_submitted(self) -> bool: ...
    def validate_on_submit(
        self, extra_validators: Mapping[str, Sequence[_Validator]] | None = None
    ) -> bool: ...
    def hidden_tag(self, *fields: Any) -> Markup: ...
