import json

import pytest

from bench_lib.config.spec import RunSpec


@pytest.mark.parametrize(
    ("fields", "field", "allowed"),
    [
        ({"strategy": "horovod"}, "strategy='horovod'", "one_device, mirrored, multi_worker"),
        ({"workers": 0, "strategy": "multi_worker"}, "workers=0", "a whole number >= 1"),
        ({"workers": 2, "strategy": "mirrored", "replicas": 2}, "workers=2", "runs in 1 process"),
        ({"strategy": "multi_worker", "workers": 2, "replicas": 3}, "replicas=3", "a multiple of 2"),
        ({"replicas": 0}, "replicas=0", "a whole number >= 1"),
        ({"replicas": 2}, "replicas=2", "strategy='one_device' runs exactly 1 replica"),
        ({"strategy": "mirrored", "replicas": 1.5}, "replicas=1.5", "a whole number >= 1"),
        ({"global_batch_size": 0}, "global_batch_size=0", "a whole number >= 1"),
        ({"global_batch_size": True}, "global_batch_size=True", "a whole number >= 1"),
        ({"accumulation_steps": 0}, "accumulation_steps=0", "a whole number >= 1"),
        ({"epochs": 0}, "epochs=0", "a whole number >= 1"),
        ({"steps": -3}, "steps=-3", "a whole number >= 1"),
        ({"optimizer": "rmsprop"}, "optimizer='rmsprop'", "sgd, momentum, adam"),
        ({"learning_rate": 0.0}, "learning_rate=0.0", "a finite number > 0"),
        ({"learning_rate": float("nan")}, "learning_rate=nan", "a finite number > 0"),
        ({"seed": -1}, "seed=-1", "a whole number >= 0"),
        ({"model": "resnet"}, "model='resnet'", "mlp, mlp_bn, cnn"),
        ({"dropout": 1.0}, "dropout=1.0", "a rate in [0, 1)"),
        ({"dataset": "imagenet"}, "dataset='imagenet'", "mnist_5k, cifar10, cifar100, synthetic"),
        ({"data_path": "/x.npz"}, "data_path='/x.npz'", "only for dataset='mnist' or 'fashion_mnist' or 'cifar10'"),
        ({"dataset": "tfds:CIFAR10"}, "dataset='tfds:CIFAR10'", "a TensorFlow Datasets name in lower case"),
        ({"dataset": "tfds:"}, "dataset='tfds:'", "e.g. tfds:cifar10"),
        (
            {"dataset": "cifar10", "model": "transformer_small"},
            "dataset='cifar10'",
            "datasets of tokens: synthetic, tfds:NAME",
        ),
        ({"precision": "float64"}, "precision='float64'", "float32"),
        ({"precision": "float16"}, "precision='float16'", "float32, mixed_bfloat16, mixed_float16"),
        ({"bn": "batch"}, "bn='batch'", "none, local, sync"),
        ({"model": "mlp_bn", "bn": "none"}, "bn='none'", "use model='mlp'"),
        ({"bn": "sync", "accumulation_steps": 2}, "bn='sync'", "accumulation_steps=1"),
        ({"noise_scale_batch_sizes": (16, 16)}, "noise_scale_batch_sizes=(16, 16)", "small < big"),
        ({"noise_scale_batch_sizes": (16, 100)}, "noise_scale_batch_sizes=(16, 100)", "multiple of small"),
        ({"noise_scale_batch_sizes": (16,)}, "noise_scale_batch_sizes=(16,)", "two whole numbers"),
        ({"noise_scale_batch_sizes": (8, 64), "noise_scale_interval": 0}, "noise_scale_interval=0", ">= 1"),
        ({"warmup_steps": -1}, "warmup_steps=-1", "a whole number >= 0"),
        ({"deterministic": 1}, "deterministic=1", "True or False"),
        ({"memory_limit_mib": 0}, "memory_limit_mib=0", "a whole number >= 1"),
        ({"memory_limit_mib": 1.5}, "memory_limit_mib=1.5", "a whole number >= 1"),
        ({"dataset": "mnist", "data_path": ""}, "data_path=''", "a non-empty string"),
        ({"seeds": 0}, "seeds=0", "a whole number >= 1"),
        ({"lr_scaling": "cubic"}, "lr_scaling='cubic'", "none, linear, sqrt"),
        ({"base_batch_size": 0}, "base_batch_size=0", "a whole number >= 1"),
        ({"warmup_epochs": -1.0}, "warmup_epochs=-1.0", "a number of epochs >= 0"),
        ({"warmup_epochs": 2.0}, "warmup_epochs=2.0", "it needs lr_scaling='linear' or 'sqrt'"),
        ({"target_accuracy": 1.5}, "target_accuracy=1.5", "a test accuracy in (0, 1]"),
        ({"target_accuracy": 0.0}, "target_accuracy=0.0", "a test accuracy in (0, 1]"),
        ({"target_check_steps": 5}, "target_check_steps=5", "only with a target_accuracy"),
        ({"target_accuracy": 0.9, "target_check_steps": 0}, "target_check_steps=0", "a whole number >= 1"),
        ({"stop_at_target": True}, "stop_at_target=True", "only with a target_accuracy"),
        ({"sharpness_samples": -2}, "sharpness_samples=-2", "a whole number >= 0"),
        ({"sharpness_epsilon": 1.0}, "sharpness_epsilon=1.0", "a number in (0, 1)"),
        ({"hidden_units": ()}, "hidden_units=()", "a non-empty tuple of whole numbers >= 1"),
        ({"hidden_units": (512, 0)}, "hidden_units=(512, 0)", "a non-empty tuple of whole numbers >= 1"),
        ({"hidden_units": 512}, "hidden_units=512", "a non-empty tuple"),
        ({"steps_per_execution": 0}, "steps_per_execution=0", "a whole number >= 1"),
        ({"jit_compile": "yes"}, "jit_compile='yes'", "True or False"),
        ({"input_cache": 1}, "input_cache=1", "True or False"),
        ({"prefetch_batches": -1}, "prefetch_batches=-1", "a whole number >= 0"),
        ({"distribute_input": "auto"}, "distribute_input='auto'", "dataset, function"),
    ],
)
def test_every_bad_field_is_named_with_its_value_and_what_is_allowed(fields, field, allowed):
    with pytest.raises(ValueError) as error:
        RunSpec(**fields)
    message = str(error.value)
    assert message.startswith(field + " is not allowed")
    assert allowed in message
    assert "\n" not in message


