"""``advisor eval …``: score predictions offline, run base-vs-improved evaluations, manage the cache.

``eval score`` imports only the metric code (no boto3, no openai) so it starts fast.

Exit codes of ``eval run`` (and ``eval score``):

* 0 — every call answered and every threshold met;
* 1 — a threshold was missed (the run is complete and fails the check), as the contract's 1;
* 2 — unusable input or usage (config, data, schema, output folder, another run holds the folder);
* 5 — calls failed or were not made (errors after retries, or ``--max-cost`` stopped the run): the
  scores are incomplete; ``--retry-errors`` (or a higher cap) finishes them. Wins over 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

METRICS = ("tatqa", "f1", "squad", "exact", "accuracy", "json")
EXIT_CALLS_FAILED = 5

RUN_EPILOG = """exit codes:
  0  every call answered and every threshold met
  1  a threshold was missed (results are complete and fail the check)
  2  unusable input: config, data, schema, output folder, or the folder is in use by another run
  5  calls failed or were not made (errors after retries, or --max-cost reached); re-run with
     --retry-errors (or a higher --max-cost) to finish; takes precedence over 1

examples:
  advisor eval run --config examples/eval-tatqa.yaml
  advisor eval run --config eval.yaml --sample 20 --seed 1 --max-cost 0.50
  advisor eval run --config eval.yaml --repeat 3 --retry-errors
  advisor eval cache info
