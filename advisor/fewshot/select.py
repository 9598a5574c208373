"""Choosing worked examples for a prompt: BM25 similarity, maximal marginal relevance, label balance.

:class:`Selector` indexes a pool through the RAG core (:class:`advisor.rag.Index`, BM25 over SQLite
FTS5): each example is a document whose id is its line number and whose text is its input. The
index file is cached under the pool's content hash (``<cache>/fewshot/<sha256>.sqlite``), so the
second query against the same pool opens the file instead of indexing again; a changed pool has a
new hash and a new index.

A query is answered in three steps:

1. **Similarity**: the pool's BM25 ranking for the query (the ``candidates`` best). Examples whose
   input equals the query (case and spacing aside) are dropped, and of several examples with the
   same input only the first line is kept.
2. **Diversity**: maximal marginal relevance picks one example at a time, scoring each candidate
   ``λ · relevance − (1 − λ) · (its largest word overlap with those already picked)``, relevance
   being the BM25 score divided by the best one. ``λ = 1`` is plain top-k.
3. **Label balance** (when the pool has labels): no label gets more than ``ceil(k / labels among
   the candidates)`` places while candidates of other labels remain.

When fewer than ``k`` candidates share a word with the query, the rest is filled from the whole pool
(label-balanced, most typical first: the examples whose words are most common in the pool). Ties
are broken by line number, so the same pool and query always give the same examples.

:meth:`Selector.static` chooses one block for every input (the cacheable variant): the same
diversity and balance rules, with typicality in place of similarity to a query.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from advisor.fewshot.pool import Pool, PoolExample, load_pool, normal_input

__all__ = ["SelectionSettings", "Selected", "Selector", "default_cache_dir"]

INDEX_VERSION = "2"  # 2: pool document frequencies keep the question words
_WORDS = re.compile(r"\w+")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/advisor/fewshot`` (``~/.cache/advisor/fewshot``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor" / "fewshot"


@dataclass(frozen=True)
class SelectionSettings:
    """The knobs of a selection (written into the launch report as the production settings)."""

    k: int = 5
    candidates: int = 40  # BM25 hits considered before diversity and balance
    mmr_lambda: float = 0.7  # 1.0 = pure similarity
    balance_labels: bool = True

    def as_dict(self) -> dict:
        return {"k": self.k, "candidates": self.candidates, "mmr_lambda": self.mmr_lambda,
                "balance_labels": self.balance_labels}


@dataclass(frozen=True)
class Selected:
    example: PoolExample
    score: float  # BM25 relevance (0 for fill-ins); the MMR order is the list order

    def to_json(self) -> dict:
        return self.example.to_json(self.score)


def _pool_settings():
    """The RAG index's ranking settings for a pool of short examples.

    The document-retrieval defaults drop query terms found in more than half of the chunks. In a pool
    that share is easily reached by the very words that tell examples apart (``card`` in three of four
    tickets), so the query would lose them and similar examples would fall out of the ranking. Here
    every term stays; on large pools :meth:`Selector._query` already keeps only the rare ones.
    Likewise the words of how questions ask ("order", "number", "change") are the topic of a short
    ticket, so they stay too."""
    from advisor.rag import Settings

    return Settings(max_df=1.0, question_words=False)


class Selector:
    """Selections from one pool. Build it once and query it many times (``with`` closes the index)."""

    def __init__(self, pool: Pool | str | Path, cache_dir: str | Path | None = None,
                 settings: SelectionSettings | None = None):
        self.pool = pool if isinstance(pool, Pool) else load_pool(pool)
        self.settings = settings or SelectionSettings()
        self._by_id = self.pool.by_id()
        self._terms: dict[int, frozenset] = {}  # filled on demand: a one-query CLI call must not pay for all
        self._df: dict[str, int] | None = None
        self._normal = {e.id: normal_input(e.input) for e in self.pool.examples}
        first: dict[str, int] = {}
        for e in self.pool.examples:
            first.setdefault(self._normal[e.id], e.id)
        self._duplicate = {i for i, n in self._normal.items() if first[n] != i}
        self._typical_order: list[int] | None = None
        self.cache_hit = False
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._index = None

    @property
    def index(self):
        """The pool's BM25 index, opened (or built and cached) on first use; :meth:`static` needs none."""
        if self._index is None:
            self._index = self._open_index(self._cache_dir)
        return self._index

    # ------------------------------------------------------------------ index
    def _open_index(self, folder: Path):
        from advisor.rag import Index

        settings = _pool_settings()
        if str(folder) == ":memory:":
            index = Index.open(":memory:", settings=settings)
            self._fill(index)
            return index
        path = folder / f"{self.pool.sha256}.v{INDEX_VERSION}.sqlite"
        if path.is_file():
            try:
                index = Index.open(path, create=False, settings=settings)
                if index.get_meta("fewshot_complete") == "1":
                    self.cache_hit = True
                    return index
                index.close()
            except Exception:  # a damaged cache file is rebuilt, never trusted
                pass
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pool-", suffix=".sqlite", dir=folder)
        os.close(fd)
        os.unlink(tmp)
        try:
            index = Index.open(tmp)
            self._fill(index)
            import json as _json

            index.set_meta("fewshot_df", _json.dumps(self._document_frequency(), separators=(",", ":")))
            index.set_meta("fewshot_complete", "1")
            index.close()
            os.replace(tmp, path)  # whole or absent: a killed build leaves only a stray temp file
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return Index.open(path, create=False, settings=settings)

    def _fill(self, index) -> None:
        from advisor.rag import Document

        docs = (Document(id=str(e.id), text=e.input) for e in self.pool.examples)
        index.add_documents(docs, max_chars=1_000_000_000, min_chars=0)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def __enter__(self) -> "Selector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ selection
    def _t(self, line: int) -> frozenset:
        """An example's words for the overlap between examples (lower-cased; cheap on purpose)."""
        ts = self._terms.get(line)
        if ts is None:
            ts = self._terms[line] = frozenset(_WORDS.findall(self._by_id[line].input.lower()))
        return ts

    def _document_frequency(self) -> dict[str, int]:
        """In how many examples each query term (the index's normalisation) occurs."""
        if self._df is None:
            from advisor.rag.text import terms

            df: dict[str, int] = {}
            for e in self.pool.examples:
                for t in terms(e.input, question_words=False):
                    df[t] = df.get(t, 0) + 1
            self._df = df
        return self._df

    def _query(self, query: str) -> str:
        """The query's informative terms only. A term in a large share of the pool adds next to nothing to
        BM25 (its IDF is near zero) but makes FTS5 score most of the pool: dropping it keeps a query over
        10,000 examples in milliseconds. The rarest terms are always kept."""
        from advisor.rag.text import terms

        words = terms(query, question_words=False)
        n = len(self.pool.examples)
        if n < 2000 or len(words) <= 3:
            return query
        df = self._cached_df()
        ranked = sorted(words, key=lambda w: (df.get(w, 0), w))
        limit = max(40, n // 50)  # in at most 2% of the pool
        keep = [w for w in ranked if df.get(w, 0) <= limit][:8]
        if len(keep) < 3:
            keep = ranked[:3]
        return " ".join(keep)

    def _cached_df(self) -> dict[str, int]:
        """Document frequencies from the index's vocabulary table (built once, stored with the index)."""
        if self._df is None:
            import json as _json

            stored = self.index.get_meta("fewshot_df")
            if stored is not None:
                self._df = _json.loads(stored)
            else:
                self._df = self._document_frequency()
        return self._df

    def _candidates(self, query: str, limit: int) -> list[tuple[int, float]]:
        """(line, BM25 score) best first, one entry per example, the query and duplicates removed."""
        target = normal_input(query)
        best: dict[int, float] = {}
        for hit in self.index.search(self._query(query), k=limit, mode="bm25"):
            line = int(hit.doc_id)
            if line in self._duplicate or self._normal.get(line) == target:
                continue
            if hit.score > best.get(line, float("-inf")):
                best[line] = hit.score
        return sorted(best.items(), key=lambda x: (-x[1], x[0]))

    def typical_order(self) -> list[int]:
        """Pool lines, most typical first: the mean pool frequency of an example's words (ties: line)."""
        if self._typical_order is None:
            df: dict[str, int] = {}
            for e in self.pool.examples:
                for t in self._t(e.id):
                    df[t] = df.get(t, 0) + 1
            n = max(1, len(self.pool.examples))

            def typicality(i: int) -> float:
                ts = self._t(i)
                return sum(df[t] for t in ts) / (len(ts) * n) if ts else 0.0

            lines = [e.id for e in self.pool.examples if e.id not in self._duplicate]
            self._typical_order = sorted(lines, key=lambda i: (-typicality(i), i))
        return self._typical_order

    def _fill_order(self) -> list[int]:
        """The typical order, labels taking turns (so a short slice of it is already balanced)."""
        if getattr(self, "_fill_cache", None) is None:
            order = self.typical_order()
            if self.settings.balance_labels and self.pool.has_labels:
                groups: dict[str | None, list[int]] = {}
                for i in order:
                    groups.setdefault(self._by_id[i].label, []).append(i)
                queues = list(groups.values())
                order = [q[n] for n in range(max(len(q) for q in queues)) for q in queues if n < len(q)]
            self._fill_cache = order
        return self._fill_cache

    def _pick(self, ranked: list[tuple[int, float]], k: int, exclude: str | None) -> list[Selected]:
        """Maximal marginal relevance over ``ranked`` with the label quota (plain loops over small lists:
        this runs once a query and is the hot path of the benchmark)."""
        s = self.settings
        if not ranked or k <= 0:
            return []
        labelled = s.balance_labels and self.pool.has_labels
        lam = s.mmr_lambda
        top = ranked[0][1] if ranked[0][1] > 0 else 1.0
        lines = [i for i, _ in ranked]
        labels = [self._by_id[i].label for i in lines]
        value = [lam * score / top for _, score in ranked]  # MMR value; drops as chosen examples overlap
        words = [self._t(i) for i in lines] if lam < 1.0 else []
        sizes = [len(w) for w in words]
        alive = list(range(len(lines)))
        counts: dict[str | None, int] = {}
        quota = math.ceil(k / max(1, len(set(labels)))) if labelled else k
        penalty = [0.0] * len(lines)
        chosen: list[int] = []
        while alive and len(chosen) < k:
            best, best_key = -1, None
            for j in alive:
                if labelled and counts.get(labels[j], 0) >= quota:
                    continue
                key = value[j] - penalty[j]
                if best_key is None or key > best_key or (key == best_key and lines[j] < lines[best]):
                    best, best_key = j, key
            if best < 0:
                quota += 1
                continue
            chosen.append(best)
            alive.remove(best)
            counts[labels[best]] = counts.get(labels[best], 0) + 1
            if lam < 1.0:
                wb, nb = words[best], sizes[best]
                for j in alive:
                    inter = len(wb & words[j])
                    if inter:
                        o = (1 - lam) * inter / (nb + sizes[j] - inter)
                        if o > penalty[j]:
                            penalty[j] = o
        return [Selected(self._by_id[lines[j]], ranked[j][1]) for j in chosen]

    def select(self, query: str, k: int | None = None) -> list[Selected]:
        """The ``k`` examples to show with ``query`` (never the query itself or a duplicate of it)."""
        k = self.settings.k if k is None else k
        if k <= 0:
            return []
        ranked = self._candidates(query, max(self.settings.candidates, 2 * k))
        picked = self._pick(ranked, k, query)
        if len(picked) < k:
            target = normal_input(query)
            have = {p.example.id for p in picked}
            fill = [(i, 0.0) for i in self._fill_order() if i not in have and self._normal[i] != target]
            picked += self._pick(fill[: 2 * (k - len(picked)) + 10], k - len(picked), None)
        return picked

    def static(self, k: int | None = None, exclude: Iterable[str] = ()) -> list[Selected]:
        """One block of ``k`` examples for every input: typical, diverse and label-balanced.

        ``exclude`` holds inputs (e.g. the test set's) the block must not contain."""
        k = self.settings.k if k is None else k
        if k <= 0:
            return []
        banned = {normal_input(x) for x in exclude}
        order = [i for i in self.typical_order() if self._normal[i] not in banned]
        n = max(1, len(order))
        ranked = [(i, 1.0 - pos / n) for pos, i in enumerate(order[: max(4 * k, 200)])]
        return [Selected(p.example, 0.0) for p in self._pick(ranked, k, None)]
