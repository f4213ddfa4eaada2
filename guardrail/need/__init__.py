"""The need-state: the classifier protocol, the learned model (default), its features and
training, the LLM option and the cascade of the two."""

from guardrail.need.cascade import CascadeClassifier
from guardrail.need.classifier import NeedClassifier, NeedPrediction
from guardrail.need.llm import LLMNeedClassifier, LLMVerdict
from guardrail.need.model import NeedModel

__all__ = [
    "CascadeClassifier",
    "LLMNeedClassifier",
    "LLMVerdict",
    "NeedClassifier",
    "NeedModel",
    "NeedPrediction",
]
