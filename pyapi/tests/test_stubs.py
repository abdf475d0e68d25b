"""The extension module's type stub (brainstream/_native.pyi) names what
the module has, method for method: stubs that drift mislead type checkers."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import brainstream as bs
from brainstream import _native


def stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse((Path(bs.__file__).parent / "_native.pyi").read_text())
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {
        n.name: {m.name for m in n.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("__")}
        for n in tree.body
        if isinstance(n, ast.ClassDef)
    }
    return funcs, classes


def test_the_stub_names_every_function_and_method_of_the_module():
    funcs, classes = stub_names()
    public = {n for n in dir(_native) if not n.startswith("_")}
    assert funcs | set(classes) == public
    for name, methods in classes.items():
        cls = getattr(_native, name)
        have = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
        assert methods == have, name


def test_every_public_name_is_documented():
    for name in bs.__all__:
        assert inspect.getdoc(getattr(bs, name)), name
