"""The one pydantic base for boundary objects: validated at the edge, frozen, no unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel"]


class FrozenModel(BaseModel):
    """A frozen pydantic model that rejects unknown keys (``extra="forbid"``).

    Registry files, scenarios, labelled cases, audit records, summaries and decisions all derive
    from it, so a typo in a key is an error at the boundary rather than a silently ignored field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