def test_a_batch_that_does_not_split_shows_the_arithmetic():
    with pytest.raises(
        ValueError, match=r"replicas x accumulation_steps = 2 x 3 = 6 micro-batches \(256 / 6 = 42\.6667\)"
    ):
        RunSpec(strategy="mirrored", replicas=2, global_batch_size=256, accumulation_steps=3)


def test_micro_batch_is_global_over_replicas_times_accumulation():
    spec = RunSpec(strategy="mirrored", replicas=2, global_batch_size=256, accumulation_steps=4)
    assert spec.micro_batch_size == 32
    assert spec.per_replica_batch_size == 128


def test_ids_are_stable_and_readable():
    assert RunSpec(strategy="mirrored", replicas=2, global_batch_size=256, accumulation_steps=4).id == (
        "mirrored2-bs256-acc4-mlp-adam"
    )
    assert RunSpec(global_batch_size=128).id == "one_device-bs128-acc1-mlp-adam"


def test_ids_tell_cluster_shapes_apart():
    two_by_one = RunSpec(strategy="multi_worker", workers=2, replicas=2, global_batch_size=256)
    one_by_two = RunSpec(strategy="multi_worker", workers=1, replicas=2, global_batch_size=256)
    mirrored = RunSpec(strategy="mirrored", replicas=2, global_batch_size=256)
    assert two_by_one.id == "multi_worker2x1-bs256-acc1-mlp-adam"
    assert one_by_two.id == "multi_worker1x2-bs256-acc1-mlp-adam"
    assert mirrored.id == "mirrored2-bs256-acc1-mlp-adam"
    assert RunSpec(strategy="multi_worker", workers=2, replicas=4, global_batch_size=256).replicas_per_worker == 2
    assert two_by_one.micro_batch_size == 128, "the global batch is split over every replica of every worker"


def test_the_single_replica_baseline_keeps_everything_but_the_shape():
    spec = RunSpec(strategy="multi_worker", workers=2, replicas=4, global_batch_size=256, accumulation_steps=2, seed=3)
    assert spec.single_replica() == RunSpec(global_batch_size=256, accumulation_steps=2, seed=3)


