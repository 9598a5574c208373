"""``advisor recommend``: a headless recommendation from an answers file (contract.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from advisor.errors import EXIT_OK, EXIT_UNDETERMINED, InputError, Location, RuleBaseError, UsageError
from advisor.reports.formats import FORMATS, format_names, render_report

__all__ = ["FORMATS", "add_parser", "run", "make_engine", "render", "write_output"]

# The renderer of every format, by name (kept under this name for callers of the CLI module).
render = render_report


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recommend", help="recommend a path from an answers file, without the interface")
    p.add_argument("--answers", metavar="FILE", required=True, help="answers file (YAML or JSON; - for standard input)")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    names = format_names()
    p.add_argument("--format", choices=names, default=names[0], help=f"output format (default: {names[0]})")
    p.add_argument("--output", metavar="PATH", help="write to PATH instead of standard output")
    p.add_argument("--force", action="store_true", help="replace the --output file when it exists")
    p.add_argument("--evidence", metavar="RESULTS",
                   help="an eval run's results.json: answers gap_measured_with_evals and reports the measured gap")
    p.add_argument("--prices", metavar="FILE",
                   help="your own prices (same shape as rules/prices.yaml), overriding and adding to the shipped ones")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from advisor.answers import load_answers, validate_answers
    from advisor.errors import AnswerError
    from advisor.knowledge import load_rulebase

    check_output(args.output, args.answers, getattr(args, "force", False), args.prices)
    try:
        rulebase = load_rulebase(args.rules)
    except RuleBaseError as exc:
        raise _invalid_rulebase(exc.problems or [exc], args.rules) from None
    answers_file = load_answers(args.answers)
    try:
        answers = validate_answers(rulebase, answers_file)
    except AnswerError:
        _blame_rulebase_if_broken(rulebase, args.rules)
        raise
    from advisor.errors import clean_for_terminal, verbosity

    if verbosity() > 0:
        source = args.rules or "the shipped rule base"
        print(clean_for_terminal(f"advisor: rule base {rulebase.version} ({rulebase.hash}) from {source}; "
                                 f"{len(answers)} answers read from {answers_file.path}"), file=sys.stderr)
    engine = make_engine(rulebase, args.prices)
    try:
        from advisor.engine.evidence import recommend_with_evidence

        rec = recommend_with_evidence(engine, answers, getattr(args, "evidence", None))
    except (InputError, UsageError):
        raise
    except Exception:
        _blame_rulebase_if_broken(rulebase, args.rules)
        raise
    if not rec.path:
        # Undetermined: make sure it is not a broken rule base asking what it cannot use (only on this path,
        # the check takes about 0.1 s).
        _blame_rulebase_if_broken(rulebase, args.rules)
    if not rec.path and not rec.missing:
        # Nothing decided and nothing left to ask: the rule base has a hole, not the answers.
        raise _invalid_rulebase(
            [RuleBaseError("no rule decides a path for these answers and no question is left to ask")], args.rules)
    text = render_report(rec, args.format, rulebase)
    if args.format == "text":
        text = clean_for_terminal(text)
    write_output(text, args.output, force=True)
    return EXIT_OK if rec.path else EXIT_UNDETERMINED


def _rules_hint(rules_dir: str | None) -> str:
    return "advisor rules check" + (f" --rules {rules_dir}" if rules_dir else "")


def _invalid_rulebase(problems: list, rules_dir: str | None) -> RuleBaseError:
    """The rule base's problems plus one line saying it is the rule base, and what to run."""
    where = Location(str(rules_dir)) if rules_dir else Location("<shipped rule base>")
    summary = RuleBaseError(
        f"the rule base is invalid (not your answers); run `{_rules_hint(rules_dir)}` for every problem", where)
    return RuleBaseError(summary.message, where, problems=[*problems, summary])


def _blame_rulebase_if_broken(rulebase, rules_dir: str | None) -> None:
    """When a step failed, check the rule base's cross-references; errors there are the real cause."""
    from advisor.verify import CheckReport, _check_references

    report = CheckReport(str(rules_dir or ""))
    try:
        _check_references(rulebase, report)
    except Exception:  # noqa: BLE001 - a rule base too damaged to check is damaged
        raise _invalid_rulebase([], rules_dir) from None
    if report.errors:
        raise _invalid_rulebase([RuleBaseError(f.message, f.location) for f in report.errors[:20]], rules_dir)


def make_engine(rulebase, prices_file: str | None = None):
    """The engine, with the economics using ``prices_file`` (else ``ADVISOR_PRICES``, else shipped prices)."""
    from advisor.economics.derivation import economist_from_env
    from advisor.engine import Engine

    return Engine(rulebase, economics=economist_from_env(prices_file))


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(output: str | None, answers: str | None, force: bool, *inputs: str | None) -> None:
    """Refuse, before any work, an ``--output`` that would destroy an input or an existing file."""
    if output is None or output == "-":
        return
    for source in (answers, *inputs):
        if source and source != "-" and _same_file(output, source):
            what = "answers file" if source == answers else "input file"
            raise UsageError(f"--output is the {what}; it is never overwritten, choose another path",
                             Location(output))
    path = Path(output)
    if path.is_dir():
        raise UsageError("--output is a directory; name a file", Location(output))
    if path.exists() and not force:
        raise UsageError("--output exists; add --force to replace it", Location(output))


def write_output(text: str, output: str | None, force: bool = True) -> None:
    """Write ``text`` to ``output`` (standard output for None or ``-``), atomically: a temporary file is
    renamed over the target, so a failure never leaves half a report."""
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    import tempfile

    path = Path(output)
    if path.exists() and not force:
        raise UsageError("--output exists; add --force to replace it", Location(output))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # the usual permissions of a new file, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            reason = "a part of the folder path is a file, not a folder"
        raise InputError(f"cannot write output: {reason}", Location(output)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
