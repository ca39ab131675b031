"""The throughput question's sentence on XLA with and without Dropout, from literal results."""

from bench_lib import questions
from bench_lib.analysis.findings import findings
from bench_lib.analysis.xla import xla_dropout


def run(examples_per_sec, *, jit_compile, dropout, optimizer="adam"):
    spec = {"model": "mlp", "global_batch_size": 256, "optimizer": optimizer, "dropout": dropout,
            "jit_compile": jit_compile, "strategy": "one_device", "replicas": 1}  # fmt: skip
    return {"question": "throughput", "status": "ok", "spec": spec, "examples_per_sec": examples_per_sec}


MEASURED = [
    run(148_618, jit_compile=False, dropout=0.2),
    run(32_602, jit_compile=True, dropout=0.2),
    run(150_000, jit_compile=False, dropout=0.0, optimizer="sgd"),
    run(157_500, jit_compile=True, dropout=0.0, optimizer="sgd"),
]


def test_dropout_is_named_as_what_slows_xla_when_only_the_dropout_pair_is_slower():
    [sentence] = xla_dropout(MEASURED)
    assert sentence.startswith(
        "XLA (jit_compile) on this device: 0.22× the examples/s without XLA where the model has Dropout, "
        "1.05× where it has none. Dropout is what makes XLA slow here"
    )


def test_no_explanation_when_xla_is_slow_without_dropout_too():
    slow_everywhere = [*MEASURED[:3], run(60_000, jit_compile=True, dropout=0.0, optimizer="sgd")]
    [sentence] = xla_dropout(slow_everywhere)
    assert "0.40× where it has none." in sentence and "Dropout is what" not in sentence


def test_the_throughput_findings_carry_the_xla_sentence_after_the_generic_one():
    sentences = findings(MEASURED, rules=questions.findings_rules(), family=questions.judged_family(MEASURED))
    assert sentences[0].startswith("throughput") and sentences[1].startswith("XLA (jit_compile)")
    assert xla_dropout(MEASURED[:1]) == [], "no XLA run, no sentence"
