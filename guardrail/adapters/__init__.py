"""Adapters that put guardrail between a chatbot framework and its tools."""
