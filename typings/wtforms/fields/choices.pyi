from collections.abc import Callable, Iterable, Sequence
from typing import Any

from wtforms.fields.core import Field, _Validator

class SelectChoice:
    value: str
    # ``value`` when not given (the class itself holds None: see stubtest-allowlist.txt).
    label: str
    render_kw: dict[str, Any]
    optgroup: str | None
    def __init__(
        self,
        value: str,
        label: str | None = None,
        render_kw: dict[str, Any] = ...,
        optgroup: str | None = None,
    ) -> None: ...

class SelectFieldBase(Field):
    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[_Validator] | None = None,
        option_widget: object = None,
        **kwargs: Any,
    ) -> None: ...

class SelectField(SelectFieldBase):
    # What ``coerce`` made of the submitted value (``str`` unless told otherwise).
    data: Any
    choices: Sequence[SelectChoice] | None
    validate_choice: bool
    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[_Validator] | None = None,
        coerce: Callable[[Any], Any] = ...,
        choices: Iterable[SelectChoice] | None = None,
        validate_choice: bool = True,
        invalid_value_message: str | None = None,
        invalid_choice_message: str | None = None,
        **kwargs: Any,
    ) -> None: ...
