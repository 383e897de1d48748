import datetime
from collections.abc import Callable
from typing import Any, TypeVar

_View = TypeVar("_View", bound=Callable[..., Any])

# The user loader's result for this request, or an instance of ``anonymous_user``: only the
# application knows that type, so the library's proxy cannot say it.
current_user: Any

def login_user(
    user: Any,
    remember: bool = False,
    duration: datetime.timedelta | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool: ...
def logout_user() -> bool: ...
def login_required(func: _View) -> _View: ...
