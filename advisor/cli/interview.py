"""``advisor interview``: the interview in the terminal UI (Textual is imported only here, lazily)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("interview", help="run the interview in the terminal (the default command)")
    p.add_argument("--answers", metavar="FILE", help="pre-fill answers from FILE and save progress to it")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    p.set_defaults(handler=run)


def run(args) -> int:
    from advisor.errors import UsageError

    raise UsageError("the terminal interview is not built yet; use `advisor recommend --answers FILE`")
