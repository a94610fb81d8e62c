"""Make `import conf` the package's own configuration, whatever folder the user runs from.

A planner keeps their own cities in `./conf/city/` (docs/cities.md). Under an editable install
(`pip install -e .`) that folder is found first on `sys.path` and shadows the package's `conf` as
an empty namespace package, so Hydra and the spec lookups would miss every shipped file. The
package's `conf` always sits beside `sim` (in the repository and in site-packages alike): load it
from there once, before anything imports it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def load_own_conf() -> None:
    loaded = sys.modules.get("conf")
    if loaded is not None and getattr(loaded, "__file__", None):
        return
    init = Path(__file__).resolve().parents[1] / "conf" / "__init__.py"
    spec = importlib.util.spec_from_file_location("conf", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["conf"] = module
    spec.loader.exec_module(module)
