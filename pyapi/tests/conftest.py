"""Shared helpers of the Python package's tests (run by scripts/test.sh:
``target/pyapi/bin/python -m pytest pyapi/tests``).

What a test needs from outside the package (the command line to compare
with, tvb-library, h5py, nbclient) is skipped with a message where it is
absent, unless BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI, as for the Rust tests of
the external actors): there each of those fails the test instead, and any
other skip fails too (``pytest_runtest_makereport`` below)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

#: BRAINSTREAM_REQUIRE_EXTERNAL=1 (.ci/run): nothing may be skipped
REQUIRED = os.environ.get("BRAINSTREAM_REQUIRE_EXTERNAL") == "1"


def missing(what: str) -> None:
    """Skips the test saying what is missing, or fails it where
    BRAINSTREAM_REQUIRE_EXTERNAL=1."""
    if REQUIRED:
        pytest.fail(f"{what} (BRAINSTREAM_REQUIRE_EXTERNAL=1: required here)", pytrace=False)
    pytest.skip(what, allow_module_level=True)


def import_or_skip(module: str, hint: str):
    """``module``, imported; where it cannot be, :func:`missing`."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        missing(f"{module} cannot be imported ({e}): {hint}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under BRAINSTREAM_REQUIRE_EXTERNAL=1 a skip (whatever raised it) is a
    failure: CI runs every test or says which one did not run."""
    outcome = yield
    rep = outcome.get_result()
    if REQUIRED and rep.skipped and not hasattr(rep, "wasxfail"):
        rep.outcome = "failed"
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.longrepr = f"skipped where BRAINSTREAM_REQUIRE_EXTERNAL=1 requires it to run: {reason}"


REPO = Path(__file__).resolve().parents[2]
GRAPHS = REPO / "graphs"


def cli() -> Path:
    """The command-line program, to compare with: $BRAINSTREAM_CLI, or the
    workspace's newest build of it (release or debug; scripts/test.sh's
    cargo test builds the debug one before pytest)."""
    env = os.environ.get("BRAINSTREAM_CLI")
    candidates = [Path(env)] if env else [REPO / "target" / "release" / "brainstream", REPO / "target" / "debug" / "brainstream"]
    built = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if built:
        return max(built, key=lambda c: c.stat().st_mtime)
    missing("the brainstream command line is not built (cargo build --bin brainstream): the comparison with it cannot run")


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    r = subprocess.run([str(cli()), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def tvb_or_skip():
    """tvb-library (scripts/pyapi.sh --tvb installs it), required where
    BRAINSTREAM_REQUIRE_EXTERNAL=1 (CI)."""
    import_or_skip("tvb.simulator.lab", "the TVB bridge tests need tvb-library (scripts/pyapi.sh --tvb, or pip install tvb-library)")


class SigintAfter:
    """Sends this process SIGINT after `seconds` (what Ctrl-C does), with
    Python's own handler (KeyboardInterrupt) in place meanwhile: a process
    started in the background by a non-interactive shell inherits SIGINT
    ignored, and Python then installs no handler of its own."""

    def __init__(self, seconds: float):
        self.timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
        self.old = None

    def __enter__(self):
        self.old = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        signal.signal(signal.SIGINT, self.old)
        return False


@pytest.fixture
def h5py():
    return import_or_skip("h5py", "the comparisons with the command line's HDF5 files need it (pip install h5py)")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    """Relative paths (graphs/...) resolve from the repository."""
    monkeypatch.chdir(REPO)

