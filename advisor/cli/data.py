"""``advisor data …``: dataset tooling (validate, stats, convert, split).

Exit codes (contract): 0 done / valid; 1 the data was read and fails the check (invalid records, a
record count out of the model's limits, records skipped by ``convert``); 2 unreadable file or usage.
Every FILE argument may be ``-`` for standard input.
"""

from __future__ import annotations

import argparse
import json
import sys

# kept in step with advisor.datasets.convert (not imported here, so --help stays fast)
INPUT_FORMATS = ("bedrock", "bedrock-2024", "openai", "sharegpt", "distillation", "prompt-completion", "csv",
                 "tatqa")
OUTPUT_FORMATS = ("bedrock", "bedrock-2024", "openai", "sharegpt", "distillation")


def _common(p: argparse.ArgumentParser, fmt: bool = True) -> None:
    p.add_argument("--model", metavar="ID",
                   help="catalogue id whose record format and limits apply, e.g. nova-micro "
                        "(default: the rule base's fine-tuning model)")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    if fmt:
        p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("must be at least 0 and below 1")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="validate, inspect, convert and split fine-tuning datasets",
                       description="Dataset tooling for Bedrock fine-tuning: the target model's record format "
                                   "(bedrock-conversation-2024 for Nova and Llama, bedrock-claude-conversation "
                                   "for Claude 3 Haiku) and limits, from the model catalogue.")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
    cmds = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=type(p))

    v = cmds.add_parser("validate", help="check a dataset the way Bedrock would (exit 1 when it would fail)")
    v.add_argument("file", metavar="FILE", help="training JSONL (- for standard input)")
    v.add_argument("--validation", metavar="FILE", help="validation JSONL (checked too, and for leakage)")
    _common(v)
    v.add_argument("--max-per-code", type=_non_negative, default=10, metavar="N",
                   help="list at most N problems of each kind (0 = all); all are counted (default 10)")
    v.add_argument("--min-answer-chars", type=_non_negative, default=3, metavar="N",
                   help="warn about answers shorter than N characters (0 = never; default 3)")
    v.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    v.add_argument("--no-duplicate-check", dest="check_duplicates", action="store_false",
                   help="skip duplicate, conflicting-answer and leakage checks: memory then stays flat "
                        "(they keep ~200 bytes a record)")
    v.set_defaults(handler=run_validate)

    s = cmds.add_parser("stats", help="record, token and turn distributions, labels and starting hyperparameters")
    s.add_argument("file", metavar="FILE", help="Bedrock JSONL (- for standard input)")
    s.add_argument("--epochs", type=_positive, metavar="N",
                   help="epochs for the billed-token estimate (default: the plan, else the model's API default)")
    _common(s)
    s.set_defaults(handler=run_stats)

    c = cmds.add_parser("convert", help="convert between Bedrock JSONL and other formats")
    c.add_argument("file", metavar="FILE", help="input file (- for standard input)")
    c.add_argument("--from", dest="source_format", choices=INPUT_FORMATS, required=True, help="input format")
    c.add_argument("--to", dest="target_format", choices=OUTPUT_FORMATS, default=None,
                   help="output format (default: the --model's record format, else bedrock); bedrock is "
                        "Claude 3 Haiku's format, bedrock-2024 Nova's and Llama's")
    c.add_argument("-o", "--output", metavar="PATH",
                   help="output file, written whole or not at all (default stdout)")
    c.add_argument("--weight-zero", choices=("drop", "keep"), default="drop",
                   help="OpenAI assistant turns with weight 0: drop them with the user turn before them (default) "
                        "or keep them as ordinary turns, which Bedrock trains on; the summary counts them")
    c.add_argument("--system", metavar="TEXT",
                   help="system prompt for records without one (TAT-QA: replaces the default)")
    c.add_argument("--prompt-field", default="prompt", metavar="NAME", help="prompt column/key (default prompt)")
    c.add_argument("--completion-field", default="completion", metavar="NAME",
                   help="completion column/key (default completion)")
    c.add_argument("--prompts-only", action="store_true",
                   help="distillation: drop the assistant turn so the teacher writes the answers")
    _common(c)
    c.set_defaults(handler=run_convert)

    sp = cmds.add_parser("split", help="seeded train/validation/test split: de-duplicated, leak-free, within limits")
    sp.add_argument("file", metavar="FILE", help="Bedrock JSONL (- for standard input)")
    sp.add_argument("--out-dir", required=True, metavar="DIR", help="directory for train/validation/test.jsonl")
    sp.add_argument("--validation", type=_fraction, default=0.1, metavar="FRACTION", help="default 0.1")
    sp.add_argument("--test", type=_fraction, default=0.1, metavar="FRACTION", help="default 0.1")
    sp.add_argument("--seed", type=int, default=0, help="shuffle seed (default 0)")
    _common(sp)
    sp.set_defaults(handler=run_split)


