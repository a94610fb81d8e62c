"""What the command lines share: a user error is one line on stderr and exit status 2; run folders are
named by their start time."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import NoReturn

# The folder-name format Hydra's run and sweep folders use (conf/config.yaml).
TIME_FORMAT = "%Y-%m-%d_%H-%M-%S"


def fail(message: object) -> NoReturn:
    """A user error: one line on stderr, exit status 2, no traceback."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def timestamp() -> str:
    return datetime.now().strftime(TIME_FORMAT)
