import json

import pytest

from bench_lib.config import cluster

TWO = {"worker": ["host-a:2222", "host-b:2222"]}


def config(cluster_spec, task):
    return json.dumps({"cluster": cluster_spec, "task": task})


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ('{"cluster": {"worker": ["a:1"]}', "not valid JSON"),
        ("[1, 2]", 'a JSON object with "cluster" and "task"'),
        (json.dumps({"task": {"type": "worker", "index": 0}}), '"cluster" must map job names'),
        (config(TWO, None), 'a "task" with "type" and "index" is missing'),
        (json.dumps({"cluster": TWO}), 'a "task" with "type" and "index" is missing'),
        (config(TWO, {"type": "worker"}), 'a "task" with "type" and "index" is missing'),
        (
            config(TWO, {"type": "worker", "index": 2}),
            "task.index=2 is out of range: cluster.worker has 2 tasks (0..1)",
        ),
        (config(TWO, {"type": "worker", "index": -1}), "task.index=-1 is out of range"),
        (config(TWO, {"type": "worker", "index": "0"}), "task.index='0' is out of range"),
        (config(TWO, {"type": "chief", "index": 0}), "task.type='chief' is not a job of the cluster (worker)"),
        (config({**TWO, "ps": ["c:1"]}, {"type": "worker", "index": 0}), "job 'ps' is not run by multi_worker"),
        (config({"worker": ["host-a"]}, {"type": "worker", "index": 0}), 'non-empty list of "host:port"'),
        (config({"worker": []}, {"type": "worker", "index": 0}), 'non-empty list of "host:port"'),
        (config({"chief": ["a:1", "b:1"]}, {"type": "chief", "index": 0}), "at most 1 chief"),
    ],
)
def test_a_bad_tf_config_is_one_line_naming_what_is_wrong(text, allowed):
    with pytest.raises(ValueError) as error:
        cluster.parse_tf_config(text)
    message = str(error.value)
    assert message.startswith("TF_CONFIG=")
    assert " is not allowed: " in message and allowed in message
    assert "\n" not in message


def test_worker_zero_is_the_chief_unless_there_is_a_chief_job():
    first = cluster.parse_tf_config(config(TWO, {"type": "worker", "index": 0}))
    second = cluster.parse_tf_config(config(TWO, {"type": "worker", "index": 1}))
    assert (first.workers, first.is_chief, second.is_chief) == (2, True, False)
    assert second.task_name == "worker 1 of 2"
    with_chief = {"chief": ["c:1"], **TWO}
    chief = cluster.parse_tf_config(config(with_chief, {"type": "chief", "index": 0}))
    worker0 = cluster.parse_tf_config(config(with_chief, {"type": "worker", "index": 0}))
    assert (chief.workers, chief.is_chief, worker0.is_chief, worker0.rank) == (3, True, False, 1)


def test_the_launcher_config_reads_back_as_the_same_cluster():
    addresses = ["localhost:1234", "localhost:1235", "localhost:1236"]
    for index in range(3):
        parsed = cluster.parse_tf_config(cluster.tf_config(addresses, index))
        assert parsed.worker == tuple(addresses) and parsed.task_index == index and parsed.is_chief == (index == 0)


def test_environment_without_tf_config_is_no_cluster():
    assert cluster.from_environ({}) is None
    assert cluster.from_environ({"TF_CONFIG": " "}) is None
    assert cluster.replicas_per_worker_from_environ({}) == 1
    assert cluster.replicas_per_worker_from_environ({"TFBENCH_REPLICAS_PER_WORKER": "3"}) == 3
    with pytest.raises(ValueError, match=r"TFBENCH_REPLICAS_PER_WORKER='0' is not allowed: a whole number >= 1"):
        cluster.replicas_per_worker_from_environ({"TFBENCH_REPLICAS_PER_WORKER": "0"})
