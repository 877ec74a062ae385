"""How every ``lightbox`` command refuses bad input: one line on stderr, exit status 2."""
from __future__ import annotations

import sys

EXIT_BAD_INPUT = 2


def refuse(problem: object) -> int:
    """Print ``lightbox: <problem>`` to stderr and return the exit status for bad input."""
    print(f"lightbox: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def refuse_demo(path: str, consequence: str) -> int:
    """The built-in demo given where files are needed: said as such, not "no such file or folder"."""
    return refuse(f"{path} is Lightbox's built-in demo, generated in memory, not files: {consequence}")

