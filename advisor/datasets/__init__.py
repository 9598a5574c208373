"""Dataset tooling for fine-tuning: validate, describe, convert and split Bedrock conversation JSONL.

Modules: ``records`` (per-record rules for both Bedrock record formats, token estimate, digests),
``jsonl`` (bounded-memory line reading, ``-`` for standard input), ``validate``, ``stats``,
``convert``, ``split``, ``catalogue`` (which model applies). Record formats and limits always come
from the model catalogue (``record_format``, ``limits``, ``uses_validation_set``, ``tool_use_in_sft``);
a limit of None is unknown and never checked.

Entry points for other code (the launchers)::

    from advisor.datasets import dataset_model, validate_files, convert_file
    model = dataset_model(rulebase, "nova-micro")           # a ModelSpec; UsageError if unusable
    report = validate_files("train.jsonl", None, model)      # ValidationReport: .valid, .to_dict()
    result = convert_file("chats.jsonl", "openai", "bedrock-2024", "train.jsonl", model=model)
    # ConvertResult: .read, .written, .skipped, .problems; the output is written whole or not at all

Both raise :class:`advisor.errors.InputError` (exit 2) when a file can't be read or written.
"""

from advisor.datasets.catalogue import dataset_model
from advisor.datasets.records import RecordLimits, check_record
from advisor.datasets.validate import Problem, ValidationReport, validate_dataset, validate_files

__all__ = ["Problem", "RecordLimits", "ValidationReport", "check_record", "convert_file", "dataset_model",
           "validate_dataset", "validate_files"]


def convert_file(*args, **kwargs):
    """See :func:`advisor.datasets.convert.convert_file` (imported on first use to keep start-up light)."""
    from advisor.datasets.convert import convert_file as run

    return run(*args, **kwargs)
