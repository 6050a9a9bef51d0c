"""Reviews as rows for an export: the author's display name is personal data, so it leaves masked."""

from __future__ import annotations

from collections.abc import Iterator

from models.reviews import Review

COLUMNS = ("platform", "review_id", "store_id", "region", "rating", "sentiment", "topics", "language", "author",
           "created_at", "updated_at", "edits", "deleted", "case_id", "reply_state", "text")


def mask(name: str | None) -> str:
    """"Ирина Карпова" -> "И*** К***": enough to tell two authors apart on one page, not to find anyone."""
    if not name or not name.strip():
        return ""
    return " ".join(f"{word[0]}***" for word in name.split())


def rows(reviews: list[Review]) -> Iterator[dict[str, str]]:
    """One flat row per review, author masked."""
    for r in reviews:
        yield {"platform": r.platform, "review_id": r.review_id, "store_id": r.store_id or "", "region": r.region or "",
               "rating": "" if r.rating is None else str(r.rating), "sentiment": r.sentiment.value,
               "topics": " ".join(r.topics), "language": r.language or "", "author": mask(r.author_name),
               "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
               "edits": str(len(r.revisions)), "deleted": "true" if r.deleted else "false", "case_id": r.case_id or "",
               "reply_state": r.reply.state.value if r.reply else "", "text": r.text}
