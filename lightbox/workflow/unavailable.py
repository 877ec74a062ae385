"""The one error of the storage layer that callers show as it is (kept apart from
:mod:`.storage` so the CLI can catch it without importing SQLAlchemy for every command)."""
from __future__ import annotations


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened: the message names it (without its password) and why."""


def driver_reason(error: BaseException) -> str:
    """The first line of what the database driver said ("connection refused", "unable to open
    database file"), not SQLAlchemy's wrapping of it with the statement and a link."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]
