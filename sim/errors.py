"""User-facing errors: bad input the user can fix (exit status 2, one line, no traceback)."""


class UserError(Exception):
    """Bad input: an unknown key or policy, a wrong type, a value out of range, a missing file."""
