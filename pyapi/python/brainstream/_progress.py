"""Progress bars (tqdm): in a terminal or a notebook, quiet elsewhere."""

from __future__ import annotations

import sys
from typing import Callable, Optional


def _in_notebook() -> bool:
    ip = sys.modules.get("IPython")
    try:
        shell = ip.get_ipython() if ip is not None else None  # type: ignore[attr-defined]
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _wanted(progress: Optional[bool]) -> bool:
    if progress is not None:
        return bool(progress)
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_notebook()


def _tqdm():
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm import tqdm

    return tqdm


class Bar:
    """A bar over ``total`` units, updated from callbacks; closed by ``close``."""

    def __init__(self, progress: Optional[bool], total: Optional[int], unit: str, desc: str):
        self._bar = None
        self._wanted = _wanted(progress)
        self._unit = unit
        self._desc = desc
        self._total = total

    def _open(self, total: int):
        if self._bar is None and self._wanted:
            self._bar = _tqdm()(total=total, unit=self._unit, desc=self._desc, leave=False, dynamic_ncols=True)
        return self._bar

    def run_callback(self) -> Optional[Callable[[int, int, float], None]]:
        """For a run: (steps done, total steps, dt ms), shown in ms."""
        if not self._wanted:
            return None

        def cb(done: int, total: int, dt: float) -> None:
            bar = self._open(round(total * dt, 6))
            if bar is not None:
                bar.n = round(done * dt, 6)
                bar.refresh()

        return cb

    def sweep_callback(self) -> Optional[Callable[[int, int, int], None]]:
        """For a sweep: (combinations done, total, diverged)."""
        if not self._wanted:
            return None

        def cb(done: int, total: int, diverged: int) -> None:
            bar = self._open(total)
            if bar is not None:
                bar.n = done
                bar.set_postfix(diverged=diverged, refresh=False)
                bar.refresh()

        return cb

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
