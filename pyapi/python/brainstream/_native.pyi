"""Type stubs of the extension module ``brainstream._native`` (pyapi/src/py).

Private: the public API is the package's (``brainstream.Graph``,
``brainstream.sweep``, ...), which wraps these and turns their plain
results into xarray and pandas objects."""

from os import PathLike
from typing import Any, Callable, Optional, Union

_Path = Union[str, PathLike[str]]

def version() -> str: ...
def kinds() -> list[dict[str, Any]]: ...
def models() -> list[dict[str, Any]]: ...
def couplings() -> list[dict[str, Any]]: ...
def integrators() -> list[dict[str, Any]]: ...
def model_source(name: str) -> str: ...
def sweep(
    path: Optional[_Path] = None,
    text: Optional[str] = None,
    overrides: list[str] = ...,
    out: Optional[_Path] = None,
    threads: int = 0,
    backend: str = "auto",
    progress: Optional[Callable[[int, int, int], None]] = None,
) -> tuple[list[str], list[int], Any, Optional[dict[str, Any]], Optional[BaseException]]:
    """(columns, combination indices, rows, summary or None, exception or None)."""

class NativeGraph:
    def __init__(
        self,
        path: Optional[_Path] = None,
        text: Optional[str] = None,
        json: bool = False,
        overrides: list[str] = ...,
    ) -> None: ...
    def set(self, overrides: list[str]) -> None: ...
    def add_actor(self, name: str, table: str) -> None: ...
    def add_python_actor(
        self,
        name: str,
        actor: Any,
        inputs: list[tuple[str, str]],
        outputs: list[tuple[str, str]],
        control_keys: list[tuple[str, list[str]]] = ...,
    ) -> None: ...
    def add_edge(self, src: str, dst: str, delay_ms: float = 0.0) -> None: ...
    def text(self) -> str: ...
    def dot(self) -> str: ...
    def validate(self, out: Optional[_Path] = None, allow_large: bool = False) -> dict[str, Any]: ...
    def run(
        self,
        out: Optional[_Path] = None,
        progress: Optional[Callable[[int, int, float], None]] = None,
        allow_large: bool = False,
    ) -> tuple[dict[str, dict[str, Any]], Optional[dict[str, Any]], Optional[BaseException]]:
        """(recordings by recorder, summary or None, exception or None)."""
    def recorders(self) -> list[str]: ...
