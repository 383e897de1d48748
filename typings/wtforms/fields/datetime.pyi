import datetime
from collections.abc import Sequence
from typing import Any

from wtforms.fields.core import Field, _Validator

class DateTimeField(Field):
    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[_Validator] | None = None,
        format: str = "%Y-%m-%d %H:%M:%S",
        invalid_value_message: str | None = None,
        **kwargs: Any,
    ) -> None: ...

class DateField(DateTimeField):
    data: datetime.date | None
    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[_Validator] | None = None,
        format: str = "%Y-%m-%d",
        invalid_value_message: str | None = None,
        **kwargs: Any,
    ) -> None: ...
