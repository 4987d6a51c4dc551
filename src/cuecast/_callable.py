"""A stage module that is also the Python API's function of the same name.

``cuecast.render`` and ``cuecast.plan`` are modules (``from cuecast.render
import Options``) and, for Python users, the verbs of ``cuecast.api``
(``cuecast.render("routine.yaml")``). Rebinding the package attribute to a
function would break ``import cuecast.render as r`` and every
``cuecast.render.X``, so instead each module makes itself callable:
calling it calls ``cuecast.api.<name>``. Imports nothing from cuecast (the
API is looked up when called), so no layer is crossed at import time.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def callable_module(module_name: str, function: str) -> None:
    """Make the loaded module ``module_name`` callable as ``cuecast.api.<function>``."""
    module = sys.modules[module_name]

    class CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            api = importlib.import_module("cuecast.api")
            return getattr(api, function)(*args, **kwargs)

    CallableModule.__name__ = CallableModule.__qualname__ = f"callable module ({function})"
    module.__class__ = CallableModule
