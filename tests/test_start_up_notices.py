import os

from bench_lib.engine import start_up_notices

NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796035675.529825   17630 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. "
    "To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
)
OTHER = "E0000 00:00:1796035675.529900   17630 some_op.cc:12] a real error\n"


def test_the_notices_are_left_out_and_every_other_line_kept(capfd):
    with start_up_notices.left_out():
        os.write(2, (NOTICES + OTHER + NOTICES).encode())
    assert capfd.readouterr().err == OTHER


def test_verbose_keeps_the_notices(capfd):
    with start_up_notices.left_out(verbose=True):
        os.write(2, (NOTICES + OTHER).encode())
    assert capfd.readouterr().err == NOTICES + OTHER


def test_stderr_is_back_after_an_error_in_the_block(capfd):
    try:
        with start_up_notices.left_out():
            os.write(2, OTHER.encode())
            raise ImportError("no tensorflow")
    except ImportError:
        pass
    os.write(2, b"after\n")
    assert capfd.readouterr().err == OTHER + "after\n"
