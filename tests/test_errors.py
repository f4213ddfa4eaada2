"""Every exception guardrail defines lives in guardrail.errors, drawn in its docstring tree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import guardrail
import guardrail.errors


def _modules() -> list[str]:
    names = [guardrail.__name__]
    for info in pkgutil.walk_packages(guardrail.__path__, prefix="guardrail."):
        if not info.name.endswith(".__main__"):  # running it is its import
            names.append(info.name)
    return names


def _defined_exceptions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == name and not attr.startswith("_")):
                found[f"{name}.{attr}"] = attr
    return found


def test_every_public_exception_is_defined_in_errors() -> None:
    defined = _defined_exceptions()
    elsewhere = sorted(path for path in defined if not path.startswith("guardrail.errors."))
    assert elsewhere == []
    assert len(defined) >= 15  # the walk did find the package's exceptions


def test_every_exception_is_in_the_docstring_tree_and_exported() -> None:
    doc = guardrail.errors.__doc__ or ""
    classes = [v for v in vars(guardrail.errors).values()
               if inspect.isclass(v) and issubclass(v, BaseException)
               and v.__module__ == "guardrail.errors"]
    for cls in classes:
        assert f"── {cls.__name__} " in doc or f"    {cls.__name__}\n" in doc, cls.__name__
        assert cls.__name__ in guardrail.errors.__all__
        assert issubclass(cls, guardrail.errors.GuardrailError)
        assert cls is guardrail.errors.GuardrailError or cls.__name__.endswith(
            ("Error", "Denied", "Required")), cls.__name__
