"""Small wording helpers for sentences shown to people: "an image-classifier", "1 frame", "3 frames"."""

from __future__ import annotations


def a(word: str) -> str:
    """``word`` with its indefinite article: "an image-classifier", "a sequence-forecaster"."""
    w = str(word)
    return f"{'an' if w[:1].lower() in 'aeiou' and w[:1] else 'a'} {w}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with the noun in the right number: "1 frame", "2 frames" (thousands separated)."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
