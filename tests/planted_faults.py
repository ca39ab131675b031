"""A pytest plugin the reliability tests load into suite runs (`-p planted_faults`): faults on request.

TFBENCH_PLANTED_ABORT=<text> aborts the process (SIGABRT, as a segfault in TensorFlow would end
it) in the configuration whose test name contains the text. TFBENCH_PLANTED_SUMMARY_CRASH=1 raises
in the terminal summary, after the run was saved (as a failing report plugin would). Nothing else
changes.
"""

import os


def pytest_runtest_call(item):
    planted = os.environ.get("TFBENCH_PLANTED_ABORT")
    if planted and planted in item.name:
        os.abort()


def pytest_terminal_summary():
    if os.environ.get("TFBENCH_PLANTED_SUMMARY_CRASH"):
        raise RuntimeError("planted: a crash after the run was saved")
