"""Reading documents from files and folders, and cutting them into chunks by their structure.

Formats: ``.txt`` (paragraphs), ``.md`` (markdown-it-py: headings, paragraphs, lists, tables, code),
``.html``/``.htm`` (Beautiful Soup with the standard library's parser: headings and block elements),
``.pdf`` (pypdf: one section per page) and ``.jsonl`` (one ``{"id": ..., "text": ...}`` document a
line, other keys kept as metadata).

A document's id is the JSONL ``id``, else its path relative to the folder (or, for a file named
directly, its file name). A chunk is one structural block — a paragraph, a list, a code block, a
whole table, a PDF page — carrying the heading path it sits under; tables are never split, other
blocks longer than ``max_chars`` are split at sentence or line ends, and blocks shorter than
``min_chars`` (a lone "See below:") are joined to the next block of the same section.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
            ".html": "html", ".htm": "html", ".pdf": "pdf", ".jsonl": "jsonl"}
MAX_CHARS = 1500
MIN_CHARS = 40


@dataclass
class Block:
    """A structural piece of a document before chunking."""

    text: str
    section: str = ""  # heading path, " > "-joined
    kind: str = "text"  # text, table, list, code, page
    page: int | None = None


@dataclass
class Chunk:
    text: str
    section: str = ""
    kind: str = "text"
    page: int | None = None


@dataclass
class Document:
    """One document: an id, a title, its chunks (or its blocks, chunked on demand) and metadata."""

    id: str
    text: str = ""
    title: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] | None = None
    content_hash: str = ""

    def __post_init__(self):
        if not self.content_hash:
            payload = json.dumps([self.title, self.text, [(b.text, b.section, b.kind) for b in self.blocks or []],
                                  self.metadata], sort_keys=True, ensure_ascii=False, default=str)
            self.content_hash = hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def chunks(self, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
        blocks = self.blocks if self.blocks is not None else text_blocks(self.text)
        return chunk_blocks(blocks, max_chars=max_chars, min_chars=min_chars)


@dataclass(frozen=True)
class Skipped:
    """A file (or JSONL line) that could not be read, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


# --------------------------------------------------------------------------------------------- chunking

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _split_long(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if not part:
            continue
        while len(part) > max_chars:  # one endless sentence: cut at a space near the limit
            cut = part.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            if current:
                pieces.append(current)
                current = ""
            pieces.append(part[:cut].strip())
            part = part[cut:].strip()
        if current and len(current) + 1 + len(part) > max_chars:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}".strip() if current else part
    if current:
        pieces.append(current)
    return pieces


def chunk_blocks(blocks: Iterable[Block], max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    carry: Block | None = None  # a short block waiting to be joined to the next one of its section
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if carry is not None:
            if carry.section == block.section and block.kind != "table":
                text = carry.text + "\n" + text
            else:
                chunks.append(Chunk(carry.text, carry.section, carry.kind, carry.page))
            carry = None
        if block.kind == "table":
            chunks.append(Chunk(text, block.section, "table", block.page))
            continue
        if len(text) < min_chars:
            carry = Block(text, block.section, block.kind, block.page)
            continue
        for piece in _split_long(text, max_chars):
            chunks.append(Chunk(piece, block.section, block.kind, block.page))
    if carry is not None:
        chunks.append(Chunk(carry.text, carry.section, carry.kind, carry.page))
    return chunks


def text_blocks(text: str, section: str = "") -> list[Block]:
    """Plain text: a block per paragraph (blank-line separated); a paragraph whose lines all hold
    ``|`` cell separators (two lines or more) is a table, kept whole."""
    blocks = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        lines = para.splitlines()
        kind = "table" if len(lines) > 1 and all("|" in line for line in lines) else "text"
        blocks.append(Block(para, section, kind))
    return blocks


# --------------------------------------------------------------------------------------------- parsers

def _heading_path(stack: list[tuple[int, str]]) -> str:
    return " > ".join(t for _, t in stack if t)


def _push_heading(stack: list[tuple[int, str]], level: int, title: str) -> None:
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, title))


