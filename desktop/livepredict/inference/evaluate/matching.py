"""Class names of a labelled set matched to a model's labels (case-insensitive, spaces trimmed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _key(name: str) -> str:
    return name.strip().casefold()


@dataclass(frozen=True)
class LabelMatch:
    """``index``: class name as written -> the model's label index; ``unmatched``: names left out."""

    index: dict[str, int]
    unmatched: tuple[str, ...]

    def sentence(self, model: str = "the model") -> str:
        """One sentence naming the class names left out ("" when every name matched)."""
        if not self.unmatched:
            return ""
        names = ", ".join(self.unmatched[:12]) + (f" and {len(self.unmatched) - 12} more"
                                                   if len(self.unmatched) > 12 else "")
        one = len(self.unmatched) == 1
        return (f"{'This class' if one else 'These classes'} of the labelled pictures {'is' if one else 'are'} "
                f"not among the labels of {model} and {'was' if one else 'were'} left out: {names}.")


def match_labels(classes: Sequence[str], labels: Sequence[str]) -> LabelMatch:
    by_key: dict[str, int] = {}
    for i, label in enumerate(labels):
        by_key.setdefault(_key(label), i)
    index: dict[str, int] = {}
    unmatched: list[str] = []
    for name in classes:
        found = by_key.get(_key(name))
        if found is None:
            unmatched.append(name)
        else:
            index[name] = found
    return LabelMatch(index, tuple(unmatched))
