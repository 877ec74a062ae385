"""Lightbox: an offline radiology viewer with a local AI assistant.

Research and demonstration software: not for clinical use.
"""

__version__ = "0.1.0"
