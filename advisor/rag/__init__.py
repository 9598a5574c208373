"""Retrieval for the RAG path: index documents, search them, measure the retrieval.

The embedded index is one SQLite file (FTS5 BM25, optional vectors); nothing to install or run.

Python API::

    from advisor.rag import Index, load_documents, evaluate, load_questions

    with Index.open("docs.sqlite") as index:            # creates the file when missing
        docs = [d for d in load_documents(["docs/"]) if isinstance(d, Document)]
        result = index.add_documents(docs)               # AddResult(added, updated, unchanged, chunks)
        for hit in index.search("How do I rotate keys?", k=5):   # list[Hit], best first
            print(hit.doc_id, hit.chunk_id, hit.score, hit.text)
        report = evaluate(index, load_questions("questions.jsonl"), k=5)
        print(report.hit_rate, report.recall, report.mrr, report.misses)

* :class:`Document` — ``Document(id, text=..., title=..., metadata=...)`` or with pre-cut ``blocks``
  (:class:`~advisor.rag.ingest.Block`); anything with a ``question``/``input`` can be indexed this
  way (the few-shot selector indexes its pool as documents whose id is the line number).
* :func:`load_documents(sources)` yields :class:`Document` and :class:`Skipped` (a file that could
  not be read, with the reason) from files and folders (.txt, .md, .html, .pdf, .jsonl).
* :meth:`Index.search(text, k, mode)` — ``mode`` is ``bm25`` (default), ``dense`` or ``hybrid``
  (reciprocal rank fusion of the two); dense modes need vectors from an embeddings provider
  (:mod:`advisor.rag.embeddings`: Amazon Titan Text Embeddings v2 on Bedrock, or any
  OpenAI-compatible ``/v1/embeddings``), passed as ``add_documents(..., embedder=...)``.
* :func:`evaluate(index, questions, k)` — hit rate, recall and MRR at k, the misses with what was
  retrieved instead, and relevant ids missing from the index. Anything with a ``search(text, k)``
  returning hits with ``doc_id`` can be evaluated (e.g. the Bedrock Knowledge Bases store,
  :mod:`advisor.rag.bedrock_kb`).
"""

from advisor.rag.evaluate import EvalResult, Question, evaluate, load_questions
from advisor.rag.ingest import Block, Chunk, Document, Skipped, load_documents
from advisor.rag.store import AddResult, Hit, Index, Settings

__all__ = ["AddResult", "Block", "Chunk", "Document", "EvalResult", "Hit", "Index", "Question", "Settings",
           "Skipped", "evaluate", "load_documents", "load_questions"]
