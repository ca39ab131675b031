"""bench_lib/config/wording.py and the messages that count things or say how long: one of a thing is singular."""

from bench_lib.config.wording import count, duration
from bench_lib.render.tables import spec_line
from bench_lib.suite.progress import progress_line


def test_one_is_singular_and_every_other_count_plural():
    assert [count(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert count(1, "entry", "entries") == "1 entry" and count(3, "entry", "entries") == "3 entries"


def test_messages_count_one_replica_and_one_configuration_in_the_singular():
    spec = {"id": "one_device-bs32", "dataset": "digits", "global_batch_size": 32, "replicas": 1,
            "accumulation_steps": 1, "micro_batch_size": 32}  # fmt: skip
    assert "= 1 replica x 1 accumulation" in spec_line(spec)
    assert progress_line(1, 1, 5, None).startswith("tfbench progress: 1/1 configuration done")


def test_a_duration_reads_in_its_two_largest_units():
    assert duration(38) == "38 s" and duration(59.4) == "59 s"
    assert duration(267.5) == "4 min 28 s" and duration(725) == "12 min 05 s"
    assert duration(3 * 3600 + 12 * 60) == "3 h 12 min" and duration(3 * 3600 + 7 * 60 + 29) == "3 h 07 min"