def parse_markdown(text: str) -> tuple[str, list[Block]]:
    """Markdown: blocks under their heading path; tables rendered as ``a | b`` rows and kept whole."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    lines = text.splitlines()
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    title = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            heading = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            if not title and level == 1:
                title = heading
            _push_heading(stack, level, heading)
            i += 3
            continue
        if tok.level == 0 and tok.type in ("paragraph_open", "bullet_list_open", "ordered_list_open",
                                           "blockquote_open", "table_open"):
            close = tok.type.replace("_open", "_close")
            j, depth = i + 1, 1
            while j < len(tokens) and depth:
                if tokens[j].type == tok.type:
                    depth += 1
                elif tokens[j].type == close:
                    depth -= 1
                j += 1
            inner = tokens[i:j]
            if tok.type == "table_open":
                body = _md_table(inner)
                kind = "table"
            else:
                kind = "list" if "list" in tok.type else "text"
                if tok.map:  # the source lines keep list markers and line structure readable
                    body = "\n".join(lines[tok.map[0]:tok.map[1]]).strip()
                else:
                    body = "\n".join(t.content for t in inner if t.type == "inline")
            blocks.append(Block(body, _heading_path(stack), kind))
            i = j
            continue
        if tok.level == 0 and tok.type in ("fence", "code_block", "html_block"):
            blocks.append(Block(tok.content.rstrip(), _heading_path(stack), "code"))
        i += 1
    return title, blocks


def _md_table(tokens) -> str:
    rows: list[str] = []
    row: list[str] = []
    for tok in tokens:
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline":
            row.append(tok.content.strip())
        elif tok.type == "tr_close":
            rows.append(" | ".join(row))
    return "\n".join(rows)


_HTML_BLOCKS = {"p", "pre", "table", "ul", "ol", "dl", "blockquote", "figure", "address", "li", "dt", "dd",
                "figcaption", "caption"}
_HTML_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "nav", "button",
              "form", "select"}
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def parse_html(data: bytes | str) -> tuple[str, list[Block]]:
    """HTML: headings set the section; paragraphs, lists, tables, pre and loose text become blocks."""
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, Tag, Comment

    soup = BeautifulSoup(data, "html.parser")
    title = ""
    if soup.title and soup.title.string:
        title = " ".join(soup.title.string.split())
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    loose: list[str] = []

    def flush_loose():
        if loose:
            text = " ".join(" ".join(loose).split())
            if text:
                blocks.append(Block(text, _heading_path(stack)))
            loose.clear()

    def walk(node: Tag):
        nonlocal title
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if child.strip():
                    loose.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _HTML_SKIP:
                continue
            if name in _HTML_HEADINGS:
                flush_loose()
                heading = " ".join(child.get_text(" ", strip=True).split())
                if not title and name == "h1":
                    title = heading
                _push_heading(stack, _HTML_HEADINGS[name], heading)
                continue
            if name == "table":
                flush_loose()
                rows = []
                for tr in child.find_all("tr"):
                    cells = [" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["th", "td"])]
                    if any(cells):
                        rows.append(" | ".join(cells))
                caption = child.find("caption")
                text = "\n".join(rows)
                if caption is not None and caption.get_text(strip=True):
                    text = caption.get_text(" ", strip=True) + "\n" + text
                blocks.append(Block(text, _heading_path(stack), "table"))
                continue
            if name in _HTML_BLOCKS:
                flush_loose()
                if name == "pre":
                    blocks.append(Block(child.get_text().rstrip(), _heading_path(stack), "code"))
                elif name in ("ul", "ol", "dl"):
                    items = [" ".join(li.get_text(" ", strip=True).split())
                             for li in child.find_all(["li", "dt", "dd"], recursive=False)]
                    text = "\n".join(f"- {t}" for t in items if t) or " ".join(child.get_text(" ", strip=True).split())
                    blocks.append(Block(text, _heading_path(stack), "list"))
                else:
                    blocks.append(Block(" ".join(child.get_text(" ", strip=True).split()), _heading_path(stack)))
                continue
            if name == "br":
                continue
            if name in ("div", "section", "article", "main", "body", "html", "header", "footer", "aside"):
                flush_loose()
                walk(child)
                flush_loose()
            else:  # inline element (a, span, em, …) in running text
                loose.append(child.get_text(" "))
    walk(soup)
    flush_loose()
    return title, blocks


def parse_pdf(path: Path) -> tuple[str, list[Block]]:
    """PDF: the text of each page (pypdf), page numbers kept; a page with no text layer is left out."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ValueError("the PDF is encrypted")
        except Exception as exc:  # pypdf raises several types for unsupported encryption
            raise ValueError(f"the PDF is encrypted ({exc})") from None
    title = ""
    try:
        meta = reader.metadata
        if meta is not None and meta.title:
            title = str(meta.title).strip()
    except Exception:
        title = ""
    blocks = []
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            blocks.append(Block(text, f"page {number}", "page", number))
    return title, blocks


