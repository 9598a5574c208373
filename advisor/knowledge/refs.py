"""A source as reports show it: title, publisher and a link (never a file name), with its as-of date."""

from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel, ConfigDict

__all__ = ["SourceRef", "source_refs"]


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    title: str
    publisher: str = ""
    url: str | None = None
    as_of: str

    @property
    def citation(self) -> str:
        """One line: title, publisher, link, as-of date."""
        parts = [self.title]
        if self.publisher:
            parts.append(self.publisher)
        if self.url:
            parts.append(self.url)
        return ", ".join(parts) + f" (as of {self.as_of})"


def source_refs(rulebase, ids: Iterable[str]) -> list[SourceRef]:
    """Sources by id; an id the rule base does not define (a user price file's own note) is shown as given."""
    refs = []
    for sid in ids:
        src = rulebase.sources.get(sid)
        if src is None:
            link = sid if sid.startswith(("http://", "https://")) else None
            refs.append(SourceRef(id=sid, title=sid if not link else "Source named in the user's price file",
                                  url=link, as_of="unknown"))
        else:
            refs.append(SourceRef(id=src.id, title=src.title, publisher=src.publisher, url=src.link,
                                  as_of=src.as_of.isoformat()))
    return refs
