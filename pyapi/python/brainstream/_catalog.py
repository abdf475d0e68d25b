"""What ``brainstream list`` shows, as data."""

from __future__ import annotations

from typing import Any

from . import _native

__all__ = ["couplings", "integrators", "kinds", "model_source", "models"]


def kinds() -> list[dict[str, Any]]:
    """Every actor kind: ``name``, ``doc``, ``inputs`` and ``outputs`` (name,
    type, doc), ``params`` (name, type, default, required, unit, range,
    doc)."""
    return _native.kinds()


def models() -> list[dict[str, Any]]:
    """Every built-in neural mass model: ``name``, ``doc``,
    ``state_variables``, ``coupled_variables``, ``variables_of_interest``,
    ``units``, ``params`` (name, default, unit, range, doc) — tvb-library's
    names."""
    return _native.models()


def couplings() -> list[dict[str, Any]]:
    """Every coupling function: ``name``, ``doc``, ``params``."""
    return _native.couplings()


def integrators() -> list[dict[str, Any]]:
    """Every integrator: ``name`` and whether it is ``stochastic``."""
    return _native.integrators()


def model_source(name: str) -> str:
    """A built-in model's declaration (``brainstream model show NAME``): the
    start of a model of your own (``docs/models.md``)."""
    return _native.model_source(name)
