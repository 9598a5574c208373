"""Fixtures for the retrieval tests: a small corpus in every supported format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A small valid PDF (Helvetica text, one string per page) with a correct xref table."""
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then per page: page object and content stream; last: info
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        lines = text.split("\n")
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    info_ref = ""
    if title:
        objects.append(f"<< /Title ({title}) >>".encode())
        info_ref = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


MARKDOWN = """# Travel policy

Employees book travel through the portal at least two weeks ahead.

## Hotels

Hotel stays are capped at 180 euros a night in Paris and 150 euros elsewhere.

| city | nightly cap |
| --- | --- |
| Paris | 180 |
| Berlin | 150 |

## Meals

The daily meal allowance is 45 euros; alcohol is never reimbursed.
"""

HTML = """<!doctype html><html><head><title>Security handbook</title><style>p {color: red}</style>
<script>var secret = "do not index me";</script></head>
<body><nav>Home | About</nav><h1>Security handbook</h1>
<p>Rotate access keys every 90 days using the key rotation tool.</p>
<h2>Passwords</h2><p>Passwords need at least 14 characters and a hardware token for administrators.</p>
<table><tr><th>system</th><th>owner</th></tr><tr><td>payroll</td><td>finance team</td></tr></table>
<div>Loose text about incident reporting to the security desk within one hour.</div>
</body></html>"""


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    (root / "policies").mkdir(parents=True)
    (root / "policies" / "travel.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "security.html").write_text(HTML, encoding="utf-8")
    (root / "notes.txt").write_text("The coffee machine on floor three is descaled every Friday.\n\n"
                                    "Visitors sign in at the reception desk and wear a badge.\n", encoding="utf-8")
    (root / "manual.pdf").write_bytes(make_pdf(["Warehouse forklift manual\nCharge the forklift battery overnight.",
                                                "Forklift inspection happens every Monday morning."],
                                               title="Forklift manual"))
    records = [{"id": "faq-1", "text": "Refunds are issued within 14 days of a return.", "title": "Refunds",
                "lang": "en"},
               {"id": "faq-2", "text": "Gift cards never expire and cannot be exchanged for cash."}]
    (root / "faq.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG not indexed")
    return root


@pytest.fixture
def questions(tmp_path) -> Path:
    path = tmp_path / "questions.jsonl"
    rows = [{"question": "What is the hotel cap in Berlin?", "relevant": ["policies/travel.md"]},
            {"question": "How often must access keys be rotated?", "relevant": ["security.html"]},
            {"question": "When do refunds arrive?", "relevant": ["faq-1"]},
            {"question": "When is the forklift inspected?", "relevant": ["manual.pdf"]},
            {"question": "Who waters the office plants?", "relevant": ["plants.md"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
