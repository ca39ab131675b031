"""`tfbench run` has one option per RunSpec field, named after it; the older spellings still parse alike."""

import dataclasses

import pytest

from bench_lib.cli.arguments import command_line
from bench_lib.cli.main import main
from bench_lib.cli.run_options import ALIASES, option_name, spec_from_args
from bench_lib.config import cluster as cluster_lib
from bench_lib.config.spec import RunSpec

TWO_WORKERS = '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 0}}'


def run_arguments():
    parser = command_line()
    commands = next(a for a in parser._actions if a.dest == "command")
    return commands.choices["run"]


def spec_of(*argv, cluster=None):
    return spec_from_args(command_line().parse_args(["run", *argv]), cluster)


def test_every_runspec_field_has_a_run_option_named_after_it():
    options = {action.dest: action.option_strings for action in run_arguments()._actions}
    for field in dataclasses.fields(RunSpec):
        assert field.name in options, f"no `tfbench run` option sets {field.name}"
        assert option_name(field.name) == options[field.name][0]


def test_every_option_help_is_the_fields_declaration():
    helps = {action.dest: action.help for action in run_arguments()._actions}
    for field in dataclasses.fields(RunSpec):
        assert field.metadata["help"], f"{field.name} declares no help"
        assert field.metadata["help"].replace("%", "%%") in helps[field.name]


def test_no_option_given_is_the_default_spec():
    assert spec_of() == RunSpec()


# Every option of `run` as it was spelled before the options took the fields' names, with a value.
OLD_COMMAND_LINE = [
    "--strategy", "mirrored", "--replicas", "2", "--batch-size", "64", "--accumulation", "2",
    "--epochs", "3", "--steps", "7", "--optimizer", "momentum", "--learning-rate", "0.05", "--seed", "3",
    "--model", "mlp_bn", "--dropout", "0.1", "--dataset", "digits", "--precision", "mixed_bfloat16",
    "--bn", "local", "--noise-scale-batches", "8,32", "--noise-scale-interval", "3", "--warmup-steps", "1",
    "--seeds", "2", "--lr-scaling", "linear", "--base-batch-size", "16", "--warmup-epochs", "0.5",
    "--target-accuracy", "0.5", "--target-check-steps", "4", "--stop-at-target", "--sharpness-samples", "2",
    "--sharpness-epsilon", "0.01", "--hidden-units", "32,32", "--steps-per-execution", "2", "--jit-compile",
    "--input-cache", "--prefetch-batches", "0", "--distribute-input", "function", "--deterministic",
    "--memory-limit-mib", "900",
]  # fmt: skip


def test_the_old_spellings_parse_to_the_same_spec_as_the_field_names():
    old = spec_of(*OLD_COMMAND_LINE)
    renamed = {alias: option_name(field) for field, aliases in ALIASES.items() for alias in aliases}
    new = spec_of(*(renamed.get(word, word) for word in OLD_COMMAND_LINE))
    assert old == new
    assert (old.global_batch_size, old.accumulation_steps, old.noise_scale_batch_sizes) == (64, 2, (8, 32))
    assert (
        old.id == "mirrored2-bs64-acc2-mlp_bn-momentum-lrlinear16-wu0.5-mixed_bfloat16-h32x32-spe2-xla-cache-pf0-dsfn"
    )


@pytest.mark.parametrize(("old", "new", "field", "value"), [
    ("--batch-size", "--global-batch-size", "global_batch_size", 64),
    ("--accumulation", "--accumulation-steps", "accumulation_steps", 4),
    ("--noise-scale-batches", "--noise-scale-batch-sizes", "noise_scale_batch_sizes", (8, 32)),
])  # fmt: skip
def test_each_alias_sets_its_field(old, new, field, value):
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    assert getattr(spec_of(old, text), field) == getattr(spec_of(new, text), field) == value


def test_the_collective_timeout_keeps_its_old_spelling(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", TWO_WORKERS)
    cluster = cluster_lib.from_environ()
    argv = ("--strategy", "multi_worker", "--bytes-per-pack", "1024")
    old = spec_of(*argv, "--collective-timeout", "30", cluster=cluster)
    assert old == spec_of(*argv, "--collective-timeout-s", "30", cluster=cluster)
    assert (old.collective_timeout_s, old.workers, old.replicas) == (30.0, 2, 2)


def test_equal_convergence_is_reachable_from_the_command_line():
    spec = spec_of("--target-accuracy", "0.6", "--target-on", "train", "--timed-blocks", "3")
    assert (spec.target_on, spec.timed_blocks) == ("train", 3)
    assert spec.id.endswith("-totrain")


def test_a_given_workers_must_match_the_cluster(monkeypatch, capsys):
    monkeypatch.setenv("TF_CONFIG", TWO_WORKERS)
    assert main(["run", "--strategy", "multi_worker", "--workers", "3"]) == 2
    assert capsys.readouterr().err == (
        "python -m bench_lib: error: workers=3 is not allowed: the cluster has 2 (from TF_CONFIG)\n"
    )


def test_the_cluster_shape_is_worked_out_in_one_place():
    shape = cluster_lib.shape
    assert shape("one_device", None) == {"replicas": 1, "workers": 1}
    assert shape("mirrored", None, replicas=4) == {"replicas": 4, "workers": 1}
    assert shape("mirrored", None, default_replicas=2) == {"replicas": 2, "workers": 1}
    cluster = cluster_lib.parse_tf_config(TWO_WORKERS)
    assert shape("multi_worker", cluster, replicas_per_worker=3) == {"replicas": 6, "workers": 2}
    assert shape("multi_worker", cluster, environ={cluster_lib.REPLICAS_PER_WORKER_ENV: "2"}) == {
        "replicas": 4,
        "workers": 2,
    }
    assert shape("multi_worker", None, environ={}) == {"replicas": 1, "workers": 1}
    with pytest.raises(ValueError, match=r"^replicas=5 is not allowed: .* 2 x 3 = 6 replicas"):
        shape("multi_worker", cluster, replicas=5, replicas_per_worker=3)
    with pytest.raises(ValueError, match=r"^replicas_per_worker=0 is not allowed: a whole number >= 1"):
        shape("multi_worker", cluster, replicas_per_worker=0)
    with pytest.raises(ValueError, match=r"^replicas_per_worker=2 is not allowed: only for strategy='multi_worker'"):
        shape("mirrored", None, replicas_per_worker=2)
