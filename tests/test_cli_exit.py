"""A command that ran TensorFlow ends as soon as its output is flushed, without TensorFlow's teardown."""

import sys

import pytest

from bench_lib.cli import main as cli_main


class Ended(Exception):
    pass


def test_after_tensorflow_ran_the_process_ends_at_once_with_the_status(monkeypatch, capsys):
    pytest.importorskip("tensorflow")
    ended = []

    def exit_now(code):
        ended.append(code)
        raise Ended

    monkeypatch.setattr(cli_main.os, "_exit", exit_now)
    print("summary", end="")  # unflushed output is flushed first
    with pytest.raises(Ended):
        cli_main.end_process(1)
    assert ended == [1]
    assert capsys.readouterr().out == "summary"


def test_without_tensorflow_the_interpreter_exits_as_usual(monkeypatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(cli_main.os, "_exit", pytest.fail)
    with pytest.raises(SystemExit) as exit:
        cli_main.end_process(2)
    assert exit.value.code == 2
