"""Compose the package's own `conf/` with Hydra's compose API (the path users and tests share)."""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from sim.errors import UserError
from sim.model.checks import to_schema
from sim.model.config import SimConfig

CONFIG_MODULE = "conf"
CONFIG_NAME = "config"
# conf/config.yaml adds ./conf to Hydra's search path, so `city=NAME` also finds ./conf/city/NAME.yaml
# (a planner's own city, docs/cities.md); Hydra warns on every run from a folder without one.
# (The filter is also set around each compose: pytest and other callers reset the global filters.)
NO_USER_CONF = r"provider=hydra\.searchpath in main, path=conf is not available"
warnings.filterwarnings("ignore", message=NO_USER_CONF)


def one_line(exc: BaseException) -> str:
    """Hydra/OmegaConf messages span lines and carry `full_key:` trailers: keep the gist."""
    text = str(exc) + ("\n" + str(exc.__cause__) if exc.__cause__ else "")
    missing = re.search(r"Could not find '(.+)/([^/']+)'", text)
    if missing:
        group, option = missing.groups()
        options = re.findall(r"^\t(\S+)$", text, re.M)
        allowed = f"; allowed: {', '.join(options)}" if options else ""
        return f"{group}={option}: unknown {group}{allowed}"
    key = re.search(r"full_key: (\S+)", text)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    first = next((ln for ln in lines if not ln.startswith(("Error merging", "Could not override", "To append"))),
                 lines[0] if lines else type(exc).__name__)
    if re.search(r"Key '[^']+' (is )?not in", text):
        name = key.group(1) if key else re.search(r"Key '([^']+)'", text).group(1)
        return f"unknown config key {name!r} (check the spelling against conf/ or MODEL.md §8)"
    if key and key.group(1) not in first:
        return f"{key.group(1)}: {first}"
    return first


def compose_dict(overrides: Sequence[str] = ()) -> DictConfig:
    """The composed (unvalidated) DictConfig; raises UserError on unknown keys, options or types."""
    GlobalHydra.instance().clear()
    try:
        with warnings.catch_warnings(), initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            warnings.filterwarnings("ignore", message=NO_USER_CONF)
            return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(one_line(exc)) from None
    except AttributeError as exc:  # OmegaConf merging a `{...}` override into a null node
        key = re.search(r"full_key: (\S+)", str(exc))
        if key is None:
            raise
        raise UserError(f"{key.group(1)}: cannot merge a mapping into null; "
                        "write {} instead of null in the config file") from None
    finally:
        GlobalHydra.instance().clear()


def compose(overrides: Sequence[str] = ()) -> SimConfig:
    """Compose `conf/` + overrides (command-line syntax), validate types and ranges.

    Returns the validated dataclass tree; a bad override raises `UserError` naming the key.
    """
    return from_dict(compose_dict(overrides))


def from_dict(cfg: DictConfig) -> SimConfig:
    """Validate an already composed DictConfig (e.g. the one `@hydra.main` hands over)."""
    try:
        if "hydra" in cfg:  # composed with the Hydra node (e.g. by @hydra.main): not part of the model
            cfg = copy.deepcopy(cfg)
            with read_write(cfg), open_dict(cfg):
                del cfg["hydra"]
        return to_schema(cfg)
    except (OmegaConfBaseException, ValueError) as exc:
        raise UserError(one_line(exc)) from None
