"""The suite's questions, one module each: name, title, order, per-profile sizes, columns, findings rule.

`bench_lib.questions.registry` finds them; this package re-exports its API.
"""

from bench_lib.questions.registry import (
    Column,
    ExtraTable,
    FindingsRule,
    Question,
    all_questions,
    find,
    findings_rules,
    profile_sizes,
    question,
    register,
    unregister,
)

__all__ = [
    "Column",
    "ExtraTable",
    "FindingsRule",
    "Question",
    "all_questions",
    "find",
    "findings_rules",
    "profile_sizes",
    "question",
    "register",
    "unregister",
]
