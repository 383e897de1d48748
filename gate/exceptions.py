"""The one base of the gate's own errors.

Every error the gate raises on purpose (bad input, a bad setting, a failed build or backup)
derives from :class:`GateError`, so a command or a view can catch the gate's errors in one
clause and let anything else reach the error handlers as the bug it is. Each subclass also
keeps its natural built-in base (``ValueError`` for bad input, ``RuntimeError`` for a state
that cannot go on), so callers that catch those keep working.
"""

from __future__ import annotations


class GateError(Exception):
    """An error of the gate's own making; its message is one line meant for a person."""
