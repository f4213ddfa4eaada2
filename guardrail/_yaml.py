"""The one YAML loader: a file or text in, a validated model (or every issue, with where) out.

Registry files, eval scenarios, the eval config, prompts, vocabularies and labelled cases all go
through `load_yaml`/`parse_yaml`, so a problem always reads the same way: the file, the YAML path
inside it (``scenarios[3].turns[1].user``) and what is wrong. `describe` turns a pydantic
`ValidationError` into the one-line text a `UserError` carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from guardrail.errors import RegistryIssue

__all__ = ["describe", "load_yaml", "parse_yaml", "validation_issues", "yaml_path", "yaml_problem"]

_M = TypeVar("_M", bound=BaseModel)


def yaml_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a YAML path: ``scenarios[3].turns[1].user``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: where and what, without the echo of the input."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"not valid YAML{where}: {problem}"


def validation_issues(
    exc: ValidationError, file: str, prefix: Sequence[int | str] = ()
) -> list[RegistryIssue]:
    """Every error of `exc` as an issue in `file`, its location under `prefix`."""
    return [
        RegistryIssue(file, yaml_path((*prefix, *err["loc"])), err["msg"])
        for err in exc.errors(include_url=False, include_input=False)
    ]


def describe(exc: ValidationError, what: str = "input", limit: int = 5) -> str:
    """`exc` in one line for an error message: ``invalid what: loc: msg; ...`` (input left out).

    Args:
        exc: the validation error.
        what: what was being validated ("conversation", "history event").
        limit: at most this many problems are listed; the rest are counted.
    """
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{yaml_path(err['loc']) or what}: {err['msg']}" for err in errors[:limit]]
    more = len(errors) - limit
    return f"invalid {what}: " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_yaml(
    source: Path | bytes | str, file: str | None = None
) -> tuple[Any, list[RegistryIssue]]:
    """Read and parse YAML safely; an empty document is ``{}``.

    Args:
        source: a path to read, or the YAML text itself.
        file: the name issues are reported under (default: the path, or ``<text>``).

    Returns:
        The parsed data (None when it could not be read or parsed) and the issues found.
    """
    shown = file if file is not None else (str(source) if isinstance(source, Path) else "<text>")
    try:
        data = source.read_bytes() if isinstance(source, Path) else source
        loaded: Any = yaml.safe_load(data)
    except OSError as exc:
        return None, [RegistryIssue(shown, "", f"cannot read: {exc.strerror or exc}")]
    except yaml.YAMLError as exc:
        return None, [RegistryIssue(shown, "", yaml_problem(exc))]
    return ({} if loaded is None else loaded), []


def load_yaml(
    source: Path | bytes | str, model: type[_M], file: str | None = None
) -> tuple[_M | None, list[RegistryIssue]]:
    """Parse YAML and validate it into `model`: the model, or None and every issue with its path.

    Args:
        source: a path to read, or the YAML text itself.
        model: the pydantic model the document must match (a mapping at the top level).
        file: the name issues are reported under (default: the path, or ``<text>``).
    """
    shown = file if file is not None else (str(source) if isinstance(source, Path) else "<text>")
    data, issues = parse_yaml(source, shown)
    if issues:
        return None, issues
    if not isinstance(data, dict):
        return None, [RegistryIssue(shown, "", "the top level must be a mapping")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, validation_issues(exc, shown)
