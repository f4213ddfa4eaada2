"""Adapters that put guardrail between a chatbot framework and its tools.

Import the one you use:

- `guardrail.adapters.langchain`: agent middleware for LangChain's `create_agent` (works beside
  `HumanInTheLoopMiddleware`);
- `guardrail.adapters.openai`: the official client, as a drop-in (``chat.completions.create``,
  ``responses.create``, streaming) or through `GuardedOpenAI.create`;
- `guardrail.adapters.openai_responses`: the Responses API half of that client;
- `guardrail.adapters.openai_agents`: the OpenAI Agents SDK (input and tool guardrails);
- `guardrail.adapters.retriever`: retrieval scoped by the decision.

This package imports none of them, so importing it never imports langchain or openai.
"""

__all__: list[str] = []
