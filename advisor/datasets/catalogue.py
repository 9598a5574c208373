"""Pick the model whose dataset limits apply: ``--model ID`` or the rule base's fine-tuning model."""

from __future__ import annotations

from advisor.errors import UsageError

__all__ = ["CONVERSATION_FORMAT", "RECORD_FORMATS", "dataset_model"]

CONVERSATION_FORMAT = "bedrock-claude-conversation"
RECORD_FORMATS = ("bedrock-claude-conversation", "bedrock-conversation-2024")


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
    if model.record_format not in RECORD_FORMATS:
        raise UsageError(f"model {model.id!r} uses record format {model.record_format!r}; "
                         f"advisor data supports {' and '.join(RECORD_FORMATS)}")
    if model.limits is None:  # nothing documented: every limit unknown (checks skipped and said so)
        from advisor.knowledge.models import ModelLimits

        model = model.model_copy(update={"limits": ModelLimits()})
    return model
