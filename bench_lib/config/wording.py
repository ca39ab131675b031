"""How counts and durations read in a sentence: '1 run', '3 runs', '12 min 05 s'."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 run', '2 runs'; plural gives an irregular form ('1 entry', '2 entries')."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def duration(seconds: float) -> str:
    """'41 s', '12 min 05 s', '3 h 07 min': whole seconds under a minute, then two units."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
