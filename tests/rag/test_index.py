"""The SQLite index through the Python API: search, re-indexing, evaluation."""

from __future__ import annotations

from advisor.rag import Document, Index, evaluate, load_documents
from advisor.rag.evaluate import Question
from advisor.rag.text import match_expression, normalise, terms


def _index(tmp_path, corpus):
    index = Index.open(tmp_path / "i.sqlite")
    index.add_documents([d for d in load_documents([corpus]) if isinstance(d, Document)])
    return index


def test_search_finds_the_right_document_in_each_format(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        assert index.search("hotel cap in Berlin", k=1)[0].doc_id == "policies/travel.md"
        assert index.search("rotate access keys", k=1)[0].doc_id == "security.html"
        assert index.search("forklift inspection", k=1)[0].doc_id == "manual.pdf"
        assert index.search("refunds issued", k=1)[0].doc_id == "faq-1"
        hit = index.search("Berlin nightly cap", k=1)[0]
        assert hit.chunk_id.startswith("policies/travel.md#") and "Berlin | 150" in hit.text


def test_questions_are_an_or_of_terms_not_an_and(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        # "zeppelin" is nowhere in the corpus; an implicit AND would find nothing
        assert index.search("zeppelin hotel Paris", k=3)[0].doc_id == "policies/travel.md"


def test_fts_syntax_in_a_question_is_plain_text(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        for text in ['hotel" OR "x', "NEAR(hotel cap)", "hotel*", "-cap ^Paris", "(", '"', "AND OR NOT"]:
            index.search(text, k=3)  # never raises
        assert index.search("the of and", k=3) == []


def test_reindexing_skips_unchanged_and_replaces_changed(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        before = index.stats()["chunks"]
        again = index.add_documents([d for d in load_documents([corpus]) if isinstance(d, Document)])
        assert (again.added, again.updated, again.unchanged) == (0, 0, 6)
        (corpus / "notes.txt").write_text("The aquarium is cleaned on Tuesdays.\n", encoding="utf-8")
        changed = index.add_documents([d for d in load_documents([corpus]) if isinstance(d, Document)])
        assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 5)
        assert index.search("aquarium", k=1)[0].doc_id == "notes.txt"
        assert all(h.doc_id != "notes.txt" for h in index.search("coffee machine descaled", k=5))
        assert index.stats()["chunks"] == before - 1  # two paragraphs became one


def test_removing_documents_takes_them_out_of_search(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        assert index.remove_documents(["faq-1"]) == 1
        assert all(h.doc_id != "faq-1" for h in index.search("refunds issued return", k=5))
        assert "faq-1" not in index.doc_ids()


def test_numbers_match_however_they_are_written():
    assert normalise("$1,452.4 in FY19") == " $ 1452_4 in FY19 2019"
    assert terms("What was revenue of 1,452.4 in 2019?") == ["revenue", "1452_4", "2019"]
    assert match_expression(['a"b']) == '"a""b"'
    index = Index.open(":memory:")
    index.add_documents([Document(id="a", text="Revenue was $1,452.4 million."),
                         Document(id="b", text="Revenue was 4 million and 1 segment.")])
    assert index.search("revenue 1452.4", k=1)[0].doc_id == "a"


def test_tables_are_found_by_their_labels():
    from advisor.rag.ingest import Block

    index = Index.open(":memory:")
    table = "Item | 2019 | 2018\nWork in process | 10,269 | 6,644\nFinished goods | 84,934 | 14,696"
    index.add_documents([Document(id="inv", blocks=[Block(table, "", "table")]),
                         Document(id="prose", text="Goods in process of shipping are counted as sold.")])
    hit = index.search("finished goods in 2019", k=1)[0]
    assert hit.doc_id == "inv" and "84,934" in hit.text  # the figures are still shown


def test_evaluate_scores_misses_and_unknown_ids(tmp_path, corpus):
    with _index(tmp_path, corpus) as index:
        qs = [Question("hotel cap Berlin", ("policies/travel.md",)),
              Question("forklift battery", ("manual.pdf", "notes.txt")),
              Question("office plants", ("plants.md",))]
        result = evaluate(index, qs, k=2)
    assert result.count == 3
    assert round(result.hit_rate, 4) == round(2 / 3, 4)
    assert round(result.recall, 4) == round((1 + 0.5 + 0) / 3, 4)
    assert result.unknown_relevant == ["plants.md"]
    assert [m["question"] for m in result.misses] == ["office plants"]


def test_evaluate_mrr_counts_the_rank_of_the_first_relevant_hit():
    from advisor.rag import Hit

    class Fixed:
        def search(self, text, k=5):
            return [Hit("x", "x#1", 1, ""), Hit("y", "y#1", 0.5, ""), Hit("z", "z#1", 0.1, "")][:k]

    result = evaluate(Fixed(), [Question("q1", ("y",)), Question("q2", ("z",)), Question("q3", ("w",))], k=2,
                      known_ids={"x", "y", "z", "w"})
    assert result.mrr == (0.5 + 0 + 0) / 3
    assert result.hit_rate == 1 / 3


def test_a_question_made_only_of_very_common_words_still_finds_chunks():
    index = Index.open(":memory:")
    index.add_documents([Document(id=f"d{i}", text=f"Policy number {i} covers the policy holder.") for i in range(6)]
                        + [Document(id="berlin", text="Policy for the Berlin office.")])
    assert len(index.search("policy", k=3)) == 3  # in every chunk, yet kept: it is the rarest term asked
    assert index.search("policy berlin", k=1)[0].doc_id == "berlin"
