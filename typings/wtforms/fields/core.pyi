from collections.abc import Callable, Sequence
from typing import Any, Self

from markupsafe import Markup
from wtforms.form import BaseForm

# A validator is called with the form and the field; it raises ValidationError to refuse.
_Validator = Callable[[BaseForm, Field], object]

class Label:
    field_id: str
    text: str
    def __init__(self, field_id: str, text: str) -> None: ...
    def __call__(self, text: str | None = None, **kwargs: Any) -> Markup: ...

class Field:
    # A field's value after processing; each subclass narrows it.
    data: Any
    errors: Sequence[str]
    label: Label
    name: str
    id: str
    description: str
    default: object
    # Outside a form (``_form`` not given) the class answers an unbound field; declared on a
    # form class, it is bound to each form instance, so it is typed as the field itself.
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[_Validator] | None = None,
        filters: Sequence[Callable[[Any], Any]] = (),
        description: str = "",
        id: str | None = None,
        default: object = None,
        invalid_value_message: str | None = None,
        widget: Callable[..., Markup] | None = None,
        render_kw: dict[str, Any] | None = None,
        name: str | None = None,
        datalist: Sequence[str] | None = None,
        _form: BaseForm | None = None,
        _prefix: str = "",
        _translations: object = None,
        _meta: object = None,
    ) -> None: ...
    def __call__(self, **kwargs: Any) -> Markup: ...
    def validate(
        self, form: BaseForm, extra_validators: Sequence[_Validator] = ()
    ) -> bool: ...
