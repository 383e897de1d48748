"""MkDocs hooks are loaded by MkDocs from ``hooks/`` (its folder on ``sys.path``); so here."""

from __future__ import annotations

import sys
from pathlib import Path

HOOKS = Path(__file__).resolve().parents[2] / "hooks"
if str(HOOKS) not in sys.path:
    sys.path.insert(0, str(HOOKS))
