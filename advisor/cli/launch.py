"""``advisor launch``: carry out a path, resumably; ``launch status`` and ``launch cleanup``.

Exit codes (contract): 0 done (or a dry run); 1 the input was read and fails a check (invalid
dataset, unknown or end-of-life model, bucket in another region, a failed job); 2 usage, unreadable
input, AWS set-up problems, or billed steps without ``--yes``/confirmation; 4 a long-running step is
still in progress (re-run the same command or ``launch status`` later).
"""

from __future__ import annotations

import argparse
import json
import sys

from advisor.errors import UsageError

EXIT_RUNNING = 4


def add_parser(sub) -> None:
    p = sub.add_parser(
        "launch", help="launch a path (plan, confirm billed steps, run, resume); status; cleanup",
        description="advisor launch [PATH] --answers FILE [options] | advisor launch status [NAME] | "
                    "advisor launch cleanup NAME [--yes]",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", metavar="PATH",
                   help="path id (bedrock_fine_tune, rag, few_shot, build_evals, stay_on_prompts, distill), "
                        "or status / cleanup")
    p.add_argument("launch_name", nargs="?", metavar="NAME", help="launch name (for status and cleanup)")
    p.add_argument("--answers", metavar="FILE", help="answers file (YAML or JSON)")
    p.add_argument("--rules", metavar="DIR", help="use the rule base in DIR instead of the shipped one")
    p.add_argument("--name", metavar="NAME", help="launch name (default: the path id with hyphens)")
    p.add_argument("--dry-run", action="store_true", help="write and print the plan; call nothing that creates or bills")
    p.add_argument("--yes", action="store_true", help="agree to the billed steps (and cleanup deletions)")
    p.add_argument("--state-dir", metavar="DIR", help="where launches keep state (default .advisor/launches)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument("--delete-model", action="store_true", help="cleanup: delete the custom model too")
    p.add_argument("--stop-job", action="store_true", help="cleanup: stop a customisation job still running")
    from advisor.launchers import REGISTRY, launcher

    for path in REGISTRY:
        module = launcher(path)
        module.add_arguments(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.path in ("status", "cleanup"):
        args.launch_name = args.launch_name or args.name
        return run_status(args) if args.path == "status" else run_cleanup(args)
    if not args.path and not args.answers:
        raise UsageError("name a path to launch, e.g. `advisor launch bedrock_fine_tune --answers FILE --dry-run`, "
                         "give only --answers FILE to launch the path the answers lead to, "
                         "or use `advisor launch status`")
    if args.launch_name:
        raise UsageError(f"unexpected argument {args.launch_name!r} (use --name to name a launch)")
    return run_launch(args)


def _recommended(rec) -> str:
    """The path the answers lead to, or a usage error saying why there is none to launch (exit 2)."""
    from advisor.launchers import launcher

    if rec.path is None:
        raise UsageError("the answers do not yet determine a path, so there is nothing to launch; answer "
                         + ", ".join(rec.required_missing or rec.missing) + " (see `advisor recommend --answers FILE`)"
                         ", or name a path: `advisor launch PATH --answers FILE`")
    if launcher(rec.path) is None:
        steps = "".join(f"\n  {i}. {step}" for i, step in enumerate(rec.next_steps[:4], 1))
        raise UsageError(f"the answers lead to {rec.path!r} ({rec.title}); its launcher is not built yet, so nothing "
                         f"was launched. Follow its next steps by hand:{steps or ' see `advisor recommend`'}")
    from advisor.cli._notes import note

    note(f"the answers lead to {rec.path!r} ({rec.title}); launching it")
    return rec.path


def _confirm(prompt: str) -> bool:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run_launch(args) -> int:
    from pathlib import Path

    from advisor.launchers import PATHS, launcher, normalise_path
    from advisor.launchers.ledger import Ledger, check_name, input_differences
    from advisor.launchers.progress import make_progress

    if args.path:
        path = normalise_path(args.path)
        if path not in PATHS:
            raise UsageError(f"unknown path {args.path!r}; choose from {', '.join(PATHS)}")
        if launcher(path) is None:
            raise UsageError(f"the launcher for {path!r} is not built yet; follow the recommendation's next steps "
                             "by hand (`advisor recommend --answers FILE`)")
    if not args.answers:
        raise UsageError("--answers FILE is needed: the launch follows the recommendation for those answers")
    import hashlib

    from advisor.answers import load_answers, validate_answers
    from advisor.cli.recommend import make_engine
    from advisor.knowledge import load_rulebase

    rulebase = load_rulebase(args.rules)
    answers = validate_answers(rulebase, load_answers(args.answers))
    rec = make_engine(rulebase).recommend(answers)
    if not args.path:
        path = _recommended(rec)
    module = launcher(path)
    name = check_name(args.name or path.replace("_", "-"))
    inputs = module.inputs_from_args(args, answers)
    inputs = {"answers": {"path": str(Path(args.answers).resolve()),
                          "sha256": hashlib.sha256(Path(args.answers).read_bytes()).hexdigest()}, **inputs}
    ledger = Ledger.for_launch(args.state_dir, name)
    old = ledger.read_plan()
    redo: list[str] = []
    if ledger.exists and old is not None:
        # A launcher may name inputs that can change on a re-run (e.g. build_evals' --labels once two people
        # have labelled): such a change re-runs only the steps that read them.
        changeable = getattr(module, "CHANGEABLE_INPUTS", {}) if old.get("path") == path else {}
        old_inputs = dict(old.get("inputs", {}))
        for key, steps in changeable.items():
            if old_inputs.get(key) != inputs.get(key):
                redo += [s for s in steps if s not in redo]
                old_inputs[key] = inputs.get(key)
        diffs = input_differences(old_inputs, inputs)
        if old.get("path") != path:
            diffs.insert(0, f"path: was {old.get('path')!r}, now {path!r}")
        if diffs:
            raise UsageError(f"launch {name!r} already exists with different inputs; use a new --name, or repeat the "
                             f"original command to resume. Differences:\n  " + "\n  ".join(diffs))
    plan = module.plan(rec, inputs, rulebase, name)
    if redo and not args.dry_run:
        for step in redo:
            ledger.update(step, "pending")
    if not ledger.exists:
        ledger.write_plan(plan.to_dict())
    if args.dry_run:
        _print_plan(plan, args.format)
        return 0
    pending_billed = [s for s in plan.billed if ledger.status(s.name) not in ("done", "skipped")]
    if pending_billed and not args.yes:
        _print_plan(plan, args.format, stream=sys.stderr if args.format == "json" else sys.stdout)
        if not _confirm(f"\nStart launch {name!r} with billed steps ({', '.join(s.name for s in pending_billed)})? "
                        "Type yes to go on: "):
            print(f"advisor: launch {name!r} has billed steps ({', '.join(s.name for s in pending_billed)}); nothing "
                  "was started. Re-run with --yes to agree to the costs above", file=sys.stderr)
            return 2
    ledger.write_plan(plan.to_dict())
    if not ledger.exists:
        ledger.save()
    from advisor.cli._notes import quiet

    progress = make_progress(sys.stderr, quiet=quiet())
    try:
        module.run(plan, ledger, progress, wait=bool(getattr(args, "wait", False)),
                   poll_interval=getattr(args, "poll_interval", 30.0), poll_max=getattr(args, "poll_max", 300.0),
                   rulebase=rulebase)
    except module.StillRunning as exc:
        progress.close()
        _print_status(ledger, plan, args.format, EXIT_RUNNING)
        print(f"advisor: {exc.message}", file=sys.stderr)
        return EXIT_RUNNING
    finally:
        progress.close()
    _print_status(ledger, plan, args.format, 0)
    return 0


def _print_plan(plan, fmt: str, stream=None) -> None:
    stream = stream or sys.stdout
    if fmt == "json":
        print(json.dumps(plan.to_dict(), indent=2, sort_keys=True, default=str), file=stream)
    else:
        print(plan.render_text(), file=stream)


def _status_object(ledger, plan_dict, exit_code: int) -> dict:
    steps = ledger.state.get("steps", {})
    names = [s["name"] for s in plan_dict.get("steps", [])] if plan_dict else list(steps)
    return {"name": ledger.name, "path": (plan_dict or {}).get("path"),
            "steps": [{"name": n, "status": steps.get(n, {}).get("status", "pending"),
                       "detail": steps.get(n, {}).get("detail", ""),
                       "resources": steps.get(n, {}).get("resources", {})} for n in names],
            "exit_code": exit_code}


def _print_status(ledger, plan, fmt: str, exit_code: int) -> None:
    obj = _status_object(ledger, plan.to_dict() if hasattr(plan, "to_dict") else plan, exit_code)
    if fmt == "json":
        print(json.dumps(obj, indent=2, sort_keys=True, default=str))
        return
    print(f"launch {obj['name']} ({obj['path']})")
    for s in obj["steps"]:
        detail = f"  {s['detail']}" if s["detail"] else ""
        print(f"  {s['name']:<11} {s['status']:<11}{detail}")
    report = ledger.resources("report").get("markdown")
    if report:
        print(f"report: {report}")


def _exit_for(obj: dict) -> int:
    statuses = [s["status"] for s in obj["steps"]]
    if "failed" in statuses:
        return 1
    if "waiting" in statuses:
        return EXIT_RUNNING
    return 0


def run_status(args) -> int:
    from advisor.launchers.ledger import Ledger, list_launches

    if not args.launch_name:
        names = list_launches(args.state_dir)
        rows = []
        for n in names:
            ledger = Ledger.for_launch(args.state_dir, n)
            obj = _status_object(ledger, ledger.read_plan(), 0)
            obj["exit_code"] = _exit_for(obj)
            rows.append(obj)
        if args.format == "json":
            print(json.dumps({"launches": rows}, indent=2, sort_keys=True, default=str))
        elif not rows:
            print("no launches yet")
        else:
            for obj in rows:
                current = next((s for s in obj["steps"] if s["status"] not in ("done", "skipped")), None)
                where = f"{current['name']} {current['status']}" if current else "finished"
                print(f"{obj['name']:<24} {obj['path'] or '?':<18} {where}")
        return 0
    ledger = _existing(args)
    plan = ledger.read_plan() or {}
    _refresh(ledger, plan)
    obj = _status_object(ledger, plan, 0)
    obj["exit_code"] = _exit_for(obj)
    _print_status(ledger, plan, args.format, obj["exit_code"])
    return obj["exit_code"]


def _existing(args):
    from advisor.launchers.ledger import Ledger, check_name

    ledger = Ledger.for_launch(args.state_dir, check_name(args.launch_name))
    if not ledger.exists:
        raise UsageError(f"no launch named {args.launch_name!r} in {ledger.dir.parent} (see `advisor launch status`)")
    return ledger


def _refresh(ledger, plan: dict) -> None:
    """A waiting job: ask AWS once for its status (read-only) and note it in the ledger."""
    if plan.get("path") != "bedrock_fine_tune" or ledger.status("watch") != "waiting":
        return
    from advisor.aws import AwsContext, AwsError, call

    name = ledger.resource("create_job", "job_name")
    aws = AwsContext(profile=plan["inputs"].get("profile"), region=plan["context"]["region"])
    try:
        job = call(aws.client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
    except AwsError as exc:
        print(f"advisor: cannot refresh the job's status: {exc.message}", file=sys.stderr)
        return
    if job["status"] not in ("InProgress", "Stopping"):
        ledger.update("watch", "pending", detail=f"job {job['status']}; re-run the launch command to continue")
    else:
        ledger.update("watch", "waiting", detail=f"job {name} is {job['status']}")


def run_cleanup(args) -> int:
    from advisor.aws import AwsContext, AwsError, call
    from advisor.launchers import launcher

    if not args.launch_name:
        raise UsageError("name the launch to clean up: advisor launch cleanup NAME [--yes]")
    ledger = _existing(args)
    plan = ledger.read_plan() or {}
    module = launcher(plan.get("path", ""))
    if module is None or not hasattr(module, "cleanup_actions"):
        raise UsageError(f"launch {ledger.name!r} has nothing this build knows how to clean up")
    aws = AwsContext(profile=plan["inputs"].get("profile"), region=plan["context"]["region"])
    running = module.job_running(ledger, aws)
    if running and not args.stop_job:
        print(f"advisor: the customisation job of {ledger.name!r} is still {running}; wait for it, or add --stop-job "
              "to stop it (training so far is still billed)", file=sys.stderr)
        return EXIT_RUNNING
    actions = module.cleanup_actions(ledger, delete_model=args.delete_model)
    if running:
        name = ledger.resource("create_job", "job_name")
        actions.insert(0, (f"stop customisation job {name}", "stop_model_customization_job", {"jobIdentifier": name}))
    if not actions:
        print(f"launch {ledger.name}: nothing to clean up (your S3 data and the custom model are kept"
              + ("" if args.delete_model else "; --delete-model deletes the model") + ")")
        return 0
    print(f"cleanup of launch {ledger.name}:")
    for text, _, _ in actions:
        print(f"  - {text}")
    print("  (your data in S3 is never deleted)")
    if not args.yes and not _confirm("Type yes to delete: "):
        print("advisor: nothing deleted; re-run with --yes to confirm", file=sys.stderr)
        return 2
    bedrock = aws.client("bedrock")
    for text, op, params in actions:
        try:
            call(bedrock, op, next(iter(params.values())), **params)
        except AwsError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
        if op.startswith("delete_provisioned") or op.startswith("delete_custom_model_deployment"):
            ledger.update("deploy", deleted=True)
        elif op == "delete_custom_model":
            ledger.update("create_job", model_deleted=True)
        print(f"done: {text}")
    return 0
