"""``advisor eval …``: score predictions offline and run base-vs-improved evaluations.

``eval score`` imports only the metric code (no boto3, no openai) so it starts fast.
"""

from __future__ import annotations

import argparse
import json
import sys

METRICS = ("tatqa", "f1", "squad", "exact", "accuracy", "json")


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score predictions and run evaluations",
                       description="Score predictions offline (score) or run variants × a test set (run).")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
    evsub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")

    s = evsub.add_parser("score", help="score a predictions file against gold answers",
                         description="Score predictions offline. tatqa equals the official TAT-QA scorer.")
    s.add_argument("--metric", required=True, choices=METRICS)
    s.add_argument("--gold", metavar="FILE", help="gold answers (for json: an optional JSON Schema)")
    s.add_argument("--predictions", required=True, metavar="FILE")
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.add_argument("--fail-under", action="append", default=[], metavar="KEY=VALUE",
                   help="exit 1 when a result key (e.g. f1=60) is below VALUE; repeatable")
    s.set_defaults(handler=run_score)

    r = evsub.add_parser("run", help="run variants (model, prompt, few-shot, context) over a test set",
                         description="Run every variant of a config over its test set, with caching, "
                                     "retries and resume; exit 1 when a threshold is missed or calls failed.")
    r.add_argument("--config", required=True, metavar="FILE")
    r.add_argument("--output", metavar="DIR", help="results folder (default: output_dir of the config, "
                                                   "else ./eval-runs/NAME)")
    r.add_argument("--cache-dir", metavar="DIR", help="response cache (default: ~/.cache/advisor/responses)")
    r.add_argument("--no-cache", action="store_true", help="neither read nor write cached responses")
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--retry-errors", action="store_true", help="also re-run rows that ended in an error")
    mode.add_argument("--rerun-all", action="store_true",
                      help="start a fresh results file and call every model again (ignores cached answers)")
    r.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    r.add_argument("--format", choices=("text", "json"), default="text", help="what to print on stdout")
    r.set_defaults(handler=run_run)


def _thresholds(items: list[str]) -> dict[str, float]:
    from advisor.errors import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--fail-under expects KEY=NUMBER, got {item!r}") from None
        if not sep or not key.strip():
            raise UsageError(f"--fail-under expects KEY=NUMBER, got {item!r}")
    return out


def run_score(args: argparse.Namespace) -> int:
    """``advisor eval score``."""
    from advisor.evals.scoring import render_text, score_files

    limits = _thresholds(args.fail_under)
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

    from advisor.evals.harness import RunOptions, run_eval
    from advisor.evals.report import build_report, render_terminal, write_outputs

    options = RunOptions(retry_errors=args.retry_errors, rerun_all=args.rerun_all, use_cache=not args.no_cache,
                         cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                         output_dir=Path(args.output) if args.output else None, progress=args.progress)
    result = run_eval(args.config, options)
    report = build_report(result)
    written = write_outputs(report, result.output_dir)
    stats = result.stats
    if args.format == "json":
        print(json.dumps({"name": report.name, "metric": report.metric,
                          "variants": [v.as_dict() for v in report.variants],
                          "run": stats.__dict__, "outputs": [str(p) for p in written]}, indent=2))
    else:
        print(render_terminal(report))
        print(f"\n{stats.planned} calls planned: {stats.skipped} already done, {stats.called} made, "
              f"{stats.cached} from cache, {stats.errors} failed, {stats.retries} retries "
              f"({stats.seconds:.1f} s)")
        print("wrote " + ", ".join(str(p) for p in written))
    failed = report.errors
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
    return 1 if failed or report.threshold_misses else 0
