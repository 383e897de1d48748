"""Load a build hook from ``hooks/`` as MkDocs does, for the tests of the content hooks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_hook(name: str) -> ModuleType:
    """``hooks/<name>.py`` as a module (registered, so dataclasses find their module)."""
    module_name = f"{name}_hook_under_test"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
