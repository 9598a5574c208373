"""Pick the model whose dataset limits apply: ``--model ID`` or the rule base's fine-tuning model."""

from __future__ import annotations

from advisor.errors import UsageError

__all__ = ["CONVERSATION_FORMAT", "dataset_model"]

CONVERSATION_FORMAT = "bedrock-claude-conversation"


def dataset_model(rulebase, model_id: str | None = None):
    """The catalogue entry (``ModelSpec``) to validate against; :class:`UsageError` when unusable."""
    if model_id is None:
        model = rulebase.fine_tune_model
        if model is None:
            raise UsageError(f"the rule base names fine-tuning model {rulebase.info.fine_tune_model!r}, "
                             "which is not in its model catalogue")
    else:
        model = rulebase.models.get(model_id)
        if model is None:
            known = ", ".join(sorted(rulebase.models)) or "none"
            raise UsageError(f"unknown model {model_id!r}; the catalogue has: {known}")
    if model.limits is None:
        raise UsageError(f"model {model.id!r} has no dataset limits in the catalogue")
    if model.record_format != CONVERSATION_FORMAT:
        raise UsageError(f"model {model.id!r} uses record format {model.record_format!r}; "
                         f"only {CONVERSATION_FORMAT!r} is supported")
    return model
