"""``advisor rules check``: validate and verify a rule base."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("rules", help="work with rule bases")
    rsub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    check = rsub.add_parser("check", help="validate, lint and exhaustively verify a rule base")
    check.add_argument("--rules", metavar="DIR", help="the rule base to check (default: the shipped one)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--stale-days", type=int, metavar="N",
                       help="report sources older than N days (default: the rule base's stale_after_days)")
    check.set_defaults(handler=run_check)
    p.set_defaults(handler=lambda args: p.print_help() or 2)


def run_check(args) -> int:
    from advisor.verify import check_rulebase, render_findings

    report = check_rulebase(args.rules, stale_days=args.stale_days)
    print(render_findings(report, args.format), end="")
    return report.exit_code
