"""Compose the package's own `conf/` with Hydra's compose API (the path users and tests share)."""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence

from hydra import compose as hydra_compose
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

from sim.errors import UserError, did_you_mean
from sim.model.checks import to_schema
from sim.model.config import SimConfig
from sim.workflows.ensemble import default_uncertainty

CONFIG_MODULE = "conf"
CONFIG_NAME = "config"
# conf/config.yaml adds ./conf to Hydra's search path, so `city=NAME` also finds ./conf/city/NAME.yaml
# (a planner's own city, docs/cities.md); Hydra warns on every run from a folder without one.
# (The filter is also set around each compose: pytest and other callers reset the global filters.)
NO_USER_CONF = r"provider=hydra\.searchpath in main, path=conf is not available"
warnings.filterwarnings("ignore", message=NO_USER_CONF)
# conf/config.yaml's run.uncertainty: ensemble where the city ships one (resolved when validated)
OmegaConf.register_new_resolver("default_uncertainty", default_uncertainty, replace=True)


TYPES = {"Integer": "a whole number", "Float": "a number", "Boolean": "true or false"}
DECIMAL_COMMA = re.compile(r"^[+~]?([\w.]+)=(-?\d+),(\d+)$")


def one_line(exc: BaseException, overrides: Sequence[str] = ()) -> str:
    """Hydra/OmegaConf messages span lines and carry `full_key:` trailers: keep the gist, in one line
    naming the key and what is allowed (with a "did you mean" for a misspelt key)."""
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
        given = next((o.split("=", 1)[0].lstrip("+~") for o in overrides
                      if o.split("=", 1)[0].lstrip("+~").startswith(name)), name)
        hint = did_you_mean(given, known_keys())
        return f"unknown config key {given!r}{hint} (python -m sim.run --cfg job lists every key)"
    converted = re.search(r"Value '(.*)' of type '\w+' could not be converted to (\w+)", text)
    if key and converted:
        typed = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+~") == key.group(1)),
                     converted.group(1))
        return f"{key.group(1)}={typed}: expected {TYPES.get(converted.group(2), converted.group(2))}"
    boolean = re.search(r"Value '(.*)' is not a valid bool", text)
    if key and boolean:
        return f"{key.group(1)}={boolean.group(1)}: expected true or false"
    enum = re.search(r"Invalid value '(.*)', expected one of \[(.*)\]", text)
    if key and enum:
        return f"{key.group(1)}={enum.group(1)}: allowed: {enum.group(2)}"
    if key and key.group(1) not in first:
        return f"{key.group(1)}: {first}"
    return first


def _leaves(tree: Mapping, prefix: str = "") -> Iterator[str]:
    for name, value in tree.items():
        path = f"{prefix}{name}"
        yield path
        if isinstance(value, Mapping):
            yield from _leaves(value, path + ".")


@functools.cache
def known_keys() -> tuple[str, ...]:
    """Every dotted key of the default composed config (for "did you mean")."""
    return tuple(_leaves(OmegaConf.to_container(compose_dict(()), resolve=False)))


def _check_decimal_comma(overrides: Sequence[str]) -> None:
    """`key=0,3` is Hydra's list syntax, not a Danish decimal: say so instead of "Ambiguous value"."""
    for o in overrides:
        m = DECIMAL_COMMA.match(o)
        if m:
            key, whole, part = m.groups()
            raise UserError(f"{key}={whole},{part}: write decimals with a point ({key}={whole}.{part}); "
                            "a comma separates the values of a sweep (python -m sim.run -m ...)")


def compose_dict(overrides: Sequence[str] = ()) -> DictConfig:
    """The composed (unvalidated) DictConfig; raises UserError on unknown keys, options or types."""
    _check_decimal_comma(overrides)
    GlobalHydra.instance().clear()
    try:
        with warnings.catch_warnings(), initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            warnings.filterwarnings("ignore", message=NO_USER_CONF)
            return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(one_line(exc, overrides)) from None
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
