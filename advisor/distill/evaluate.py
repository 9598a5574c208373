"""Student evaluation on the held-out set through the eval harness; cascade share and monthly cost.

The trained student is any OpenAI-compatible endpoint (vLLM ``--enable-lora``, llama.cpp's
``llama-server --lora``, Ollama's ``/v1``), named in the config's ``student.endpoint``; the base student
(``student.base_endpoint``) and the teacher are compared with it on the held-out prompts. The reference
answer of a test prompt is its gold answer when it has one, else the teacher's answer (then the teacher
is not scored: it would match itself by construction).

Cascade: with the config's ``evaluate.quality_bar`` (a per-prompt score, 0–1), the student reaches the bar
on a share of the held-out prompts; that share is the most traffic the student can take with a router
that escalates the rest to the teacher, and the suggested threshold is that bar on the router's score.
Monthly cost: the student's serving cost (GPU dollars per hour x 730) plus the escalated share of the
requests at the teacher's per-token price, next to the teacher alone. Figures that are not known are
named, never defaulted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HOURS_PER_MONTH = 730


def write_eval_config(folder: Path, test_rows: list[dict[str, Any]], cfg, with_teacher: bool) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "test.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in test_rows), encoding="utf-8")
    providers: dict[str, Any] = {}
    variants = []

    def add(name: str, endpoint) -> None:
        providers[name] = endpoint.settings()
        variants.append({"name": name, "provider": name, "model": endpoint.model, "max_tokens": endpoint.max_tokens,
                         "temperature": endpoint.temperature})

    add("student", cfg.student.endpoint)
    if cfg.student.base_endpoint is not None:
        add("base_student", cfg.student.base_endpoint)
    if with_teacher:
        add("teacher", cfg.teacher)
    config = {"name": "distill-eval", "dataset": {"path": "test.jsonl", "format": "jsonl"},
              "metric": cfg.evaluate.metric, "providers": providers, "prompt": "{{ question }}",
              "system": "{{ system }}", "variants": variants,
              "retry": {"max_attempts": cfg.retry_attempts}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cascade(rows: list[dict[str, Any]], metric_key: str, bar: float) -> dict[str, Any]:
    scores = [r.get(metric_key) for r in rows if r.get("variant") == "student"]
    scores = [float(s) for s in scores if isinstance(s, (int, float))]
    if not scores:
        return {"share": None, "bar": bar, "prompts": 0}
    meets = sum(s >= bar * 100 - 1e-9 for s in scores)  # type: ignore[operator]
    return {"share": round(meets / len(scores), 4), "bar": bar, "prompts": len(scores), "meets_bar": meets,
            "threshold": f"send a request to the student when the router's {metric_key} estimate is ≥ {bar:g}; "
                         "escalate the rest to the teacher"}


def monthly_cost(*, share: float | None, monthly_requests: float | None, gpu_hourly_usd: float | None,
                 teacher_in_tokens: float | None, teacher_out_tokens: float | None,
                 price_in: float | None, price_out: float | None) -> dict[str, Any]:
    missing = [name for name, v in (("monthly_requests (answers file)", monthly_requests),
                                    ("gpu_hourly_usd (answers file or student.gpu_hourly_usd)", gpu_hourly_usd),
                                    ("the teacher's price (teacher.price_input_per_million / "
                                     "price_output_per_million, or the rule base)", price_in),
                                    ("a cascade share (needs the student evaluated)", share)) if v is None]
    out: dict[str, Any] = {"missing": missing}
    if gpu_hourly_usd is not None:
        out["student_serving_usd"] = round(gpu_hourly_usd * HOURS_PER_MONTH, 2)
    if price_in is not None and price_out is not None and teacher_in_tokens is not None \
            and teacher_out_tokens is not None:
        per_request = (teacher_in_tokens * price_in + teacher_out_tokens * price_out) / 1e6
        out["teacher_per_request_usd"] = round(per_request, 8)
        if monthly_requests is not None:
            out["teacher_only_usd"] = round(per_request * monthly_requests, 2)
            if share is not None and gpu_hourly_usd is not None:
                out["cascade_usd"] = round(gpu_hourly_usd * HOURS_PER_MONTH
                                           + (1 - share) * monthly_requests * per_request, 2)
    return out


def summarise(report) -> list[dict[str, Any]]:
    return [{"variant": v.name, "model": v.model, "examples": v.examples, "done": v.done, "errors": v.errors,
             **{k: round(x, 2) for k, x in v.metrics.items()},
             "output_tokens_mean": (v.output_token_stats or {}).get("mean")} for v in report.variants]
