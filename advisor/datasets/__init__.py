"""Dataset tooling for fine-tuning: validate, describe, convert and split Bedrock conversation JSONL.

Modules: ``records`` (per-record rules, token estimate, digests), ``jsonl`` (bounded-memory line
reading), ``validate``, ``stats``, ``convert``, ``split``. Limits always come from the model catalogue.
"""

from advisor.datasets.catalogue import dataset_model
from advisor.datasets.records import RecordLimits, check_record
from advisor.datasets.validate import Problem, ValidationReport, validate_dataset

__all__ = ["Problem", "RecordLimits", "ValidationReport", "check_record", "dataset_model", "validate_dataset"]
