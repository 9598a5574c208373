"""Evaluation: metrics, the offline scorer and the eval-run harness.

Modules (each one idea; importing this package imports none of them, so ``eval score`` stays fast):

* :mod:`advisor.evals.tatqa` — the official TAT-QA EM/F1 metric, re-implemented without numpy/scipy.
* :mod:`advisor.evals.metrics` — plain token F1, SQuAD EM/F1, exact, accuracy, JSON validity, token stats.
* :mod:`advisor.evals.scoring` — ``advisor eval score``: file formats and the result object.
* :mod:`advisor.evals.config` — the ``eval run`` YAML config (pydantic, errors with file and line).
* :mod:`advisor.evals.dataset` — test sets (TAT-QA JSON, JSON Lines), few-shot and context files.
* :mod:`advisor.evals.postprocess` — free text → prediction (e.g. TAT-QA answer and scale).
* :mod:`advisor.evals.cache` — content-addressed response cache on disk.
* :mod:`advisor.evals.harness` — checks the whole config, plans the calls and runs them through the
  shared batch runner :mod:`advisor.batch` (concurrency, back-off, cache, resumable ledger, cost cap).
* :mod:`advisor.evals.judge` — model-graded scoring (a judge with a rubric; reason and verdict).
* :mod:`advisor.evals.stats` — bootstrap intervals and paired comparisons between variants.
* :mod:`advisor.evals.schema` — JSON Schemas whose ``$ref``s resolve inside the schema only.
* :mod:`advisor.evals.report` — scoring rows, terminal table, CSV, JSON (its shape is documented
  there) and HTML outputs.
"""

__all__ = ["tatqa", "metrics", "scoring", "config", "dataset", "postprocess", "cache", "harness", "judge",
           "stats", "schema", "report"]
