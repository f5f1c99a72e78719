"""route.exe's destination patterns (`*` any run of characters, `?` one character), matched in time
bounded by the pattern's length times the text's, whatever the pattern.

Why not a regular expression: `*` as `.*` backtracks, and `route print '************x'` then took
minutes (each further star multiplying the time) while holding the state file. Here a pattern is split
on `*` into literal segments; the first must start the text, the last must end it, and each one between
is taken at its leftmost place after the one before. Taking the leftmost place never loses a match (a
later segment only needs text further right), so nothing is ever retried.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Glob:
    """A compiled pattern: `fullmatch(text)` is True when the whole of `text` matches, ignoring case
    (IPv6 hex digits may be typed either way)."""

    segments: tuple[str, ...]  # the pattern split on '*', lower-cased; '?' stands for one character

    @classmethod
    def compile(cls, pattern: str) -> Glob:
        return cls(tuple(pattern.lower().split("*")))

    def fullmatch(self, text: str) -> bool:
        text = text.lower()
        first, *middle, last = self.segments if len(self.segments) > 1 else (*self.segments, None)
        if last is None:  # no star: the text is the one segment exactly
            return len(text) == len(first) and _fits(first, text, 0)
        if len(text) < len(first) + len(last) or not _fits(first, text, 0):
            return False
        end = len(text) - len(last)
        if not _fits(last, text, end):
            return False
        at = len(first)
        for segment in middle:
            found = _find(segment, text, at, end)
            if found < 0:
                return False
            at = found + len(segment)
        return True


def _fits(segment: str, text: str, at: int) -> bool:
    """Does `segment` ('?' any one character) match `text` at index `at`?"""
    if at + len(segment) > len(text):
        return False
    if "?" not in segment:
        return text.startswith(segment, at)
    return all(p == "?" or p == c for p, c in zip(segment, text[at : at + len(segment)], strict=True))


def _find(segment: str, text: str, start: int, end: int) -> int:
    """The leftmost index >= `start` where `segment` matches and ends by `end`, else -1."""
    if "?" not in segment:
        return text.find(segment, start, end)
    for at in range(start, end - len(segment) + 1):
        if _fits(segment, text, at):
            return at
    return -1
