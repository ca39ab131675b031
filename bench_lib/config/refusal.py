"""The one-line error for bad input: the field, the value and what is allowed."""


def fail(field: str, value: object, allowed: str) -> None:
    """Raises the one-line ValueError: "field=value is not allowed: allowed"."""
    raise ValueError(f"{field}={value!r} is not allowed: {allowed}")
