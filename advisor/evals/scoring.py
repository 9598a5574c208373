"""``advisor eval score``: read a gold file and a predictions file and compute one metric offline.

File shapes:

* ``tatqa``: gold is a TAT-QA JSON file (a list of contexts with ``questions``); predictions are a JSON
  object ``{question uid: [answer, scale]}`` (the official scorer's format).
* every other metric: gold is a JSON object ``{id: answer or [answers]}``, a JSON list of
  ``{"id", "answer" | "answers"}`` records, or the same records as JSON Lines; predictions are a JSON
  object ``{id: prediction}`` or JSON Lines of ``{"id", "prediction"}`` (an ``[answer, scale]`` pair is
  read as its answer; records may carry ``output_tokens``, summarised as mean, median, standard
  deviation, min and max). For ``json`` the gold file is optional and, when given, is a JSON Schema that
  every prediction must match.

Gold ids without a prediction count as wrong; predictions for unknown ids are ignored and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.errors import InputError, location_for
from advisor.evals.jsonio import read_json, read_records

METRICS = ("tatqa", "f1", "squad", "exact", "accuracy", "json")


def _id_map(doc: Any, path: str | Path, value_keys: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(doc, dict):
        return {str(k): v for k, v in doc.items()}
    if isinstance(doc, list):
        out: dict[str, Any] = {}
        for index, rec in enumerate(doc, start=1):
            if not isinstance(rec, dict) or "id" not in rec:
                raise InputError(f"record {index} needs an \"id\" key", location_for(path))
            for key in value_keys:
                if key in rec:
                    out[str(rec["id"])] = rec[key]
                    break
            else:
                raise InputError(f"record {index} needs one of {', '.join(value_keys)}", location_for(path))
        return out
    raise InputError("expected a JSON object or a list of records", location_for(path))


_GOLD_TYPES = ("span", "multi-span", "arithmetic", "count")


def check_tatqa_shape(gold: Any, path) -> list[dict]:
    """The question records of a TAT-QA file, after checking its shape (a list of contexts, each a mapping
    with a ``questions`` list of mappings with ``uid``, ``answer`` and ``answer_type``)."""
    where = location_for(path)
    if not isinstance(gold, list):
        raise InputError("a TAT-QA file is a list of contexts with \"questions\"", where)
    out = []
    for c_index, context in enumerate(gold, start=1):
        if not isinstance(context, dict) or not isinstance(context.get("questions", []), list):
            raise InputError(f"context {c_index}: expected a mapping with a \"questions\" list", where)
        for q_index, q in enumerate(context.get("questions", []), start=1):
            label = f"context {c_index}, question {q_index}"
            if not isinstance(q, dict):
                raise InputError(f"{label}: expected a mapping", where)
            if not isinstance(q.get("uid"), (str, int)) or isinstance(q.get("uid"), bool):
                raise InputError(f"{label}: needs a string \"uid\"", where)
            if "answer" not in q:
                raise InputError(f"{label}: needs an \"answer\"", where)
            if not isinstance(q["answer"], (str, int, float, list)) or isinstance(q["answer"], bool):
                raise InputError(f"{label}: \"answer\" must be a string, a number or a list", where)
            if isinstance(q["answer"], list) and not all(isinstance(a, (str, int, float)) for a in q["answer"]):
                raise InputError(f"{label}: \"answer\" lists strings or numbers", where)
            if q.get("answer_type") is not None and q.get("answer_type") not in _GOLD_TYPES:
                raise InputError(f"{label}: \"answer_type\" must be one of {', '.join(_GOLD_TYPES)}", where)
            if not isinstance(q.get("scale", ""), str):
                raise InputError(f"{label}: \"scale\" must be a string", where)
            out.append(q)
    return out


def _unwrap_prediction(value: Any) -> Any:
    # accept the TAT-QA pair [answer, scale] for any metric
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str) and value[1] in (
        "", "thousand", "million", "billion", "percent"):
        return value[0]
    return value


def score_files(metric: str, gold_path: str | Path | None, predictions_path: str | Path) -> dict:
    """Score a predictions file against a gold file; returns the result object of ``--format json``."""
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if metric == "tatqa":
        if gold_path is None:
            raise InputError("--gold is required for the tatqa metric")
        from advisor.evals.tatqa import TatqaTotals, score_question

        gold = read_json(gold_path)
        questions = check_tatqa_shape(gold, gold_path)
        preds = read_json(predictions_path)
        if not isinstance(preds, dict):
            raise InputError("TAT-QA predictions are a JSON object {uid: [answer, scale]}",
                             location_for(predictions_path))
        totals = TatqaTotals()
        per_question: dict[str, list[float]] = {"exact_match": [], "f1": []}
        for question in questions:
            pred = preds.get(question["uid"])
            answer, scale = (pred[0], pred[1]) if isinstance(pred, (list, tuple)) and len(pred) >= 2 else (pred, "")
            if not isinstance(scale, str):
                raise InputError(f"prediction for {question['uid']!r}: the scale must be a string",
                                 location_for(predictions_path))
            try:
                q_score = score_question(question, answer, scale)
                totals.add(question, q_score)
                per_question["exact_match"].append(q_score.exact_match)
                per_question["f1"].append(q_score.f1)
            except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError,
                    RecursionError) as exc:
                raise InputError(f"question {str(question['uid'])[:80]!r} cannot be scored "
                                 f"({exc.__class__.__name__}); check the shape of its gold answer and its "
                                 "prediction", location_for(gold_path)) from None
        result = totals.as_dict()
        result["intervals"] = _intervals(per_question)
        known = {q["uid"] for q in questions}
        result["missing"] = sum(1 for uid in known if uid not in preds)
        return {"metric": metric, **result}
    from advisor.evals.metrics import mean_percent, score_example, token_stats

    pred_doc = read_records(predictions_path)
    preds = _id_map(pred_doc, predictions_path, ("prediction", "answer", "output"))
    tokens = token_stats(r["output_tokens"] for r in pred_doc if isinstance(r, dict)
                         and isinstance(r.get("output_tokens"), int)) if isinstance(pred_doc, list) else None
    extra = {"output_tokens": tokens.as_dict()} if tokens else {}
    if metric == "json":
        schema = read_json(gold_path) if gold_path is not None else None
        if schema is not None and not isinstance(schema, (dict, bool)):
            raise InputError("a JSON Schema must be an object", location_for(gold_path))
        try:
            rows = [score_example("json", None, _unwrap_prediction(p), schema) for p in preds.values()]  # type: ignore[arg-type]  # a boolean schema is valid JSON Schema
        except InputError as exc:
            raise InputError(exc.message, exc.location or location_for(gold_path)) from None
        return {"metric": metric, "count": len(rows),
                "valid_json": mean_percent(r["valid_json"] for r in rows),
                "matches_schema": mean_percent(r["matches_schema"] for r in rows),
                "intervals": _intervals({k: [r[k] for r in rows] for k in ("valid_json", "matches_schema")}),
                **extra}
    if gold_path is None:
        raise InputError(f"--gold is required for the {metric} metric")
    gold = _id_map(read_records(gold_path), gold_path, ("answers", "answer", "label", "gold"))
    rows = []
    for example_id, answer in gold.items():
        if not isinstance(answer, (str, int, float, list)) or isinstance(answer, bool) or (
                isinstance(answer, list) and not all(isinstance(a, (str, int, float)) for a in answer)):
            raise InputError(f"gold answer for {example_id[:80]!r} must be a string, a number or a list of them",
                             location_for(gold_path))
        try:
            rows.append(score_example(metric, answer, _unwrap_prediction(preds.get(example_id))))
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise InputError(f"prediction for {example_id[:80]!r} cannot be scored ({exc.__class__.__name__})",
                             location_for(predictions_path)) from None
    keys = rows[0].keys() if rows else ()
    result = {"metric": metric, "count": len(rows)}
    for key in keys:
        result[key] = mean_percent(r[key] for r in rows)
    result["intervals"] = _intervals({key: [r[key] for r in rows] for key in keys})
    result["missing"] = sum(1 for k in gold if k not in preds)
    result["unknown_ids"] = sum(1 for k in preds if k not in gold)
    result.update(extra)
    return result


def _intervals(per_key: dict[str, list[float]]) -> dict[str, dict]:
    """95 % bootstrap intervals (seed 0, 1,000 resamples) of each metric's per-example scores."""
    from advisor.evals.stats import bootstrap_ci

    return {key: bootstrap_ci(values).as_dict() for key, values in per_key.items() if values}


def render_text(result: dict) -> str:
    """A short human summary of a score result."""
    labels = {"exact_match": "exact match", "f1": "F1", "scale": "scale accuracy", "accuracy": "accuracy",
              "valid_json": "valid JSON", "matches_schema": "matches schema"}
    lines = [f"metric: {result['metric']}   questions: {result['count']}"]
    for key, label in labels.items():
        if key in result:
            iv = (result.get("intervals") or {}).get(key)
            shown = f"  (95% interval {iv['ci_low']:.2f}–{iv['ci_high']:.2f})" if iv else ""
            lines.append(f"{label:>15}: {result[key]:6.2f}{shown}")
    for name, sub in result.get("by_answer_type", {}).items():
        lines.append(f"{name:>15}: EM {sub['exact_match']:6.2f}  F1 {sub['f1']:6.2f}  (n={sub['count']})")
    if result.get("output_tokens"):
        t = result["output_tokens"]
        lines.append(f"{'output tokens':>15}: mean {t['mean']}  median {t['median']}  std {t['stdev']}  "
                     f"min {t['min']}  max {t['max']}")
    if result.get("missing"):
        lines.append(f"{'missing':>15}: {result['missing']} gold items have no prediction (scored 0)")
    return "\n".join(lines)
