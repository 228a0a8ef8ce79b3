"""Every public top-level function and class in imr_extract/ says what it is: a docstring of its own.

A class's docstring must be its own, not one inherited from a base class, nor the ``Name(field, ...)``
signature that dataclasses and named tuples write when none is given.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import imr_extract

# importing imr_extract.__main__ runs the command line
SKIPPED = {"imr_extract.__main__"}

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(imr_extract.__path__, "imr_extract.") if info.name not in SKIPPED
)


def _own_doc(obj: object) -> str:
    """The docstring ``obj`` declares itself, stripped; "" when it has none."""
    if inspect.isclass(obj):
        doc = inspect.cleandoc(vars(obj).get("__doc__") or "")
        # dataclasses and named tuples without a docstring get their signature as one
        if re.fullmatch(rf"{re.escape(obj.__name__)}\(.*\)", doc):
            return ""
        return doc
    return (inspect.getdoc(obj) or "").strip()


def _public_definitions(module_name: str) -> list[tuple[str, object]]:
    """The module's top-level functions and classes defined there (not imported) whose names are public."""
    module = importlib.import_module(module_name)
    found = []
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isclass(obj) or inspect.isfunction(inspect.unwrap(obj)):  # unwrap: lru_cache and the like
            found.append((name, obj))
    return found


def test_the_package_has_modules():
    assert "imr_extract.records" in MODULES and len(MODULES) > 10


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_and_classes_have_docstrings(module_name: str):
    missing = [f"{module_name}:{name}" for name, obj in _public_definitions(module_name) if not _own_doc(obj)]
    assert not missing, "no docstring:\n  " + "\n  ".join(missing)
