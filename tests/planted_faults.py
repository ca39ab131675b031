"""A pytest plugin the reliability tests load into suite runs (`-p planted_faults`): faults on request.

TFBENCH_PLANTED_ABORT=<text> aborts the process (SIGABRT, as a segfault in TensorFlow would end
it) in the configuration whose test name contains the text. Nothing else changes.
"""

import os


def pytest_runtest_call(item):
    planted = os.environ.get("TFBENCH_PLANTED_ABORT")
    if planted and planted in item.name:
        os.abort()
