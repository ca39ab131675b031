"""Keeps TensorFlow's start-up notices, the lines its C++ libraries print while they load, out of stderr.

Two notices come whatever TF_CPP_MIN_LOG_LEVEL says, because absl's logging prints them, not
TensorFlow's: absl's "All log messages before absl::InitializeLog() is called are written to
STDERR" and the "oneDNN custom operations are on" line that TF_ENABLE_ONEDNN_OPTS=1 (bench_lib's
default) brings, each once per TensorFlow library that loads. They are written to file descriptor
2, out of Python's reach, so left_out() holds back that descriptor while TensorFlow is imported
and then writes out everything else that came, in order. Once TensorFlow is imported, later
imports of it print nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

NOTICES = (
    re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"),
    re.compile(r"I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on\. "),
)


def is_notice(line: str) -> bool:
    """True for a start-up notice that left_out() leaves out."""
    return any(notice.match(line) for notice in NOTICES)


@contextlib.contextmanager
def left_out(*, verbose: bool = False) -> Iterator[None]:
    """Holds back file descriptor 2 while the block runs, then writes all of it but the notices.

    Anything else written to stderr meanwhile (a warning, an error) still reaches it, after the
    block. With verbose, nothing is held back or left out.
    """
    if verbose:
        yield
        return
    sys.stderr.flush()
    stderr_fd = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(stderr_fd, 2)
            os.close(stderr_fd)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not is_notice(line)))
            sys.stderr.flush()