def test_performance_fields_extend_the_id_only_when_they_differ_from_their_defaults():
    assert RunSpec(hidden_units=(128,), steps_per_execution=1, prefetch_batches=2).id == RunSpec().id
    spec = RunSpec(
        hidden_units=(512, 512),
        steps_per_execution=8,
        jit_compile=True,
        input_cache=True,
        prefetch_batches=0,
        distribute_input="function",
    )
    assert spec.id == "one_device-bs128-acc1-mlp-adam-h512x512-spe8-xla-cache-pf0-dsfn"


def test_a_saved_spec_without_the_performance_fields_reads_as_the_defaults():
    old = RunSpec().as_dict()
    for name in ("hidden_units", "steps_per_execution", "jit_compile", "input_cache", "prefetch_batches"):
        del old[name]
    del old["distribute_input"]
    assert RunSpec.from_dict(old) == RunSpec()


def test_hidden_units_survive_json():
    spec = RunSpec(hidden_units=(512, 256))
    assert RunSpec.from_dict(json.loads(json.dumps(spec.as_dict()))) == spec


def test_default_learning_rate_is_the_optimizers():
    assert RunSpec(optimizer="sgd").effective_learning_rate == 0.01
    assert RunSpec(optimizer="adam").effective_learning_rate == 0.001
    assert RunSpec(optimizer="adam", learning_rate=0.1).effective_learning_rate == 0.1


def test_dict_round_trip_and_unknown_field():
    spec = RunSpec(strategy="mirrored", replicas=2, steps=7, learning_rate=0.05)
    assert RunSpec.from_dict(spec.as_dict()) == spec
    older = {k: v for k, v in spec.as_dict().items() if k != "workers"}
    assert RunSpec.from_dict(older) == spec, "a spec saved before `workers` existed reads as 1 worker"
    with pytest.raises(ValueError, match=r"^batch=32 is not allowed: not a RunSpec field"):
        RunSpec.from_dict({"batch": 32})


def test_spec_is_frozen_and_replace_validates():
    spec = RunSpec()
    with pytest.raises(AttributeError):
        spec.epochs = 3
    with pytest.raises(ValueError, match=r"^epochs=0"):
        spec.replace(epochs=0)


def test_learning_rate_fields_join_the_id_only_when_set():
    assert RunSpec().id == "one_device-bs128-acc1-mlp-adam"
    spec = RunSpec(global_batch_size=512, lr_scaling="linear", base_batch_size=32, warmup_epochs=1.0)
    assert spec.id == "one_device-bs512-acc1-mlp-adam-lrlinear32-wu1"
    assert RunSpec(seeds=3, target_accuracy=0.9, sharpness_samples=4).id == RunSpec().id


def test_new_fields_round_trip_and_seeds_count_up_from_seed():
    spec = RunSpec(seed=5, seeds=3, lr_scaling="sqrt", warmup_epochs=0.5, target_accuracy=0.8, stop_at_target=True)
    assert RunSpec.from_dict(spec.as_dict()) == spec
    assert spec.seed_list == [5, 6, 7]


def test_bn_and_precision_extend_the_id_only_when_they_change_the_model():
    assert RunSpec(model="mlp_bn").id == RunSpec(model="mlp_bn", bn="local").id == "one_device-bs128-acc1-mlp_bn-adam"
    assert RunSpec(model="mlp", bn="none").id == RunSpec().id == "one_device-bs128-acc1-mlp-adam"
    assert RunSpec(model="mlp_bn", bn="sync").id == "one_device-bs128-acc1-mlp_bn-adam-bnsync"
    assert RunSpec(precision="mixed_bfloat16").id == "one_device-bs128-acc1-mlp-adam-mixed_bfloat16"
    assert RunSpec(model="mlp_bn").batch_norm == "local" and RunSpec(model="cnn").batch_norm == "none"


def test_new_fields_survive_a_json_round_trip():
    import json

    spec = RunSpec(bn="sync", precision="mixed_float16", noise_scale_batch_sizes=(8, 64), noise_scale_interval=3)
    again = RunSpec.from_dict(json.loads(json.dumps(spec.as_dict())))
    assert again == spec
    assert again.noise_scale_batch_sizes == (8, 64)


def test_a_tfds_set_is_named_with_its_config_and_version_and_read_from_data_path():
    spec = RunSpec(dataset="tfds:imdb_reviews/plain_text:1.0.0", model="transformer_small", data_path="/data/tfds")
    assert RunSpec.from_dict(json.loads(json.dumps(spec.as_dict()))) == spec
    # whether a tfds: set gives images or tokens is in its files, which the loader checks against the model
    assert RunSpec(dataset="tfds:cifar10", model="resnet20").dataset == "tfds:cifar10"
