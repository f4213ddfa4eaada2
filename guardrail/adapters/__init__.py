"""Adapters that put guardrail between a chatbot framework and its tools.

Import the one you use: `guardrail.adapters.langchain` (agent middleware),
`guardrail.adapters.openai` (the official client) or `guardrail.adapters.retriever`. This package
imports none of them, so importing it never imports langchain or openai.
"""

__all__: list[str] = []
