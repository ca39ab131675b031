"""The suite's questions, one module each: everything a question is, shows and says, beside its registry entry.

`bench_lib.questions.registry` finds them; this package re-exports its API.
"""

from bench_lib.questions.registry import (
    QUESTIONS,
    Column,
    CrossFindingsRule,
    ExtraTable,
    FindingsRule,
    GlanceRule,
    Page,
    Question,
    RowsTable,
    SizeOption,
    all_questions,
    check_sizes,
    cross_findings,
    find,
    findings_rules,
    followers,
    glance_rules,
    profile_sizes,
    question,
    register,
    result_keys,
    size_options,
)

__all__ = [
    "QUESTIONS",
    "Column",
    "CrossFindingsRule",
    "ExtraTable",
    "FindingsRule",
    "GlanceRule",
    "Page",
    "Question",
    "RowsTable",
    "SizeOption",
    "all_questions",
    "check_sizes",
    "cross_findings",
    "find",
    "findings_rules",
    "followers",
    "glance_rules",
    "profile_sizes",
    "question",
    "register",
    "result_keys",
    "size_options",
]