# --------------------------------------------------------------------------------------------- sources

def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None


def load_file(path: Path, doc_id: str) -> tuple[list[Document], list[Skipped]]:
    """The documents in one file; problems come back as :class:`Skipped` rather than exceptions."""
    kind = SUFFIXES.get(path.suffix.lower())
    skipped: list[Skipped] = []
    try:
        if kind == "jsonl":
            return _load_jsonl(path, doc_id)
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if kind == "pdf":
            title, blocks = parse_pdf(path)
        elif kind == "html":
            title, blocks = parse_html(raw)
        else:
            text = _read_text(path)
            if kind == "markdown":
                title, blocks = parse_markdown(text)
            else:
                title, blocks = "", text_blocks(text)
    except OSError as exc:
        return [], [Skipped(str(path), f"cannot read: {exc.strerror or exc}")]
    except Exception as exc:  # a parser's complaint about a damaged file
        reason = str(exc).strip() or type(exc).__name__
        return [], [Skipped(str(path), f"cannot parse as {kind}: {reason}")]
    if not any(b.text.strip() for b in blocks):
        return [], [Skipped(str(path), "no text found")]
    doc = Document(id=doc_id, title=title or path.name, source=str(path), blocks=blocks,
                   metadata={"format": kind}, content_hash=digest)
    return [doc], skipped


def _load_jsonl(path: Path, fallback_id: str) -> tuple[list[Document], list[Skipped]]:
    docs, skipped = [], []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                skipped.append(Skipped(where, f"not a JSON line ({exc})"))
                continue
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                skipped.append(Skipped(where, 'expected an object with a string "text"'))
                continue
            doc_id = record.get("id")
            doc_id = str(doc_id) if doc_id is not None and str(doc_id) != "" else f"{fallback_id}:{number}"
            meta = {k: v for k, v in record.items() if k not in ("id", "text")}
            title = str(meta.get("title") or doc_id)
            docs.append(Document(id=doc_id, text=record["text"], title=title, source=where, metadata=meta))
    return docs, skipped


def discover(sources: Iterable[str | os.PathLike]) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """Files to read, with their document id, from files and folders (folders walked, sorted)."""
    found: list[tuple[Path, str]] = []
    skipped: list[Skipped] = []
    for source in sources:
        root = Path(source)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                        continue
                    found.append((path, path.relative_to(root).as_posix()))
        elif root.is_file():
            if root.suffix.lower() not in SUFFIXES:
                skipped.append(Skipped(str(root), f"unsupported file type {root.suffix or '(none)'!r} "
                                                  f"(supported: {', '.join(sorted(set(SUFFIXES)))})"))
            else:
                found.append((root, root.name))
        elif root.exists():
            skipped.append(Skipped(str(root), "not a regular file or folder"))
        else:
            skipped.append(Skipped(str(root), "no such file or folder"))
    return found, skipped


def load_documents(sources: Iterable[str | os.PathLike]) -> Iterator[Document | Skipped]:
    """Every document (and every skipped file) under the sources, in a stable order."""
    files, skipped = discover(sources)
    yield from skipped
    for path, doc_id in files:
        docs, problems = load_file(path, doc_id)
        yield from problems
        yield from docs