def _model(args):
    from advisor.datasets.catalogue import dataset_model
    from advisor.knowledge import load_rulebase

    rulebase = load_rulebase(args.rules or None)
    model = dataset_model(rulebase, args.model)
    _read_note(args, model.id)
    return rulebase, model


def _read_note(args, model_id: str) -> None:
    """-v: which data file and rule base were read, and the model whose limits apply."""
    from advisor.cli._notes import detail

    detail(f"reading {'standard input' if args.file == '-' else args.file}; rule base "
           f"{args.rules or 'shipped with advisor'}; model {model_id}")


def run_validate(args) -> int:
    from advisor.datasets.catalogue import dataset_model_fast
    from advisor.datasets.validate import validate_dataset

    model = dataset_model_fast(args.rules or None, args.model)
    _read_note(args, model.id)
    report = validate_dataset(args.file, args.validation, model, max_per_code=args.max_per_code,
                              min_answer_chars=args.min_answer_chars, strict=args.strict,
                              check_duplicates=args.check_duplicates)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.render_text())
    return 0 if report.valid else 1


def run_stats(args) -> int:
    from advisor.datasets.stats import dataset_stats

    rulebase, model = _model(args)
    result = dataset_stats(args.file, model, rulebase, epochs=args.epochs)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.render_text())
    return 0


def run_convert(args) -> int:
    from advisor.datasets.convert import FORMAT_OF_RECORD, convert_file
    from advisor.errors import UsageError

    target = args.target_format
    model = None
    if args.model is not None or target in (None, "bedrock", "bedrock-2024"):
        rulebase, model = _model(args)
        if target is None:
            target = FORMAT_OF_RECORD[model.record_format] if args.model is not None else "bedrock"
        if target not in ("bedrock", "bedrock-2024") or FORMAT_OF_RECORD.get(model.record_format) != target:
            if args.model is not None and target in ("bedrock", "bedrock-2024"):
                raise UsageError(f"--model {model.id} reads {model.record_format} records: use --to "
                                 f"{FORMAT_OF_RECORD[model.record_format]}, or another --model")
            model = None  # records are not checked against a model of another format
    if args.format == "json" and not args.output:
        raise UsageError("--format json prints the summary on standard output, where the records go "
                         "without -o: add -o FILE")
    result = convert_file(args.file, args.source_format, target, args.output, model=model,
                          prompt_field=args.prompt_field, completion_field=args.completion_field,
                          system=args.system, prompts_only=args.prompts_only, weight_zero=args.weight_zero)
    from advisor.datasets.jsonl import display_name

    source = display_name(args.file)
    if args.format == "json":
        payload = result.to_dict(source, args.source_format, target, args.output)
        payload["model"] = model.id if model is not None else None
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 1 if result.skipped else 0
    for problem in result.problems:
        print(f"advisor: {problem.location(source)}: skipped: {problem.message}", file=sys.stderr)
    if result.skipped > len(result.problems):
        print(f"advisor: ... and {result.skipped - len(result.problems):,} more skipped", file=sys.stderr)
    checked = f", checked for {model.id}" if model is not None else ""
    if model is None and target in ("bedrock", "bedrock-2024"):
        checked = ", not checked against a model: add --model ID"
    from advisor.cli._notes import note

    note(f"{result.read:,} records read, {result.written:,} written, {result.skipped:,} skipped "
         f"({args.source_format} -> {target}{checked})")
    weight_note = result.weight_zero_summary()
    if weight_note:
        note(weight_note)
    return 1 if result.skipped else 0


def run_split(args) -> int:
    from advisor.datasets.split import split_dataset

    _, model = _model(args)
    result = split_dataset(args.file, args.out_dir, model, validation=args.validation, test=args.test,
                           seed=args.seed)
    limits = model.limits
    failures = []
    if result.counts["train"] == 0:
        failures.append(f"no usable records for training (run advisor data validate {args.file} --model {model.id})")
    elif limits.min_training_records is not None and result.counts["train"] < limits.min_training_records:
        failures.append(f"training has {result.counts['train']:,} records; {model.id} needs at least "
                        f"{limits.min_training_records:,}")
    if ("validation" in result.files and limits.min_validation_records is not None
            and result.counts["validation"] < limits.min_validation_records):
        failures.append(f"validation has {result.counts['validation']:,} records; {model.id} needs at least "
                        f"{limits.min_validation_records:,}")
    if args.format == "json":
        payload = result.to_dict()
        payload["valid"] = not failures
        payload["errors"] = failures
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for problem in result.problems:
            print(problem)
        if result.rejected > len(result.problems):
            print(f"... and {result.rejected - len(result.problems):,} more skipped")
        print(f"read {result.read:,} records; removed {result.duplicates:,} duplicates and skipped "
              f"{result.rejected:,} invalid (seed {result.seed})")
        for split, path in result.files.items():
            print(f"  {split:<10} {result.counts[split]:>7,}  {path}")
        for note in result.notes:
            print(f"note: {note}")
        for failure in failures:
            print(f"error: {failure}")
    return 1 if failures else 0
