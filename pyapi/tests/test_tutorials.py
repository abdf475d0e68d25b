"""docs/tutorials/06_embedding.md (the Python package) runs as written, with
the shorter durations its ``<!-- test: replace A => B -->`` lines give, and
prints what it says. The command-line tutorials are run by
tests/parts/tutorials.rs (in the `cli` test binary)."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import REPO

TUTORIAL = REPO / "docs" / "tutorials" / "06_embedding.md"


def python_blocks(md: str) -> list[str]:
    """The ```python blocks, each with the replacements of the
    ``<!-- test: replace A => B -->`` lines before it (which must apply)."""
    out, pending = [], []
    for part in re.split(r"(<!-- test: replace .*? -->|```python\n.*?```)", md, flags=re.S):
        m = re.fullmatch(r"<!-- test: replace (.*?) => (.*?) -->", part)
        if m:
            pending.append((m.group(1).strip(), m.group(2).strip()))
        elif part.startswith("```python"):
            code = part[len("```python\n"):-3]
            for a, b in pending:
                assert a in code, f"{a!r} is not in the block:\n{code}"
                code = code.replace(a, b)
            pending = []
            out.append(code)
    assert not pending, "a test line after the last block"
    return out


def test_the_embedding_tutorial_runs_and_prints_what_it_says():
    blocks = python_blocks(TUTORIAL.read_text())
    assert len(blocks) == 2
    ns: dict = {}
    printed = []
    for code in blocks:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, str(TUTORIAL), "exec"), ns)
        printed.append(buf.getvalue())
    assert "{'time': 3000, 'variable': 1, 'region': 76, 'mode': 1} unit ['1']" in printed[0], printed[0]
    lo, hi = (float(x) for x in re.search(r"S in (\S+) to (\S+)", printed[0]).groups())
    assert 0.0 <= lo <= hi <= 1.0, printed[0]
    assert "global mean: {'time': 3000, 'variable': 1, 'region': 1, 'mode': 1} equals the mean of raw: True" in printed[1], printed[1]
    assert list(ns["gm"]["unit"].values) == ["1"]
