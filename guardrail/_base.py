"""The pydantic bases for boundary objects: validated at the edge, frozen, no unknown keys."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
)

from guardrail.errors import UserError

__all__ = ["CheckedModel", "FrozenModel", "describe_invalid"]


class FrozenModel(BaseModel):
    """A frozen pydantic model that rejects unknown keys (``extra="forbid"``).

    Registry files, scenarios, labelled cases, audit records, summaries and decisions all derive
    from it, so a typo in a key is an error at the boundary rather than a silently ignored field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckedModel(FrozenModel):
    """A `FrozenModel` built from the caller's input: invalid input raises one `UserError`
    naming the fields at fault (``invalid <what>: field: message; ...``), whatever the field
    or validator (a subclass's own ``after`` validators included), so a caller catches the
    library's error type and never a pydantic one."""

    what: ClassVar[str] = "input"

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise UserError(describe_invalid(exc, self.what)) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise UserError(describe_invalid(exc, cls.what)) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any,
                            **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise UserError(describe_invalid(exc, cls.what)) from None


def describe_invalid(exc: ValidationError, what: str, limit: int = 5) -> str:
    """``invalid <what>: loc: message; ...`` for the first `limit` errors of `exc`."""
    errors = exc.errors()
    parts = []
    for err in errors[:limit]:
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    more = len(errors) - limit
    return f"invalid {what}: " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
