"""Text normalisation shared by indexing and querying, and the FTS5 query builder.

The same :func:`normalise` runs on chunk text before it goes into the full-text index and on the
question before it becomes a query, so both sides agree on how numbers are written:

* thousands separators go (``1,452.4`` → ``1452.4``) and a decimal number is kept as one term
  (``1452_4`` — FTS5's ``unicode61`` tokenizer treats ``_`` as a separator unless told otherwise, so
  the index is created with ``tokenchars '_'``), so a question quoting a figure matches that figure
  and not every ``4`` in the corpus;
* currency signs and percent signs are spaced off (``$1,496.5`` → ``$ 1496_5``), so a figure matches
  whether or not the question repeats the sign;
* fiscal-year shorthand ``FY2019`` / ``FY19`` also yields ``2019``.

Queries are an OR of the question's meaningful terms (stop words dropped, each term quoted so
nothing in the question is read as FTS5 syntax). FTS5's implicit AND is far too strict for
questions: one word the document does not use and nothing is found.
"""

from __future__ import annotations

import re

# Words that carry no topic in a question. Kept short on purpose: a term that is frequent in the
# corpus already gets a low BM25 weight, so only words that are frequent in *questions* (and would
# otherwise pull in chunks that merely share them) need to be here.
GENERAL_STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves also may might must shall whose within without per via
s t don doesn didn isn wasn weren aren won wouldn shouldn couldn
""".split())
# QUESTION_WORDS are how questions *ask* (compute a change, an average, a ratio; "shown in the
# table"), not what they are about: such words also occur in ordinary prose, so leaving them in pulls
# up chunks that merely discuss "changes" or "increases". On TAT-QA they cost 2.4 points of hit rate.
QUESTION_WORDS = frozenset("""
value values amount amounts number numbers figure figures total totals
change changes changed percentage percent average increase increased decrease decreased difference
ratio proportion many much table shown show respectively respective exceed exceeded larger less greater
chronological order across compared compare
""".split())
STOP_WORDS = GENERAL_STOP_WORDS | QUESTION_WORDS

_NUMBER_PUNCT = re.compile(r"\d[,.]\d")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
_SIGNS = str.maketrans({c: f" {c} " for c in "$€£¥%"})
_FY = re.compile(r"\bFY ?'?(\d{2}|\d{4})\b", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]")
_YEAR = re.compile(r"\(?(?:19|20)\d\d\)?")


def _fy(match: re.Match) -> str:
    year = match.group(1)
    if len(year) == 2:
        year = "20" + year
    return f"{match.group(0)} {year}"


def normalise(text: str) -> str:
    """Text as the full-text index sees it (see the module docstring)."""
    if _NUMBER_PUNCT.search(text):
        text = _DECIMAL.sub("_", _THOUSANDS.sub("", text))
    text = text.translate(_SIGNS)
    if "FY" in text or "fy" in text:
        text = _FY.sub(_fy, text)
    return text


def table_index_text(text: str) -> str:
    """What the index keeps of a table (rows of ``a | b`` cells): its labels, not its figures.

    Cells without a letter (``$1,452.4``, ``(21,387)``, ``12.5 %``) are left out of the indexed text —
    the chunk shown to users keeps them — and years stay. Questions name row and column labels far
    more often than the figures they ask for, and dropping the figures keeps a table's BM25 length
    close to what it says rather than how many numbers it holds.
    """
    rows = []
    for row in text.split("\n"):
        rows.append(" ".join(c for c in (c.strip() for c in row.split("|"))
                             if c and (_LETTER.search(c) or _YEAR.fullmatch(c))))
    return "\n".join(rows)


def index_text(text: str, kind: str = "text") -> str:
    """A chunk's text as the full-text index receives it."""
    return normalise(table_index_text(text) if kind == "table" else text)


def words_of(*texts: str) -> set[str]:
    """The distinct lower-cased words of already-normalised index text (for document frequencies)."""
    out: set[str] = set()
    for text in texts:
        if text:
            out.update(_WORD.findall(text.lower()))
    return out


def terms(text: str, question_words: bool = True) -> list[str]:
    """The meaningful terms of a question, lower-cased, stop words dropped, first occurrence order.

    With ``question_words=False`` the words of how questions ask (:data:`QUESTION_WORDS`) are kept:
    in short texts such as few-shot examples ("order", "number", "change") they are the topic."""
    stop = STOP_WORDS if question_words else GENERAL_STOP_WORDS
    seen: dict[str, None] = {}
    for word in _WORD.findall(normalise(text).lower()):
        word = word.strip("_")
        if not word or word in stop or (len(word) == 1 and not word.isdigit()):
            continue
        seen.setdefault(word, None)
    return list(seen)


def match_expression(words: list[str]) -> str:
    """An FTS5 MATCH expression: the OR of the quoted terms (a term never becomes syntax)."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
