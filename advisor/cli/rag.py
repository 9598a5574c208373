"""``advisor rag index | query | eval``: the retrieval core of the RAG path (see advisor.rag)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys

EMBEDDINGS_HELP = ("embeddings provider for dense/hybrid search: 'titan' (Amazon Titan Text Embeddings v2 "
                   "on Bedrock; 'titan:MODEL_ID' for another) or 'openai:MODEL' (an OpenAI-compatible "
                   "/v1/embeddings; --embeddings-url or OPENAI_BASE_URL, key from OPENAI_API_KEY)")


def add_parser(sub) -> None:
    p = sub.add_parser("rag", help="index documents, search them and measure retrieval",
                       description="The retrieval core of the RAG path: an embedded SQLite index (BM25, "
                                   "optional vectors) or Amazon Bedrock Knowledge Bases.")
    p.set_defaults(handler=lambda args: p.print_help() or 2)
    rsub = p.add_subparsers(dest="rag_command", metavar="SUBCOMMAND")

    i = rsub.add_parser("index", help="add files and folders to an index (unchanged documents are skipped)",
                        description="Read .txt, .md, .html, .pdf and .jsonl files (folders are walked) into one "
                                    "index file. Unchanged documents are skipped, changed ones replaced. Exit 1 "
                                    "when nothing could be indexed; unreadable files are named and skipped.")
    i.add_argument("sources", nargs="+", metavar="SOURCE")
    i.add_argument("--index", required=True, metavar="FILE", help="the index file (created when missing)")
    i.add_argument("--prune", action="store_true",
                   help="also remove indexed documents that are no longer in the sources")
    i.add_argument("--embeddings", metavar="PROVIDER", help=EMBEDDINGS_HELP)
    i.add_argument("--embeddings-url", metavar="URL", help="base URL of an OpenAI-compatible API (…/v1)")
    i.add_argument("--dimensions", type=int, metavar="N", help="vector size to ask for (Titan v2: 256, 512, 1024)")
    i.add_argument("--max-chars", type=int, metavar="N", help="split blocks longer than N characters (default 1500)")
    i.add_argument("--format", choices=("text", "json"), default="text")
    _kb_options(i)
    i.set_defaults(handler=run_index)

    q = rsub.add_parser("query", help="the best chunks for a question",
                        description="Print the k best chunks for TEXT, best first.")
    q.add_argument("text", metavar="TEXT")
    q.add_argument("--index", required=True, metavar="FILE")
    q.add_argument("-k", type=int, default=5, metavar="N", help="number of hits (default 5)")
    q.add_argument("--mode", choices=("bm25", "dense", "hybrid"),
                   help="ranking (default: the index's default, bm25 unless `rag eval` showed another wins)")
    q.add_argument("--format", choices=("text", "json"), default="text")
    _kb_options(q)
    q.set_defaults(handler=run_query)

    e = rsub.add_parser("eval", help="hit rate, recall and MRR at k on questions with known relevant documents",
                        description="Questions are JSONL: {\"question\": ..., \"relevant\": [doc_id, ...]}. "
                                    "With vectors in the index every mode is measured and the winner becomes "
                                    "the index's default (--mode fixes one).")
    e.add_argument("--index", required=True, metavar="FILE")
    e.add_argument("--questions", required=True, metavar="FILE")
    e.add_argument("-k", type=int, default=5, metavar="N")
    e.add_argument("--mode", choices=("bm25", "dense", "hybrid"))
    e.add_argument("--misses", type=int, default=10, metavar="N", help="how many misses to print (default 10)")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.add_argument("--fail-under", type=float, metavar="HIT_RATE", help="exit 1 when the hit rate is below this")
    _kb_options(e)
    e.set_defaults(handler=run_eval)


def _kb_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", choices=("sqlite", "bedrock-kb"), default="sqlite",
                   help="sqlite (default, the --index file) or bedrock-kb (Amazon Bedrock Knowledge Bases; the "
                        "--index file then holds the knowledge base's ledger)")
    if p.prog.endswith("index"):
        p.add_argument("--bucket", metavar="NAME", help="bedrock-kb: S3 bucket for the documents")
        p.add_argument("--prefix", default="advisor-rag/", metavar="KEY", help="bedrock-kb: S3 key prefix")
        p.add_argument("--role-arn", metavar="ARN", help="bedrock-kb: service role of the knowledge base")
        p.add_argument("--vector-store", metavar="JSON", help="bedrock-kb: storageConfiguration as JSON")
        p.add_argument("--embedding-model-arn", metavar="ARN", help="bedrock-kb: embedding model")
        p.add_argument("--name", metavar="NAME", help="bedrock-kb: knowledge base name")
        p.add_argument("--dry-run", action="store_true", help="bedrock-kb: print the plan, create nothing")
        p.add_argument("--yes", action="store_true", help="bedrock-kb: create billed resources without asking")
        p.add_argument("--wait", type=int, default=600, metavar="SECONDS",
                       help="bedrock-kb: how long to wait for the ingestion job (default 600; exit 4 when "
                            "it is still running)")
        p.add_argument("--region", metavar="REGION")
    else:
        p.add_argument("--region", metavar="REGION")


def _err(message: str) -> None:
    print(f"advisor: {message}", file=sys.stderr)


def _open_index(path: str, create: bool):
    from advisor.errors import InputError, location_for
    from advisor.cli._notes import detail
    from advisor.rag.store import Index, IndexError_

    detail(f"{'writing' if create else 'reading'} the index {path}")
    try:
        return Index.open(path, create=create)
    except FileNotFoundError:
        raise InputError("no such index file (build it with `advisor rag index`)", location_for(path)) from None
    except IndexError_ as exc:
        raise InputError(str(exc), location_for(path)) from None
    except Exception as exc:  # sqlite3 errors: locked, read-only, disk I/O
        raise InputError(f"cannot open the index: {exc}", location_for(path)) from None


def _embedder(args):
    from advisor.errors import UsageError
    from advisor.rag.embeddings import EmbeddingsError, make_embedder

    try:
        return make_embedder(args.embeddings, url=args.embeddings_url, dimensions=args.dimensions,
                             region=getattr(args, "region", None))
    except EmbeddingsError as exc:
        raise UsageError(str(exc)) from None


def run_index(args: argparse.Namespace) -> int:
    from advisor.errors import AdvisorError, CheckFailed, UsageError
    from advisor.rag.embeddings import EmbeddingsError
    from advisor.rag.ingest import Document, Skipped, load_documents

    if args.store == "bedrock-kb":
        from advisor.rag.bedrock_kb import run_index_kb

        return run_index_kb(args)
    if args.max_chars is not None and args.max_chars < 100:
        raise UsageError("--max-chars must be at least 100")
    embedder = _embedder(args) if args.embeddings else None
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for item in load_documents(args.sources):
        if isinstance(item, Skipped):
            skipped.append(item)
            print(f"advisor: skipped {item}", file=sys.stderr)
        else:
            docs.append(item)
    if not docs:
        raise CheckFailed(f"nothing to index: no readable documents in {', '.join(args.sources)}"
                          + (f" ({len(skipped)} skipped)" if skipped else ""))
    index = _open_index(args.index, create=True)
    try:
        try:
            result = index.add_documents(docs, embedder=embedder, max_chars=args.max_chars)
            embedded = index.embed_missing(embedder) if embedder is not None else 0
        except (EmbeddingsError, ValueError) as exc:
            raise AdvisorError(f"embeddings: {exc}") from None
        except sqlite3.Error as exc:  # locked by another writer, disk full, read-only
            raise AdvisorError(f"{args.index}: cannot write the index: {exc} (nothing was changed)") from None
        removed = 0
        if args.prune:
            keep = {d.id for d in docs}
            removed = index.remove_documents(sorted(index.doc_ids() - keep))
        stats = index.stats()
    finally:
        index.close()
    for dup in result.duplicates:
        _err(f"warning: document id {dup!r} appears more than once in the sources; the first was kept")
    summary = {"index": args.index, "added": result.added, "updated": result.updated,
               "unchanged": result.unchanged, "removed": removed, "skipped": len(skipped),
               "skipped_files": [str(s) for s in skipped], "chunks_written": result.chunks,
               "vectors_written": embedded or (result.chunks if embedder else 0),
               "documents": stats["documents"], "chunks": stats["chunks"], "bytes": stats["bytes"]}
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.index}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
              f"{removed} removed, {len(skipped)} skipped; {stats['documents']} documents, {stats['chunks']} "
              f"chunks in the index ({stats['bytes'] / 1024:,.0f} KiB)")
    return 0


def _check_k(k: int) -> None:
    from advisor.errors import UsageError

    if k < 1:
        raise UsageError("-k must be at least 1")


def _searcher(args):
    """(searcher, closer) for the chosen store."""
    if args.store == "bedrock-kb":
        from advisor.rag.bedrock_kb import open_kb_searcher

        kb = open_kb_searcher(args.index, region=args.region)
        return kb, (lambda: None)
    index = _open_index(args.index, create=False)
    return index, index.close


def run_query(args: argparse.Namespace) -> int:
    from advisor.errors import AdvisorError
    from advisor.rag.embeddings import EmbeddingsError

    _check_k(args.k)
    searcher, close = _searcher(args)
    try:
        try:
            hits = searcher.search(args.text, k=args.k, mode=args.mode)
        except (EmbeddingsError, ValueError) as exc:
            raise AdvisorError(str(exc)) from None
    finally:
        close()
    if args.format == "json":
        print(json.dumps({"hits": [h.to_json() for h in hits]}, indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("no hits")
        return 0
    for rank, hit in enumerate(hits, start=1):
        where = f" — {hit.section}" if hit.section else ""
        print(f"{rank}. {hit.chunk_id}  score {hit.score:.3f}{where}")
        text = hit.text if len(hit.text) <= 600 else hit.text[:600] + " …"
        print("   " + text.replace("\n", "\n   "))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from advisor.errors import AdvisorError, InputError
    from advisor.rag.embeddings import EmbeddingsError
    from advisor.rag.evaluate import QuestionsError, evaluate, load_questions

    _check_k(args.k)
    try:
        questions = load_questions(args.questions)
    except QuestionsError as exc:
        raise InputError(exc.message, _loc(exc.where)) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to read", _loc(args.questions)) from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit limit
        raise InputError(f"unreadable questions file: {exc}", _loc(args.questions)) from None
    searcher, close = _searcher(args)
    try:
        modes = [args.mode] if args.mode else ["bm25"]
        has_vectors = args.store == "sqlite" and searcher.get_meta("embeddings") is not None
        if not args.mode and has_vectors:
            modes = ["bm25", "dense", "hybrid"]
        if args.store == "bedrock-kb":
            modes = [None]
        results = {}
        try:
            for mode in modes:
                results[mode] = evaluate(searcher, questions, k=args.k, mode=mode)
        except (EmbeddingsError, ValueError) as exc:
            raise AdvisorError(str(exc)) from None
        best_mode = max(results, key=lambda m: (results[m].hit_rate, results[m].mrr, m == "bm25"))
        if len(results) > 1:
            searcher.set_meta("default_mode", best_mode)
    finally:
        close()
    best = results[best_mode]
    out = best.to_json(misses=args.misses)
    if len(results) > 1:
        out["modes"] = {m: {k: v for k, v in r.to_json(misses=0).items() if k in ("hit_rate", "recall", "mrr")}
                        for m, r in results.items()}
        out["default_mode"] = best_mode
    out["misses_total"] = len(best.misses)
    if args.format == "json":
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        label = f" ({best_mode})" if best_mode else ""
        print(f"{best.count} questions, k={best.k}{label}: hit rate {best.hit_rate:.3f}, recall {best.recall:.3f}, "
              f"MRR {best.mrr:.3f}")
        if len(results) > 1:
            for m, r in results.items():
                print(f"  {m:<7} hit rate {r.hit_rate:.3f}  recall {r.recall:.3f}  MRR {r.mrr:.3f}")
            print(f"  default mode of this index is now {best_mode}")
        if best.misses and args.misses > 0:
            print(f"{len(best.misses)} missed" + (f" (first {args.misses}):" if len(best.misses) > args.misses else ":"))
        elif best.misses:
            print(f"{len(best.misses)} missed")
            for miss in best.misses[:args.misses]:
                got = ", ".join(h["chunk_id"] for h in miss["retrieved"]) or "nothing"
                print(f"- {miss['question']}\n  wanted {', '.join(miss['relevant'])}; got {got}")
    if best.unknown_relevant:
        shown = ", ".join(best.unknown_relevant[:10]) + (" …" if len(best.unknown_relevant) > 10 else "")
        _err(f"warning: {len(best.unknown_relevant)} relevant document id(s) are not in the index: {shown}")
    if args.fail_under is not None and best.hit_rate < args.fail_under:
        _err(f"hit rate {best.hit_rate:.3f} is below {args.fail_under}")
        return 1
    return 0


def _loc(where: str):
    from advisor.errors import location_for

    path, sep, line = where.rpartition(":")
    if sep and line.isdigit():
        return location_for(path, int(line))
    return location_for(where)
