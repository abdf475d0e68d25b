"""The exceptions of brainstream.

Every error names where it comes from the way the command line does:
``FILE:LINE:COL: key.path: cause`` for graph and sweep files, the actor and
window for a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

__all__ = [
    "BrainstreamError",
    "GraphError",
    "Interrupted",
    "Issue",
    "RunError",
    "SweepError",
]


class BrainstreamError(Exception):
    """Base class of brainstream's errors (``Interrupted`` excepted, which is a
    ``KeyboardInterrupt``)."""


@dataclass(frozen=True)
class Issue:
    """One problem of a graph, located as precisely as possible.

    Attributes:
        file: the graph file (``<graph>`` for a graph given as a dict).
        line, column: 1-based place of the key in the file, when known.
        path: the dotted key path, e.g. ``actors.brain.model``.
        message: what is wrong.
        hint: what to do about it, if anything.
    """

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    path: str
    message: str
    hint: Optional[str] = None

    def __str__(self) -> str:
        s = self.file or ""
        if self.line is not None:
            s += f":{self.line}:{self.column}"
        if self.path:
            s += f": {self.path}" if s else self.path
        s += f": {self.message}"
        if self.hint:
            s += f"\n  hint: {self.hint}"
        return s


class GraphError(BrainstreamError, ValueError):
    """A graph that cannot be read or does not validate.

    ``str(e)`` is what ``brainstream validate`` prints; ``e.issues`` lists
    every problem found as :class:`Issue` (file, line, column, key path,
    message, hint).
    """

    def __init__(self, message: str, issues: Iterable[Mapping[str, Any]] = ()):
        super().__init__(message)
        self.issues: list[Issue] = [i if isinstance(i, Issue) else Issue(**i) for i in issues]


class RunError(BrainstreamError, RuntimeError):
    """A run that failed: an actor's error (``actor``, ``window``, ``time_ms``
    name where). An exception raised by a Python actor is the ``__cause__``,
    with its traceback. ``results`` holds what was recorded before the
    failure (a :class:`brainstream.Results`)."""

    def __init__(
        self,
        message: str,
        actor: Optional[str] = None,
        window: Optional[int] = None,
        time_ms: Optional[float] = None,
    ):
        super().__init__(message)
        self.actor = actor
        self.window = window
        self.time_ms = time_ms
        self.results: Any = None


class SweepError(BrainstreamError, ValueError):
    """A sweep file (or dict) that is invalid, or a sweep that failed.
    ``file``, ``line``, ``column`` and ``key`` locate the problem when it is
    in the sweep file."""

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        key: Optional[str] = None,
        hint: Optional[str] = None,
    ):
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.hint = hint


class Interrupted(KeyboardInterrupt):
    """A run or sweep stopped by Ctrl-C (``KeyboardInterrupt``) after a clean
    stop: every actor finished, files were closed with every complete
    window. ``results`` holds what was recorded (a
    :class:`brainstream.Results`, or a sweep's table of finished
    combinations); ``window``/``time_ms`` say where the run was,
    ``complete_ms`` up to when the results (and the written files) are
    complete, ``done`` and
    ``total`` how many combinations of a sweep ran."""

    def __init__(
        self,
        message: str,
        window: Optional[int] = None,
        time_ms: Optional[float] = None,
        complete_ms: Optional[float] = None,
        done: Optional[int] = None,
        total: Optional[int] = None,
    ):
        super().__init__(message)
        self.window = window
        self.time_ms = time_ms
        self.complete_ms = complete_ms
        self.done = done
        self.total = total
        self.results: Any = None
