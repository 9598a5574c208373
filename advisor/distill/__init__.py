"""Distillation: real prompts -> held-out test set -> teacher answers -> filtered training data -> student.

The pieces behind ``advisor launch distill`` (:mod:`advisor.launchers.distill`), each usable alone:

* :mod:`~advisor.distill.config` — the ``--config`` file (teacher, student, filters, judge, trainer …);
* :mod:`~advisor.distill.prompts` — prompts files and production logs (Bedrock model invocation logs,
  OpenAI-format request logs; local or ``s3://``) with filters by model, date, tag and keyword, a sample
  rate, a row cap and de-duplication;
* :mod:`~advisor.distill.holdout` — the test split, made before any teacher call and checked for leaks;
* :mod:`~advisor.distill.filters` — deterministic filters, cheapest first, streaming, each drop with its reason;
* :mod:`~advisor.distill.judge` — the LLM judge (seed 003's prompt shape) and its agreement with human labels;
* :mod:`~advisor.distill.exports` — TRL, LLaMA-Factory, Axolotl and Bedrock data, trainer configs, LoRA settings;
* :mod:`~advisor.distill.evaluate` — student vs teacher vs base student on the held-out set, cascade, cost;
* :mod:`~advisor.distill.report` — the launch report (Markdown and self-contained HTML).

Records move between steps as JSON Lines, one object a line::

    {"id": "3f2a…", "system": str | null, "messages": [{"role": "user", "content": "…"}, …],
     "gold": str | null, "source": "prompts.jsonl:12", "answer": "…"}   # answer once generated
"""
