"""Numbers typed by a user: ASCII digits only, always inside a stated range.

`int()` takes any Unicode decimal digit ('١١' is 11) and `str.isdigit()` even more ('²' passes and
`int` then raises); neither has an upper bound, so a 20-digit speed reaches SQLite as an overflow and a
5,000-digit prefix length trips Python's own digit limit. Every front end and command reads its numbers
through `parse_int` (or `ascii_int` where "not a number" is an answer rather than an error), so those
classes of failure cannot happen: a number is `[0-9]+` (or `0x` + hex where a tool accepts it), and one
outside its range is refused with a message that says the range.
"""

from __future__ import annotations

import re

from routekeeper.core.values import ValueParseError

_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
SHOWN = 24  # characters of a bad value echoed back in a message


class NumberError(ValueParseError):
    """Text that is not a number in the range asked for; the message is one line for the user."""


def shown(text: str | bytes) -> str:
    """A value as a message echoes it: quoted, escaped, and at most `SHOWN` characters of it."""
    if len(text) > SHOWN:
        return repr(text[:SHOWN]) + f"... ({len(text)} characters)"
    return repr(text)


def ascii_int(text: str, high: int, *, hex_ok: bool = False) -> int | None:
    """`text` as a number from 0 to `high`, or None when it is not one (non-ASCII digits, signs,
    spaces, or more than `high`). The digits are counted before they are converted, so a huge
    number costs nothing and never overflows."""
    if _DECIMAL.fullmatch(text):
        digits, base = text.lstrip("0") or "0", 10
    elif hex_ok and _HEX.fullmatch(text):
        digits, base = text[2:].lstrip("0") or "0", 16
    else:
        return None
    if len(digits) > len(format(high, "x" if base == 16 else "d")):
        return None
    value = int(digits, base)
    return value if value <= high else None


def parse_int(text: str, what: str, low: int, high: int, *, hex_ok: bool = False) -> int:
    """`text` as a whole number from `low` to `high` (`low` >= 0), or NumberError saying so."""
    value = ascii_int(text, high, hex_ok=hex_ok)
    if value is None or value < low:
        raise NumberError(f"{what} must be a whole number from {low} to {high}, not {shown(text)}")
    return value