"""


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score predictions and run evaluations",
                       description="Score predictions offline (score) or run variants × a test set (run).")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
    evsub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")

    s = evsub.add_parser("score", help="score a predictions file against gold answers",
                         description="Score predictions offline. tatqa equals the official TAT-QA scorer. "
                                     "Every figure comes with a 95%% bootstrap interval.",
                         epilog="exit codes: 0 scored; 1 a --fail-under bar was missed; 2 unusable input\n\n"
                                "examples:\n  advisor eval score --metric tatqa --gold dev.json "
                                "--predictions pred.json --fail-under f1=60\n"
                                "  advisor eval score --metric json --gold schema.json --predictions out.jsonl",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--metric", required=True, choices=METRICS)
    s.add_argument("--gold", metavar="FILE", help="gold answers (for json: an optional JSON Schema); "
                                                  "- for standard input")
    s.add_argument("--predictions", required=True, metavar="FILE",
                   help="predictions (- for standard input; only one of the two can be -)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--fail-under", action="append", default=[], metavar="KEY=VALUE",
                   help="exit 1 when a result key (e.g. f1=60) is below VALUE; repeatable")
    s.set_defaults(handler=run_score)

    r = evsub.add_parser("run", help="run variants (model, prompt, few-shot, context) over a test set",
                         description="Run every variant of a config over its test set, with caching, retries, "
                                     "resume, bootstrap intervals and paired comparisons.",
                         epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--config", required=True, metavar="FILE")
    r.add_argument("--output", metavar="DIR", help="results folder (default: output_dir of the config, "
                                                   "else ./eval-runs/NAME)")
    r.add_argument("--cache-dir", metavar="DIR", help="response cache (default: ~/.cache/advisor/responses)")
    r.add_argument("--no-cache", action="store_true", help="neither read nor write cached responses")
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--retry-errors", action="store_true", help="also re-run rows that ended in an error")
    mode.add_argument("--rerun-all", action="store_true",
                      help="start a fresh results file and call every model again (ignores cached answers)")
    subset = r.add_mutually_exclusive_group()
    subset.add_argument("--limit", type=int, metavar="N", help="only the first N examples")
    subset.add_argument("--sample", type=int, metavar="N", help="N examples drawn at random (see --seed)")
    r.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    r.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run every call N times (fresh samples) and report the spread")
    r.add_argument("--max-cost", type=float, metavar="USD",
                   help="stop before the calls' cost could exceed USD (upper-bound estimate per call); "
                        "finished calls are kept")
    r.add_argument("--dry-run", action="store_true", help="check the config and print the cost estimate; "
                                                          "make no call")
    r.add_argument("--wait", action="store_true",
                   help="when another run is writing to the same folder, wait for it instead of stopping")
    r.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="always draw a progress bar")
    r.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress output (default: a bar on a terminal, a line every 10 s otherwise)")
    r.add_argument("--format", choices=("text", "json"), default="text", help="what to print on stdout")
    r.set_defaults(handler=run_run)

    c = evsub.add_parser("cache", help="inspect or empty the response cache",
                         description="The response cache holds successful model answers by content address.",
                         epilog="examples:\n  advisor eval cache info\n  advisor eval cache prune --older-than 30d\n"
                                "  advisor eval cache clear --cache-dir ./cache",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("action", choices=("info", "clear", "prune"))
    c.add_argument("--cache-dir", metavar="DIR", help="cache folder (default: ~/.cache/advisor/responses)")
    c.add_argument("--older-than", metavar="AGE", default="14d",
                   help="prune: remove entries older than AGE (e.g. 14d, 12h, 30m; default 14d)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(handler=run_cache)


def _thresholds(items: list[str]) -> dict[str, float]:
    from advisor.errors import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            raise UsageError(f"--fail-under expects KEY=NUMBER, got {item!r}") from None
        if not sep or not key.strip():
            raise UsageError(f"--fail-under expects KEY=NUMBER, got {item!r}")
        if not math.isfinite(number):
            raise UsageError(f"--fail-under expects a finite number, got {item!r}")
        out[key.strip()] = number
    return out


def run_score(args: argparse.Namespace) -> int:
    """``advisor eval score``."""
    from advisor.evals.scoring import render_text, score_files

    from advisor.cli._notes import detail
    from advisor.errors import UsageError

    limits = _thresholds(args.fail_under)
    if args.gold == "-" and args.predictions == "-":
        raise UsageError("only one of --gold and --predictions can be - (standard input)")
    detail(f"reading gold {args.gold or '(none)'} and predictions {args.predictions} "
           "(- is standard input)")
    result = score_files(args.metric, args.gold, args.predictions)
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(render_text(result))
    missed = [f"{k} {result.get(k)} < {v:g}" for k, v in limits.items()
              if not isinstance(result.get(k), (int, float)) or result[k] < v]
    for miss in missed:
        print(f"advisor: threshold missed: {miss}", file=sys.stderr)
    return 1 if missed else 0


def run_run(args: argparse.Namespace) -> int:
    """``advisor eval run``."""
    from pathlib import Path

    from advisor.errors import UsageError
    from advisor.evals.harness import RunOptions, run_eval
    from advisor.evals.report import build_report, render_terminal, write_outputs

    if args.max_cost is not None and not (math.isfinite(args.max_cost) and args.max_cost >= 0):
        raise UsageError(f"--max-cost expects a non-negative number of US dollars, got {args.max_cost}")
    for flag in ("limit", "sample", "repeat"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag} expects a whole number of at least 1, got {value}")

    from advisor.cli._notes import detail, note, quiet

    def announce(text: str) -> None:
        note(f"estimate: {text}")

    detail(f"reading the eval config {args.config}")
    if quiet() and args.progress is None:
        args.progress = False  # -q: no progress lines unless --progress asks for them

    options = RunOptions(retry_errors=args.retry_errors, rerun_all=args.rerun_all, use_cache=not args.no_cache,
                         cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                         output_dir=Path(args.output) if args.output else None, progress=args.progress,
                         limit=args.limit, sample=args.sample, sample_seed=args.seed, repeat=args.repeat,
                         max_cost=args.max_cost, wait_for_lock=args.wait, announce=announce,
                         dry_run=args.dry_run)
    result = run_eval(args.config, options)
    if args.dry_run:
        print(f"dry run: {result.stats.planned} calls planned, nothing called")
        return 0
    report = build_report(result)
    written = write_outputs(report, result.output_dir)
    stats = result.stats
    if args.format == "json":
        doc = report.as_dict()
        doc.pop("rows")
        doc["outputs"] = [str(p) for p in written]
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(render_terminal(report))
        line = (f"\n{stats.planned} calls planned: {stats.skipped} already done, {stats.called} made, "
                f"{stats.cached} from cache, {stats.errors} failed, {stats.retries} retries "
                f"({stats.seconds:.1f} s)")
        if stats.judge_called or stats.judge_cached:
            line += f"; judge: {stats.judge_called} made, {stats.judge_cached} from cache"
        if not quiet():
            print(line)
            print("wrote " + ", ".join(str(p) for p in written))
    failed = report.errors
    if stats.budget_stopped:
        print(f"advisor: stopped at --max-cost ${args.max_cost:g}: {stats.not_run} calls were not made "
              f"(spent about ${stats.spent_usd:.4f}); what was done is kept, re-run with a higher cap to finish",
              file=sys.stderr)
    if failed:
        print(f"advisor: {failed} calls have no answer; re-run with --retry-errors to try them again",
              file=sys.stderr)
        seen: list[str] = []
        for row in report.rows:
            if row.get("error") and row["error"] not in seen:
                seen.append(row["error"])
        for message in seen[:3]:  # the distinct causes, so a wrong model id is obvious at once
            print(f"advisor: error: {message}", file=sys.stderr)
    for miss in report.threshold_misses:
        print(f"advisor: threshold missed: {miss}", file=sys.stderr)
    if failed or stats.budget_stopped:
        return EXIT_CALLS_FAILED
    return 1 if report.threshold_misses else 0


def _age_seconds(text: str) -> float:
    from advisor.errors import UsageError

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = text.strip().lower()
    try:
        value = float(text[:-1]) if text[-1:] in units else float(text)
        unit = units.get(text[-1:], 86400)
    except (ValueError, IndexError):
        raise UsageError(f"--older-than expects an age like 14d, 12h or 30m, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--older-than expects a non-negative age, got {text!r}")
    return value * unit


def run_cache(args: argparse.Namespace) -> int:
    """``advisor eval cache info | clear | prune``."""
    from pathlib import Path

    from advisor.evals.cache import cache_info, clear_cache, default_cache_dir, prune_cache

    root = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if args.action == "info":
        doc = cache_info(root)
    elif args.action == "clear":
        doc = {"path": str(root), "removed": clear_cache(root)}
    else:
        doc = {"path": str(root), "removed": prune_cache(root, _age_seconds(args.older_than)),
               "older_than": args.older_than}
    if args.format == "json":
        print(json.dumps(doc, indent=2))
        return 0
    if args.action == "info":
        if not doc["exists"]:
            print(f"cache {doc['path']}: empty (no cache file yet)")
        else:
            print(f"cache {doc['path']}: {doc['entries']} responses, {doc['bytes'] / 1e6:.2f} MB"
                  + (f", oldest {doc['oldest']}, newest {doc['newest']}" if doc["entries"] else ""))
    else:
        print(f"removed {doc['removed']} cached responses from {doc['path']}")
    return 0
