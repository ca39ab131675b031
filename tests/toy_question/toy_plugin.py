"""Adds the toy question to a suite run, before the suite reads questions: `pytest -p toy_plugin -p bench_lib.suite`."""

from toy_question import QUESTION

from bench_lib import questions

questions.register(QUESTION)
