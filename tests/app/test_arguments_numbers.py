"""core.numbers, the one number parser: ASCII digits only, a range always, never an exception other
than its own (issue 12 findings 6 and 8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routekeeper.core.numbers import NumberError, ascii_int, parse_int, shown
from routekeeper.core.values import ValueParseError


@pytest.mark.parametrize("text", ["²", "١١", "٥", "௫", "1²", "", " 1", "1 ", "+1", "-1", "1_0", "1.0", "1e3"])
def test_only_ascii_digits_are_numbers(text):
    assert ascii_int(text, 10**9) is None
    with pytest.raises(NumberError):
        parse_int(text, "n", 0, 10**9)


@pytest.mark.parametrize(
    "text, high, value",
    [
        ("0", 5, 0),
        ("5", 5, 5),
        ("6", 5, None),
        ("0005", 5, 5),
        ("9" * 5000, 10**9, None),
        ("4294967295", 2**32 - 1, 2**32 - 1),
    ],
)
def test_range_is_checked_before_conversion(text, high, value):
    assert ascii_int(text, high) == value


def test_hex_only_where_asked():
    assert ascii_int("0x1F", 255) is None
    assert ascii_int("0x1F", 255, hex_ok=True) == 31
    assert ascii_int("0x" + "f" * 5000, 2**32 - 1, hex_ok=True) is None


def test_message_says_the_range_and_shortens_the_value():
    with pytest.raises(NumberError) as caught:
        parse_int("7" * 5000, "the metric", 1, 9999)
    message = str(caught.value)
    assert "the metric must be a whole number from 1 to 9999" in message and len(message) < 200
    assert isinstance(caught.value, ValueParseError)  # reported as a usage error everywhere


def test_shown_escapes_control_characters():
    assert "\n" not in shown("a\nb") and "\x1b" not in shown("\x1b[31m")


@given(st.text(max_size=30), st.integers(min_value=0, max_value=2**64))
def test_any_text_is_a_number_in_range_or_none(text, high):
    value = ascii_int(text, high)
    if value is None:
        return
    assert 0 <= value <= high
    assert text.isascii() and text.isdigit() and value == int(text)


@given(st.integers(min_value=0, max_value=10**30), st.integers(min_value=0, max_value=10**30))
def test_every_number_in_range_is_read_back(value, high):
    assert ascii_int(str(value), high) == (value if value <= high else None)
