"""`guardrail demo`: scripted support conversations through a real, guarded LangChain agent.

Needs the LangChain extra (``pip install 'guardrail-support[langchain]'``).
"""

from guardrail.demo.runner import Scenario, ScenarioRun, TurnRun, load_scenarios, run_demo

__all__ = ["Scenario", "ScenarioRun", "TurnRun", "load_scenarios", "run_demo"]
