"""Running a set of variants over a test set through the batch runner, and measuring them.

A *variant* is a function from a test example to a request (model, prompt, examples). Every call goes
through :func:`advisor.batch.run_batch` with a ledger in the launch folder and the response cache, so
a killed launch resumes without paying for an answer twice.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from advisor.fewshot.prompting import ModelRef, Prompting, VariantResult

__all__ = ["Variant", "run_variants", "measure", "load_test"]


@dataclass
class Variant:
    name: str
    ref: ModelRef
    k: int
    mode: str
    build: Callable[[Any], tuple[Any, bool]]  # example -> (ChatRequest, prefilled)
    meta: dict[str, Any] = field(default_factory=dict)


def load_test(path: Path):
    """The test set as eval-harness examples: JSONL with ``id``, the template fields (``input``) and
    ``answer``/``label``; or Bedrock conversation records (input: the first user turn, answer: the last
    assistant turn, id: ``line<N>``)."""
    from advisor.errors import InputError, location_for
    from advisor.evals.dataset import Example, load_examples

    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = next((line for line in fh if line.strip()), "")
    except OSError as exc:
        raise InputError(f"cannot read the test set: {exc.strerror or exc}", location_for(path)) from None
    except UnicodeDecodeError:
        raise InputError("the test set is not UTF-8 text", location_for(path)) from None
    if '"messages"' in first:
        from advisor.fewshot.pool import load_pool

        examples = [Example(f"line{e.id}", {"input": e.input}, e.output) for e in load_pool(path).examples]
    else:
        examples = load_examples(path, "jsonl")
    if not examples:
        raise InputError("the test set is empty", location_for(path))
    for n, e in enumerate(examples, start=1):
        if e.gold is None:
            raise InputError(f"test example {e.id!r} has no \"answer\" (or \"label\")", location_for(path, n))
    return examples


def run_variants(prompting: Prompting, variants: list[Variant], examples, ledger_path: Path, cache_dir: Path,
                 progress_label: str = "calls") -> tuple[dict[str, dict], dict[tuple[str, str], bool]]:
    """Call every (variant, example); returns (rows by key, prefilled flag by (variant, id))."""
    from advisor.batch import BatchItem, BatchOptions, ProgressPrinter, run_batch

    items = []
    prefilled: dict[tuple[str, str], bool] = {}
    for v in variants:
        for e in examples:
            request, pre = v.build(e)
            prefilled[(v.name, e.id)] = pre
            items.append(BatchItem(f"{v.name}/{e.id}", v.ref.provider, request, {"variant": v.name, "id": e.id}))
    providers = prompting.make_providers()
    from advisor.fewshot.steps import sweep_fault_hook

    printer = ProgressPrinter(progress_label)
    hook = sweep_fault_hook()

    def on_result(row, p) -> None:
        printer(row, p)
        if hook is not None:
            hook(row, p)

    try:
        result = run_batch(items, providers, ledger_path, BatchOptions(cache_dir=cache_dir, on_result=on_result))
    finally:
        printer.close()
    return result.rows, prefilled


def measure(prompting: Prompting, variant: Variant, examples, rows: dict[str, dict],
            prefilled: dict[tuple[str, str], bool]) -> tuple[VariantResult, dict[str, dict]]:
    """Quality, cost per 1,000 requests, cache hit share and latency of one variant; and per-example detail."""
    scores, costs, latencies = [], [], []
    tokens, cached, out_tokens = 0, 0, 0
    errors = 0
    unpriced = False
    detail: dict[str, dict] = {}
    for e in examples:
        row = rows.get(f"{variant.name}/{e.id}")
        if row is None or row.get("status") != "ok":
            errors += 1
            scores.append(0.0)
            detail[e.id] = {"ok": False, "score": 0.0, "doc": None, "row": row}
            continue
        prediction, doc = prompting.parse(row.get("text"), prefilled[(variant.name, e.id)])
        s = prompting.score(e.gold, prediction)
        scores.append(s)
        cost = prompting.row_cost(variant.ref, row)
        if cost is None:
            unpriced = True
        else:
            costs.append(cost)
        total, read = prompting.input_tokens_total(variant.ref, row)
        tokens += total
        out_tokens += int(row.get("output_tokens") or 0)
        cached += read
        if row.get("latency_ms") is not None:
            latencies.append(float(row["latency_ms"]))
        detail[e.id] = {"ok": True, "score": s, "doc": doc, "prediction": prediction, "row": row, "cost": cost}
    n = len(examples)
    answered = n - errors
    result = VariantResult(
        name=variant.name, model=variant.ref.id, k=variant.k, mode=variant.mode,
        quality=100.0 * sum(scores) / n if n else 0.0, count=n, errors=errors,
        cost_per_1000=None if unpriced or not costs else 1000.0 * sum(costs) / len(costs),
        input_tokens=tokens / answered if answered else 0.0, cached_share=cached / tokens if tokens else 0.0,
        latency_ms=statistics.median(latencies) if latencies else None, extra=dict(variant.meta),
        output_tokens=out_tokens / answered if answered else 0.0)
    return result, detail
