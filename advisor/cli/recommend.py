"""``advisor recommend``: a headless recommendation from an answers file (contract.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from advisor.errors import EXIT_OK, EXIT_UNDETERMINED, InputError, Location
from advisor.reports.formats import FORMATS, format_names, render_report

__all__ = ["FORMATS", "add_parser", "run", "make_engine", "render", "write_output"]

# The renderer of every format, by name (kept under this name for callers of the CLI module).
render = render_report


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("recommend", help="recommend a path from an answers file, without the interface")
    p.add_argument("--answers", metavar="FILE", required=True, help="answers file (YAML or JSON)")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    names = format_names()
    p.add_argument("--format", choices=names, default=names[0], help=f"output format (default: {names[0]})")
    p.add_argument("--output", metavar="PATH", help="write to PATH instead of standard output")
    p.add_argument("--evidence", metavar="RESULTS",
                   help="an eval run's results.json: answers gap_measured_with_evals and reports the measured gap")
    p.add_argument("--prices", metavar="FILE",
                   help="your own prices (same shape as rules/prices.yaml), overriding and adding to the shipped ones")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from advisor.answers import load_answers, validate_answers
    from advisor.knowledge import load_rulebase

    rulebase = load_rulebase(args.rules)
    answers = validate_answers(rulebase, load_answers(args.answers))
    from advisor.engine.evidence import recommend_with_evidence

    rec = recommend_with_evidence(make_engine(rulebase, args.prices), answers, getattr(args, "evidence", None))
    text = render_report(rec, args.format, rulebase)
    write_output(text, args.output)
    return EXIT_OK if rec.path else EXIT_UNDETERMINED


def make_engine(rulebase, prices_file: str | None = None):
    """The engine, with the economics using ``prices_file`` (else ``ADVISOR_PRICES``, else shipped prices)."""
    from advisor.economics.derivation import economist_from_env
    from advisor.engine import Engine

    return Engine(rulebase, economics=economist_from_env(prices_file))


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", Location(output)) from None
