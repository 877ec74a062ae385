"""Reporting and evaluation workflows (Qt-free): reports, edits, ratings and sessions, persisted
through one storage layer with every user action committed when it happens."""
