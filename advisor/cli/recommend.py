"""``advisor recommend``: a headless recommendation from an answers file (contract.md)."""

from __future__ import annotations

FORMATS = ("text", "json", "markdown", "html", "adr")


def add_parser(sub) -> None:
    p = sub.add_parser("recommend", help="recommend a path from an answers file, without the interface")
    p.add_argument("--answers", metavar="FILE", required=True, help="answers file (YAML or JSON)")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="PATH", help="write to PATH instead of standard output")
    p.add_argument("--prices", metavar="FILE",
                   help="your own prices (same shape as rules/prices.yaml), overriding and adding to the shipped ones")
    p.set_defaults(handler=run)


def run(args) -> int:
    from advisor.answers import load_answers, validate_answers
    from advisor.errors import EXIT_OK, EXIT_UNDETERMINED
    from advisor.knowledge import load_rulebase

    rulebase = load_rulebase(args.rules)
    answers = validate_answers(rulebase, load_answers(args.answers))
    rec = make_engine(rulebase, args.prices).recommend(answers)
    text = render(rec, args.format, rulebase)
    write_output(text, args.output)
    return EXIT_OK if rec.path else EXIT_UNDETERMINED


def make_engine(rulebase, prices_file: str | None = None):
    """The engine, with the economics using ``prices_file`` (else ``ADVISOR_PRICES``, else shipped prices)."""
    from advisor.economics.derivation import economist_from_env
    from advisor.engine import Engine

    return Engine(rulebase, economics=economist_from_env(prices_file))


def render(rec, fmt: str, rulebase) -> str:
    """The recommendation in one of FORMATS."""
    if fmt == "json":
        import json

        return json.dumps(rec.contract_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        from advisor.render.text import render_text

        return render_text(rec)
    try:
        from advisor.reports import render_report
    except ImportError:
        from advisor.errors import UsageError

        raise UsageError(f"the {fmt} report is not available in this build; use --format text or json") from None
    return render_report(rec, fmt, rulebase)


def write_output(text: str, output: str | None) -> None:
    import sys

    if output is None or output == "-":
        sys.stdout.write(text)
        return
    from pathlib import Path

    from advisor.errors import InputError, Location

    try:
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", Location(output)) from None
