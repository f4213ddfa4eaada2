"""The need-state: the learned model (default), its features and training, the LLM option."""

from guardrail.need.llm import LLMNeedClassifier, LLMVerdict
from guardrail.need.model import NeedModel, NeedPrediction

__all__ = ["LLMNeedClassifier", "LLMVerdict", "NeedModel", "NeedPrediction"]
