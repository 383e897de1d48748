import datetime
from typing import Any

class Logger:
    # ``cfg`` is gunicorn's configuration object; ``resp`` and ``req`` its own response and
    # request classes, which the gate passes through untouched.
    def __init__(self, cfg: Any) -> None: ...
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> dict[str, Any]: ...
