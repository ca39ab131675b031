"""Checks a configuration field's value and raises the one-line ValueError naming field, value and what is allowed."""

from __future__ import annotations

import math

from bench_lib.config import models
from bench_lib.config.refusal import fail


def check_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    """One of the choices."""
    if value not in choices:
        fail(field, value, "choose one of " + ", ".join(choices))


def check_fraction(field: str, value: object, allowed: str, *, upper_open: bool = False) -> None:
    """A number in (0, 1], or in (0, 1) when upper_open."""
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or not 0 < value <= 1 or (upper_open and value == 1):
        fail(field, value, allowed)


def check_int(field: str, value: object, minimum: int) -> None:
    """A whole number (not a bool) at least minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        fail(field, value, f"a whole number >= {minimum}")


def check_bool(field: str, value: object) -> None:
    """True or False."""
    if not isinstance(value, bool):
        fail(field, value, "True or False")


def check_batch_pair(field: str, sizes: object) -> None:
    """A (small, big) pair of batch sizes with small < big and big a multiple of small."""
    if (
        not isinstance(sizes, tuple)
        or len(sizes) != 2
        or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in sizes)
        or sizes[0] >= sizes[1]
        or sizes[1] % sizes[0]
    ):
        fail(
            field, sizes, "two whole numbers (small, big) with small < big and big a multiple of small, e.g. (16, 256)"
        )


def check_transformer_size(spec: object) -> None:
    """Size fields only for a model that takes a size; a spec of one gets every size field set (unset: declared).

    `spec` is a RunSpec; filling its fields makes the size part of the saved spec.
    """
    model = models.declared(spec.model)
    given = [field for field in models.SIZE_FIELDS if getattr(spec, field) is not None]
    if not model.takes_size:
        if given:
            sized = [name for name in models.names() if models.declared(name).takes_size]
            what = f"is fixed at {model.transformer.describe()}" if model.transformer else "is not a transformer"
            fail(
                given[0],
                getattr(spec, given[0]),
                f"model={spec.model!r} {what}; model={' or '.join(map(repr, sized))} takes a size",
            )
        return
    for field, value in models.transformer_size(spec).as_fields().items():
        object.__setattr__(spec, field, value)
