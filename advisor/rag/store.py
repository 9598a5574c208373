"""The embedded index: one SQLite file with FTS5 full-text search and, optionally, chunk vectors.

Tables: ``meta`` (settings), ``docs`` (one row a document: id, title, source, content hash,
metadata), ``chunks`` (the text shown to users), a contentless FTS5 table ``chunks_fts`` (title,
section, body of each chunk, as :func:`advisor.rag.text.index_text` prepares them) and ``vectors``
(one float32 vector a chunk, when an embeddings provider was used).

Ranking (``mode="bm25"``): BM25 over the chunks, with the document's title and the chunk's heading
path as separately weighted fields; the query is an OR of the question's meaningful terms.
(Blending in a whole-document BM25 score was measured on TAT-QA and gained 0.001 hit rate at twice
the query time, so it is not done.) ``mode="dense"`` ranks by cosine similarity of vectors; ``mode="hybrid"`` fuses the two
rankings by reciprocal rank fusion.
"""

from __future__ import annotations

import heapq
import json
import math
import operator
import sqlite3
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from advisor.rag.ingest import Document
from collections import Counter

from advisor.rag.text import index_text, match_expression, normalise, terms, words_of

FORMAT_VERSION = "2"
TOKENIZER = "porter unicode61 remove_diacritics 2 tokenchars '_'"
MODES = ("bm25", "dense", "hybrid")


@dataclass
class Settings:
    """Ranking knobs (the defaults are the ones the TAT-QA benchmark chose; see bench/bench_rag.py)."""

    title_weight: float = 2.0
    section_weight: float = 1.5
    body_weight: float = 1.0
    candidates: int = 100  # chunks fetched from each ranking before fusion (hybrid)
    rrf_k: int = 60
    # Query terms found in more than this share of chunks are dropped (the rarest term always stays):
    # BM25 gives them next to no weight, but an OR with them makes FTS5 score most of the index.
    max_df: float = 0.5
    # Terms are then taken rarest first while the chunks they occur in add up to at most this many,
    # which bounds the work of a query however large the index grows (at 200,000 synthetic chunks,
    # hundreds of milliseconds without it). Small indexes (TAT-QA, 3,200 chunks) never reach it.
    max_postings: int = 10_000
    max_terms: int = 16  # the rarest terms of a long question are kept
    # Drop the words of how questions ask ("change", "total", "order": text.QUESTION_WORDS); off for
    # short texts where they are the topic (few-shot pools).
    question_words: bool = True


@dataclass
class Hit:
    doc_id: str
    chunk_id: str
    score: float
    text: str
    title: str = ""
    section: str = ""
    position: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "chunk_id": self.chunk_id, "score": round(self.score, 6), "text": self.text,
                "title": self.title, "section": self.section, "position": self.position}


@dataclass
class AddResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    duplicates: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return self.added + self.updated + self.unchanged


class IndexError_(Exception):
    """The file is not an index this version can read."""


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, source TEXT NOT NULL,
    hash TEXT NOT NULL, metadata TEXT NOT NULL, indexed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, doc INTEGER NOT NULL REFERENCES docs(id), position INTEGER NOT NULL,
    section TEXT NOT NULL, kind TEXT NOT NULL, page INTEGER, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc, position);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, section, body, content='', tokenize="{TOKENIZER}");
