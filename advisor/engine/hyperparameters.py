"""Hyperparameters for the fine-tuning model by dataset size, each with its derivation."""


from pydantic import BaseModel, ConfigDict

__all__ = ["HyperparameterChoice", "plan_hyperparameters"]


class HyperparameterChoice(BaseModel):
    """One recommended setting: the value to start with, the range to explore, and why."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    value: float | int
    range: tuple[float | int, float | int]
    default: float | int | None
    api_min: float | int | None
    api_max: float | int | None
    rule: str
    because: str
    sources: list[str]
    clamped: bool = False


def _typed(value: float, kind: str | None) -> float | int:
    return int(round(value)) if kind == "int" else float(value)


def plan_hyperparameters(rulebase, training_examples: int) -> list[HyperparameterChoice]:
    """The first matching rule per parameter for ``training_examples``, clamped to the model's API range.

    ``rules check`` proves exactly one rule matches for every dataset size and that values already lie in
    the API range; clamping is a second line of defence for user-supplied rule bases.
    """
    table = rulebase.hyperparameters
    if table is None:
        return []
    model = rulebase.fine_tune_model
    facts = {"training_examples": training_examples}
    choices: list[HyperparameterChoice] = []
    for spec in table.parameters:
        rule = next((r for r in spec.rules if r.when.evaluate(facts) is True), None)
        if rule is None:
            continue
        api = model.hyperparameters.get(spec.name) if model else None
        kind = api.type if api else None
        value, low, high = rule.value, rule.range[0], rule.range[1]
        clamped = False
        if api is not None:
            bounded = [min(max(v, api.min), api.max) for v in (value, low, high)]
            clamped = bounded != [value, low, high]
            value, low, high = bounded
        choices.append(HyperparameterChoice(
            name=spec.name,
            value=_typed(value, kind),
            range=(_typed(low, kind), _typed(high, kind)),
            default=_typed(api.default, kind) if api else None,
            api_min=_typed(api.min, kind) if api else None,
            api_max=_typed(api.max, kind) if api else None,
            rule=rule.id,
            because=rule.because,
            sources=list(rule.sources),
            clamped=clamped,
        ))
    return choices

