"""Where the shipped registry and prompts are: inside the wheel, or at the root of a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["default_need_model_dir", "default_prompts_dir", "default_registry_dir"]


def _shipped(name: str) -> Path:
    packaged = resources.files("guardrail") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    # An editable install or a plain checkout: the folders sit at the repository root.
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"guardrail's shipped {name}/ folder is missing from this install")


def default_registry_dir() -> Path:
    """The folder of the default segment registry."""
    return _shipped("segments")


def default_prompts_dir() -> Path:
    """The folder of the shipped prompts."""
    return _shipped("prompts")


def default_need_model_dir() -> Path:
    """The folder of the shipped need-state model (inside the package)."""
    return Path(str(resources.files("guardrail") / "_data" / "models" / "need_default"))


def default_injection_model_dir() -> Path:
    """The folder of the shipped injection model (inside the package)."""
    return Path(str(resources.files("guardrail") / "_data" / "models" / "injection_default"))
