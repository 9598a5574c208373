"""The inference engine and the Recommendation it returns."""

from advisor.engine.engine import Engine
from advisor.engine.hyperparameters import HyperparameterChoice, plan_hyperparameters
from advisor.engine.recommendation import Recommendation

__all__ = ["Engine", "HyperparameterChoice", "Recommendation", "plan_hyperparameters"]
