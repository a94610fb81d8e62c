"""The one exception users see: a bad input, reported in one line (exit status 2 on a command line)."""

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A user error: bad key, value, range, file or option. The message names it and what is allowed."""


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """"; did you mean 'X'?" for the closest of `options` to a misspelt `word`, or "" if none is close."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.8)
    return f"; did you mean {close[0]!r}?" if close else ""
