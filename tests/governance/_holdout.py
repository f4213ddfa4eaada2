"""Test helpers for the holdout arm: a registry with one, and a customer in a given arm."""

from __future__ import annotations

from pathlib import Path

from guardrail.governance.arms import in_holdout
from guardrail.registry import Registry


def holdout_overlay(tmp: Path, share: float = 0.5, salt: str = "holdout-1") -> Path:
    """An overlay folder on the shipped registry with a holdout of `share`."""
    folder = tmp / f"holdout-{share}-{salt}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "00-overlay.yaml").write_text(
        "extends: default\nsettings:\n  governance:\n    holdout:\n"
        f"      share: {share}\n      salt: {salt}\n", encoding="utf-8")
    return folder


def customer_in(registry: Registry, arm: str = "holdout", start: int = 0) -> str:
    """A customer id `registry`'s holdout puts in `arm`."""
    holdout = registry.settings.governance.holdout
    for n in range(start, start + 10_000):
        key = f"cus_{n}"
        if in_holdout(holdout.share, holdout.salt, key) == (arm == "holdout"):
            return key
    raise AssertionError("no customer found")
