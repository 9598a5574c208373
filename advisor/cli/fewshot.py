"""``advisor fewshot select``: the worked examples to put in a prompt for one input (see advisor.fewshot)."""

from __future__ import annotations

import json

from advisor.errors import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("fewshot", help="choose few-shot examples from a pool",
                       description="Few-shot prompting: choose worked examples for an input from a pool.")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
    fsub = p.add_subparsers(dest="fewshot_command", metavar="SUBCOMMAND")
    s = fsub.add_parser(
        "select", help="the k examples to show with one input",
        description="Similar to the query (BM25), diverse among themselves (maximal marginal relevance), "
                    "label-balanced when the pool has labels; never the query itself or a duplicate of it. "
                    "The pool is JSONL: Bedrock conversation records or {\"input\", \"output\", \"label\"}. "
                    "Its index is cached by content hash, so later queries on the same pool are fast.")
    s.add_argument("--pool", required=True, metavar="FILE", help="pool of worked examples (JSONL)")
    s.add_argument("--query", required=True, metavar="TEXT", help="the input to choose examples for")
    s.add_argument("-k", type=int, default=5, metavar="N", help="number of examples (default 5)")
    s.add_argument("--diversity", type=float, default=None, metavar="LAMBDA",
                   help="MMR trade-off: 1 = pure similarity, lower = more diverse (default 0.7)")
    s.add_argument("--no-balance", action="store_true", help="do not balance labels")
    s.add_argument("--cache-dir", metavar="DIR", help="where pool indexes are cached (default ~/.cache/advisor/fewshot)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(handler=run_select)


def run_select(args) -> int:
    from advisor.fewshot import SelectionSettings, Selector

    if args.k < 0:
        raise UsageError("-k must be 0 or more")
    lam = 0.7 if args.diversity is None else args.diversity
    if not 0.0 <= lam <= 1.0:
        raise UsageError("--diversity must be between 0 and 1")
    from advisor.cli._notes import detail

    detail(f"reading the pool {args.pool}")
    settings = SelectionSettings(k=args.k, mmr_lambda=lam, balance_labels=not args.no_balance)
    with Selector(args.pool, args.cache_dir, settings) as selector:
        chosen = selector.select(args.query, args.k)
    if args.format == "json":
        print(json.dumps({"examples": [c.to_json() for c in chosen]}, ensure_ascii=False, indent=2))
        return 0
    if not chosen:
        print("no examples (k is 0)")
    for c in chosen:
        label = f" [{c.example.label}]" if c.example.label is not None else ""
        print(f"line {c.example.id}{label}  score {c.score:.3f}")
        print(f"  input:  {_one_line(c.example.input)}")
        print(f"  output: {_one_line(c.example.output)}")
    return 0


def _one_line(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    # terminal escapes in user text must not reach the terminal
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"
