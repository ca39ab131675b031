"""Reads the text of a command-line option into its value, or raises ValueError saying what is allowed.

The caller adds the option's name and the text to the message: `--bench-x='y' is not allowed: ...`.
"""

from __future__ import annotations


def whole_numbers(text: str, minimum: int = 1) -> tuple[int, ...]:
    """'32,128' -> (32, 128).

    Raises:
      ValueError: not comma-separated whole numbers, or one below minimum.
    """
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError("comma-separated whole numbers, e.g. 32,128") from None
    if any(v < minimum for v in values):
        raise ValueError(f"every number must be >= {minimum}")
    return values


def names(text: str) -> tuple[str, ...]:
    """'one_device, mirrored' -> ('one_device', 'mirrored'); the names themselves are checked where they are used."""
    return tuple(name.strip() for name in text.split(","))


def accuracy(text: str) -> float:
    """'0.9' -> 0.9.

    Raises:
      ValueError: not a number in (0, 1].
    """
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value <= 1:
        raise ValueError("a test accuracy in (0, 1]")
    return value
