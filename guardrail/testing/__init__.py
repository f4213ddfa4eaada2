"""Test helpers users can build on: a scripted, tool-calling chat model."""

from guardrail.testing.scripted import ModelCall, ScriptedChatModel, Tape

__all__ = ["ModelCall", "ScriptedChatModel", "Tape"]
