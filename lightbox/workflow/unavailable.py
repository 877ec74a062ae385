"""The one error of the storage layer that callers show as it is (kept apart from
:mod:`.storage` so the CLI can catch it without importing SQLAlchemy for every command)."""
from __future__ import annotations


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened: the message names it (without its password) and why."""
