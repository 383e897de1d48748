from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask.typing import ResponseReturnValue

_Loader = TypeVar("_Loader", bound=Callable[[str], Any])
_Handler = TypeVar("_Handler", bound=Callable[[], ResponseReturnValue])

class LoginManager:
    session_protection: str | None
    login_view: str | None
    # The class whose instance stands for nobody signed in.
    anonymous_user: type[Any]
    def __init__(self, app: Flask | None = None, add_context_processor: bool = True) -> None: ...
    def init_app(self, app: Flask, add_context_processor: bool = True) -> None: ...
    def unauthorized(self) -> ResponseReturnValue: ...
    def user_loader(self, callback: _Loader) -> _Loader: ...
    def unauthorized_handler(self, callback: _Handler) -> _Handler: ...