CREATE TABLE IF NOT EXISTS vectors (chunk INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
"""


def chunk_id(doc_id: str, position: int) -> str:
    return f"{doc_id}#{position}"


class Index:
    """An embedded retrieval index in one SQLite file. Use :meth:`open`; close it (or use ``with``)."""

    def __init__(self, conn: sqlite3.Connection, path: str, settings: Settings | None = None):
        self.conn = conn
        self.path = path
        self.settings = settings or Settings()
        self._matrix: tuple[Any, Any] | None = None  # cached (rowids, unit vectors) for dense search
        self._embedder = None
        self._df_delta: Counter = Counter()  # term → change in the number of chunks holding it

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: str | Path, create: bool = True, settings: Settings | None = None) -> "Index":
        """Open (or, with ``create``, make) the index at ``path``; ``":memory:"`` works too."""
        path = str(path)
        if path != ":memory:" and not create and not Path(path).is_file():
            raise FileNotFoundError(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexError_(f"not an index file ({exc})") from None
        if existing and "meta" not in existing:
            conn.close()
            raise IndexError_("not an advisor rag index (an SQLite file with other tables)")
        if not existing and not create:
            conn.close()
            raise IndexError_("empty file, not an index")
        conn.executescript(_SCHEMA)
        version = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if version is None:
            conn.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT_VERSION,))
        elif version[0] != FORMAT_VERSION:
            conn.close()
            raise IndexError_(f"index format {version[0]}, this version reads {FORMAT_VERSION}; rebuild it")
        conn.execute("PRAGMA cache_size=-65536")
        return cls(conn, path, settings)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ metadata
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def stats(self) -> dict[str, Any]:
        docs = self.conn.execute("SELECT count(*) FROM docs").fetchone()[0]
        chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        vectors = self.conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
        size = Path(self.path).stat().st_size if self.path != ":memory:" and Path(self.path).exists() else 0
        return {"documents": docs, "chunks": chunks, "vectors": vectors, "bytes": size,
                "embeddings": json.loads(self.get_meta("embeddings") or "null"),
                "default_mode": self.default_mode()}

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT doc_id FROM docs")}

    def default_mode(self) -> str:
        mode = self.get_meta("default_mode") or "bm25"
        if mode != "bm25" and self.get_meta("embeddings") is None:
            return "bm25"
        return mode

    # ------------------------------------------------------------------ writing
    def add_documents(self, documents: Iterable[Document], progress: Callable[[Document, str], None] | None = None,
                      embedder=None, max_chars: int | None = None, min_chars: int | None = None) -> AddResult:
        """Add or replace documents (skipping those whose content hash is unchanged), in one transaction.

        ``progress(doc, status)`` is called with ``added``, ``updated`` or ``unchanged`` for each.
        With an ``embedder`` (see :mod:`advisor.rag.embeddings`) the new chunks get vectors too.
        """

        kw = {}
        if max_chars is not None:
            kw["max_chars"] = max_chars
        if min_chars is not None:
            kw["min_chars"] = min_chars
        result = AddResult()
        seen: set[str] = set()
        new_chunks: list[tuple[int, str]] = []
        conn = self.conn
        known = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT doc_id, id, hash FROM docs")}
        now = time.time()
        conn.execute("BEGIN")
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM chunks").fetchone()[0]
        try:
            for doc in documents:
                if doc.id in seen:
                    result.duplicates.append(doc.id)
                    continue
                seen.add(doc.id)
                previous = known.get(doc.id)
                if previous is not None and previous[1] == doc.content_hash:
                    result.unchanged += 1
                    if progress:
                        progress(doc, "unchanged")
                    continue
                if previous is not None:
                    self._delete_doc(previous[0])
                chunks = doc.chunks(**kw) if kw else doc.chunks()
                cur = conn.execute(
                    "INSERT INTO docs (doc_id, title, source, hash, metadata, indexed_at) VALUES (?,?,?,?,?,?)",
                    (doc.id, doc.title, doc.source, doc.content_hash,
                     json.dumps(doc.metadata, ensure_ascii=False, default=str), now))
                doc_row = cur.lastrowid
                rows = [(doc_row, pos, c.section, c.kind, c.page, c.text) for pos, c in enumerate(chunks, start=1)]
                first = next_id
                next_id += len(rows)
                conn.executemany("INSERT INTO chunks (id, doc, position, section, kind, page, text) "
                                 "VALUES (?,?,?,?,?,?,?)", [(first + i, *r) for i, r in enumerate(rows)])
                title_n = normalise(doc.title)
                fts_rows = [(first + i, title_n, normalise(c.section), index_text(c.text, c.kind))
                            for i, c in enumerate(chunks)]
                conn.executemany("INSERT INTO chunks_fts (rowid, title, section, body) VALUES (?,?,?,?)", fts_rows)
                for _, t, sec, body in fts_rows:
                    self._df_delta.update(words_of(t, sec, body))
                new_chunks.extend((first + i, c.text) for i, c in enumerate(chunks))
                result.chunks += len(chunks)
                if previous is None:
                    result.added += 1
                else:
                    result.updated += 1
                if progress:
                    progress(doc, "updated" if previous is not None else "added")
            if embedder is not None and new_chunks:
                self._store_vectors(embedder, new_chunks)
            self._count_chunks()
            conn.execute("COMMIT")
        except BaseException:
            self._df_delta.clear()
            conn.execute("ROLLBACK")
            raise
        self._matrix = None
        return result

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        removed = 0
        self.conn.execute("BEGIN")
        try:
            for doc_id in doc_ids:
                row = self.conn.execute("SELECT id FROM docs WHERE doc_id=?", (doc_id,)).fetchone()
                if row:
                    self._delete_doc(row[0])
                    removed += 1
            self._count_chunks()
            self.conn.execute("COMMIT")
        except BaseException:
            self._df_delta.clear()
            self.conn.execute("ROLLBACK")
            raise
        self._matrix = None
        return removed

    def _count_chunks(self) -> None:
        """Write the term counts and chunk total that query planning reads (inside the transaction)."""
        if self._df_delta:
            self.conn.executemany("INSERT INTO term_df (term, df) VALUES (?, ?) "
                                  "ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                                  [(t, n) for t, n in self._df_delta.items() if n])
            self.conn.execute("DELETE FROM term_df WHERE df <= 0")
            self._df_delta.clear()
        self.set_meta("chunk_count", str(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]))

    def _delete_doc(self, doc_row: int) -> None:
        conn = self.conn
        title = conn.execute("SELECT title FROM docs WHERE id=?", (doc_row,)).fetchone()[0]
        chunks = conn.execute("SELECT id, section, text, kind FROM chunks WHERE doc=? ORDER BY position",
                              (doc_row,)).fetchall()
        title_n = normalise(title)
        # Contentless FTS5 tables forget a row when given exactly the values it was indexed with.
        fts_rows = [(cid, title_n, normalise(section), index_text(text, kind)) for cid, section, text, kind in chunks]
        conn.executemany("INSERT INTO chunks_fts (chunks_fts, rowid, title, section, body) VALUES ('delete',?,?,?,?)",
                         fts_rows)
        for _, t, sec, body in fts_rows:
            self._df_delta.subtract(words_of(t, sec, body))
        conn.execute("DELETE FROM vectors WHERE chunk IN (SELECT id FROM chunks WHERE doc=?)", (doc_row,))
        conn.execute("DELETE FROM chunks WHERE doc=?", (doc_row,))
        conn.execute("DELETE FROM docs WHERE id=?", (doc_row,))

    # ------------------------------------------------------------------ vectors
    def _store_vectors(self, embedder, rows: list[tuple[int, str]]) -> None:
        self._check_embedder(embedder)
        batch = getattr(embedder, "batch_size", 64)
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            vectors = embedder.embed([t for _, t in part])
            self.conn.executemany("INSERT OR REPLACE INTO vectors (chunk, vec) VALUES (?, ?)",
                                  [(rid, array("f", v).tobytes()) for (rid, _), v in zip(part, vectors)])

    def _check_embedder(self, embedder) -> None:
        recorded = self.get_meta("embeddings")
        spec = embedder.describe()
        if recorded is None:
            self.set_meta("embeddings", json.dumps(spec, sort_keys=True))
        elif json.loads(recorded) != spec:
            raise ValueError(f"the index holds vectors from {json.loads(recorded)}; "
                             f"cannot mix with {spec} (re-embed with --reembed)")

    def embed_missing(self, embedder, progress: Callable[[int, int], None] | None = None) -> int:
        """Give vectors to every chunk that has none (e.g. after switching on embeddings)."""
        rows = self.conn.execute("SELECT id, text FROM chunks WHERE id NOT IN (SELECT chunk FROM vectors) "
                                 "ORDER BY id").fetchall()
        if not rows:
            self._check_embedder(embedder)
            return 0
        batch = max(getattr(embedder, "batch_size", 64), 1) * 8
        done = 0
        for start in range(0, len(rows), batch):
            self.conn.execute("BEGIN")
            try:
                self._store_vectors(embedder, rows[start:start + batch])
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            done += len(rows[start:start + batch])
            if progress:
                progress(done, len(rows))
        self._matrix = None
        return done

    def drop_vectors(self) -> None:
        self.conn.execute("DELETE FROM vectors")
        self.set_meta("embeddings", None)
        self.set_meta("default_mode", None)
        self._matrix = None

    def embedder(self):
        """The embeddings provider recorded in the index (None without vectors)."""
        if self._embedder is None:
            spec = self.get_meta("embeddings")
            if spec is None:
                return None
            from advisor.rag.embeddings import from_spec

            self._embedder = from_spec(json.loads(spec))
        return self._embedder

    def _dense_matrix(self):
        """(chunk ids, unit-length vectors): numpy arrays when numpy is installed, else plain lists."""
        if self._matrix is None:
            rows = self.conn.execute("SELECT chunk, vec FROM vectors ORDER BY chunk").fetchall()
            try:
                import numpy as np
            except ImportError:  # numpy is optional: plain Python is slower but gives the same ranking
                ids_list = [r[0] for r in rows]
                vecs = [_unit(array("f", r[1])) for r in rows]
                self._matrix = (ids_list, vecs)
                return self._matrix
            if not rows:
                self._matrix = (np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32))
            else:
                ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                mat = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
                norms = np.linalg.norm(mat, axis=1, keepdims=True)
                norms[norms == 0] = 1.0
                self._matrix = (ids, mat / norms)
        return self._matrix

    # ------------------------------------------------------------------ searching
    def search(self, text: str, k: int = 5, mode: str | None = None, query_vector=None) -> list[Hit]:
        """The ``k`` best chunks for ``text``, best first. ``mode``: bm25, dense, hybrid (default: the
        index's default, bm25 unless an eval showed another mode wins on this index)."""
        mode = mode or self.default_mode()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
        if k <= 0:
            return []
        if mode == "bm25":
            ranked = self._bm25(text, k)
        else:
            dense = self._dense(text, max(k, self.settings.candidates), query_vector)
            if mode == "dense":
                ranked = dense[:k]
            else:
                lexical = self._bm25(text, max(k, self.settings.candidates))
                ranked = rrf([lexical, dense], self.settings.rrf_k)[:k]
        return self._hits(ranked)

    def _selective(self, words: list[str]) -> list[str]:
        """The words worth searching for: those in at most ``max_df`` of the chunks, rarest first."""
        conn = self.conn
        s = self.settings
        total = int(self.get_meta("chunk_count") or 0)
        if not total:
            return words
        rows = conn.execute(f"SELECT term, df FROM term_df WHERE term IN ({','.join('?' * len(words))})",
                            words).fetchall()
        df = dict(rows)
        df = {w: df.get(w, 0) for w in words}
        # A word never seen as such may still match through stemming ("inventory" ~ "inventories"):
        # it costs nothing to keep, so it is kept.
        ranked = sorted(words, key=lambda w: df[w])
        keep, postings = [], 0
        for w in ranked:
            if df[w] > s.max_df * total or postings + df[w] > s.max_postings:
                break
            keep.append(w)
            postings += df[w]
        return (keep or ranked[:1])[:s.max_terms]

    def _bm25(self, text: str, k: int) -> list[tuple[int, float]]:
        words = self._selective(terms(text, self.settings.question_words))
        if not words:
            return []
        expr = match_expression(words)
        s = self.settings
        try:
            rows = self.conn.execute(
                "SELECT rowid, bm25(chunks_fts, ?, ?, ?) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                "ORDER BY s LIMIT ?", (s.title_weight, s.section_weight, s.body_weight, expr, k)).fetchall()
        except sqlite3.OperationalError:
            return []
        return [(rid, -score) for rid, score in rows]  # FTS5's bm25() is lower-is-better; hits show higher-is-better

    def _dense(self, text: str, k: int, query_vector=None) -> list[tuple[int, float]]:
        ids, mat = self._dense_matrix()
        if len(ids) == 0:
            raise ValueError("the index has no vectors; index with --embeddings first")
        if query_vector is None:
            embedder = self.embedder()
            query_vector = embedder.embed([text], query=True)[0]
        k = min(k, len(ids))
        if isinstance(mat, list):
            q = _unit(array("f", query_vector))
            sims_list = [sum(map(operator.mul, v, q)) for v in mat]
            best = heapq.nlargest(k, range(len(ids)), key=sims_list.__getitem__)
            return [(int(ids[i]), float(sims_list[i])) for i in best]
        import numpy as np

        qv = np.asarray(query_vector, dtype=np.float32)
        norm = np.linalg.norm(qv)
        if norm:
            qv = qv / norm
        sims = mat @ qv
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(ids[i]), float(sims[i])) for i in top]

    def _hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        if not ranked:
            return []
        rows = self.conn.execute(
            "SELECT c.id, d.doc_id, c.position, c.section, c.text, d.title, c.kind, c.page FROM chunks c "
            f"JOIN docs d ON d.id = c.doc WHERE c.id IN ({','.join('?' * len(ranked))})",
            [r for r, _ in ranked]).fetchall()
        by_id = {r[0]: r for r in rows}
        hits = []
        for rid, score in ranked:
            r = by_id.get(rid)
            if r is None:
                continue
            meta = {"kind": r[6]}
            if r[7] is not None:
                meta["page"] = r[7]
            hits.append(Hit(doc_id=r[1], chunk_id=chunk_id(r[1], r[2]), score=score, text=r[4], title=r[5],
                            section=r[3], position=r[2], metadata=meta))
        return hits


def rrf(rankings: list[list[tuple[int, float]]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) for every item it holds."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (rid, _) in enumerate(ranking, start=1):
            fused[rid] = fused.get(rid, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda x: -x[1])


def _unit(vec: array) -> array:
    """``vec`` scaled to length 1 (a zero vector stays zero)."""
    norm = math.sqrt(sum(x * x for x in vec))
    return array("f", (x / norm for x in vec)) if norm else vec
