"""Files the workflows read and write: output folders checked before any work starts, files written
atomically, YAML files found by name or path, names made from what a planner types."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "aa", "Æ": "ae", "Ø": "o", "Å": "aa", "ß": "ss"})


def slug(text: str) -> str:
    """A file or entity name from a name as a planner writes it: `Østerbro` -> `osterbro`,
    `B 1908` -> `b_1908`, `Østerbro + cafés!` -> `osterbro_cafes` (accents dropped, letters kept)."""
    ascii_ = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")


def check_writable(folder: str | os.PathLike) -> None:
    """Create `folder` if needed and check that a file can be written in it; else raise `UserError`.

    Called before a long computation, so a typo or a read-only place fails at once."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
        raise UserError(f"cannot write to {folder}: {reason or exc}") from None


def write_atomic(path: Path, text: str) -> None:
    """Write a text file under a temporary name, then rename it: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def yaml_names(folders: Sequence[Path]) -> list[str]:
    """The names (file stems) of the YAML files in `folders`."""
    return sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.yaml")})


def find_yaml(name_or_path: str, folders: Sequence[Path], what: str) -> Path:
    """A YAML file given by name (looked up in `folders`, in order) or by path (`my/spec.yaml`), for
    scenarios and the calibration and sensitivity specs; `UserError` naming `what` otherwise."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        if path.is_file():
            return path
        raise UserError(f"{what} file {name_or_path} does not exist")
    for folder in folders:
        if (folder / f"{name_or_path}.yaml").is_file():
            return folder / f"{name_or_path}.yaml"
    raise UserError(f"unknown {what} {name_or_path!r}; available: {', '.join(yaml_names(folders)) or 'none'} "
                    "(or a path to a YAML file)")
