"""A count and its noun, in the singular for one: '1 run', '3 runs', '1 replica'."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 run', '2 runs'; plural gives an irregular form ('1 entry', '2 entries')."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
