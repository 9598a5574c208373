"""Evaluation: metrics, the offline scorer and the eval-run harness.

Modules (each one idea; importing this package imports none of them, so ``eval score`` stays fast):

* :mod:`advisor.evals.tatqa` — the official TAT-QA EM/F1 metric, re-implemented without numpy/scipy.
* :mod:`advisor.evals.metrics` — plain token F1, SQuAD EM/F1, exact, accuracy, JSON validity, token stats.
* :mod:`advisor.evals.scoring` — ``advisor eval score``: file formats and the result object.
* :mod:`advisor.evals.config` — the ``eval run`` YAML config (pydantic, errors with file and line).
* :mod:`advisor.evals.dataset` — test sets (TAT-QA JSON, JSON Lines), few-shot and context files.
* :mod:`advisor.evals.postprocess` — free text → prediction (e.g. TAT-QA answer and scale).
* :mod:`advisor.evals.cache` — content-addressed response cache on disk.
* :mod:`advisor.evals.ledger` — the append-only results file that makes runs resumable.
* :mod:`advisor.evals.harness` — planning and concurrent execution with retries and back-off.
* :mod:`advisor.evals.report` — scoring rows, terminal table, CSV, JSON and HTML outputs.
"""

__all__ = ["tatqa", "metrics", "scoring", "config", "dataset", "postprocess", "cache", "ledger", "harness",
           "report"]
