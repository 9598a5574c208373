"""Reading and chunking documents in each format."""

from __future__ import annotations

from advisor.rag import Document, Skipped, load_documents
from advisor.rag.ingest import parse_html, parse_markdown

from tests.rag.conftest import HTML, MARKDOWN, make_pdf


def _docs(*sources):
    items = list(load_documents(sources))
    return ({d.id: d for d in items if isinstance(d, Document)}, [s for s in items if isinstance(s, Skipped)])


def test_folder_ids_are_relative_paths_and_jsonl_ids(corpus):
    docs, skipped = _docs(corpus)
    assert set(docs) == {"policies/travel.md", "security.html", "notes.txt", "manual.pdf", "faq-1", "faq-2"}
    assert skipped == []  # the .png is not a document type and is simply not picked up from a folder
    assert docs["faq-1"].metadata == {"title": "Refunds", "lang": "en"}
    assert docs["faq-1"].title == "Refunds"


def test_a_file_named_directly_gets_its_file_name_as_id(corpus):
    docs, _ = _docs(corpus / "policies" / "travel.md")
    assert list(docs) == ["travel.md"]


def test_markdown_chunks_follow_headings_and_keep_tables_whole():
    title, blocks = parse_markdown(MARKDOWN)
    assert title == "Travel policy"
    doc = Document(id="t", blocks=blocks)
    chunks = doc.chunks()
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) == 1
    assert tables[0].text.splitlines() == ["city | nightly cap", "Paris | 180", "Berlin | 150"]
    assert tables[0].section == "Travel policy > Hotels"
    meals = [c for c in chunks if "meal allowance" in c.text]
    assert meals[0].section == "Travel policy > Meals"


def test_html_skips_scripts_and_navigation_and_keeps_structure():
    title, blocks = parse_html(HTML)
    assert title == "Security handbook"
    text = "\n".join(b.text for b in blocks)
    assert "do not index me" not in text and "color: red" not in text and "About" not in text
    table = [b for b in blocks if b.kind == "table"][0]
    assert table.text == "system | owner\npayroll | finance team"
    assert table.section == "Security handbook > Passwords"
    assert any("incident reporting" in b.text for b in blocks)


def test_pdf_pages_become_sections_with_page_numbers(corpus):
    docs, _ = _docs(corpus / "manual.pdf")
    doc = docs["manual.pdf"]
    assert doc.title == "Forklift manual"
    chunks = doc.chunks()
    assert [c.page for c in chunks] == [1, 2]
    assert "battery overnight" in chunks[0].text and "every Monday" in chunks[1].text


def test_long_blocks_are_split_and_short_ones_joined():
    long_para = " ".join(f"Sentence number {i} talks about storage." for i in range(200))
    doc = Document(id="x", text=f"Intro:\n\n{long_para}")
    chunks = doc.chunks(max_chars=500)
    assert all(len(c.text) <= 500 for c in chunks)
    assert chunks[0].text.startswith("Intro: Sentence number 0 ")  # the short block joined the next
    assert "Sentence number 199" in chunks[-1].text


def test_damaged_files_are_named_and_skipped(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "bad.jsonl").write_text('{"id": "ok", "text": "fine"}\nnot json\n{"id": 3}\n', encoding="utf-8")
    (tmp_path / "empty.md").write_text("   \n", encoding="utf-8")
    docs, skipped = _docs(tmp_path)
    assert list(docs) == ["ok"]
    reasons = {str(s.where).replace(str(tmp_path), ""): s.reason for s in skipped}
    assert "cannot parse as pdf" in reasons["/broken.pdf"]
    assert "not UTF-8" in reasons["/latin1.txt"]
    assert "not a JSON line" in reasons["/bad.jsonl:2"]
    assert '"text"' in reasons["/bad.jsonl:3"]
    assert reasons["/empty.md"] == "no text found"


def test_missing_and_unsupported_sources_are_reported(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"PK")
    docs, skipped = _docs(tmp_path / "nope", tmp_path / "a.docx")
    assert docs == {}
    assert [s.reason.split(" (")[0] for s in skipped] == ["no such file or folder", "unsupported file type '.docx'"]


def test_content_hash_changes_with_the_file(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("# A\n\nfirst", encoding="utf-8")
    first, _ = _docs(path)
    path.write_text("# A\n\nsecond", encoding="utf-8")
    second, _ = _docs(path)
    assert first["a.md"].content_hash != second["a.md"].content_hash


def test_pdf_helper_makes_a_readable_pdf(tmp_path):
    from pypdf import PdfReader

    path = tmp_path / "x.pdf"
    path.write_bytes(make_pdf(["hello (world)"]))
    assert "hello (world)" in PdfReader(str(path)).pages[0].extract_text()


def test_pipe_tables_in_plain_text_are_kept_whole_as_tables():
    doc = Document(id="t", text="Sales by region:\n\nregion | 2019\nEurope | 1,200\nAsia | 900\n\nA closing remark here.")
    kinds = [(c.kind, c.text.splitlines()[0]) for c in doc.chunks(min_chars=0)]
    assert kinds == [("text", "Sales by region:"), ("table", "region | 2019"), ("text", "A closing remark here.")]
