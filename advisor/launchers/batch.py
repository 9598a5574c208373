"""Bedrock batch inference as a launcher step: the code lives in :mod:`advisor.bedrock_batch`, below both the
launcher wing and the eval harness (which runs ``batch: true`` variants through it)."""

from advisor.bedrock_batch import (FINISHED_OK, RUNNING, BatchSpec, converse_text, eval_rows, fetch, job_id_of, poll,
                                   run_batch, submit)

__all__ = ["FINISHED_OK", "RUNNING", "BatchSpec", "converse_text", "eval_rows", "fetch", "job_id_of", "poll",
           "run_batch", "submit"]
