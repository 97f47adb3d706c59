"""Counts in words for messages: "1 photo", "2 photos" (never "1 photos")."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 (``plural`` for irregular nouns)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"
