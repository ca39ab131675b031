"""The report's all-reduce section, communication share and scaling rows, from literal saved runs."""

import json
from pathlib import Path

import pytest

from bench_lib.analysis import scaling
from bench_lib.cli.saved_runs import report as report_command
from bench_lib.config.spec import RunSpec
from bench_lib.maths import allreduce_figures as allreduce
from bench_lib.record import history

TWO_WORKERS = {"strategy": "multi_worker", "workers": 2, "replicas": 2}
NETNS = {"workers": 2, "replicas_per_worker": 1, "addresses": ["198.18.0.1:12345", "198.18.0.2:12345"],
         "source": "tf_config"}  # fmt: skip


def _training(rate, **fields):
    spec = RunSpec(dataset="synthetic", timed_blocks=5, **fields)
    return {
        "schema_version": 1, "id": spec.id, "spec": spec.as_dict(), "status": "ok", "replicas": spec.replicas,
        "workers": spec.workers, "global_batch_size": spec.global_batch_size, "examples_per_sec": rate,
        "parameters": 2**18, "step_time_ms": {"median": spec.global_batch_size / rate * 1e3},
    }  # fmt: skip


def _sweep():
    spec = RunSpec(**TWO_WORKERS, global_batch_size=2)
    times = ((1024, 5e-5), (16 * 1024, 7e-5), (256 * 1024, 1e-4), (4 * 2**20, 16e-4))
    return allreduce.sweep(spec.id, spec.as_dict(), [allreduce.row(s, t, 2) for s, t in times])


def _bench(group, info):
    return {"name": f"{group}[{info['id']}]", "group": group, "stats": {"median": 1.0}, "extra_info": info}


def _saved_run(tmp_path, benchmarks, cluster=NETNS) -> history.SavedRun:
    data = {"machine_info": {"tfbench_cluster": cluster}, "commit_info": {}, "datetime": "2025-01-02T03:04:05",
            "benchmarks": benchmarks}  # fmt: skip
    path = tmp_path / "0001_cluster.json"
    path.write_text(json.dumps(data))
    return history.load_run(path)


@pytest.fixture
def report(tmp_path):
    run = _saved_run(
        tmp_path,
        [
            _bench("test_throughput", _training(1500.0, **TWO_WORKERS, global_batch_size=256)),
            _bench("test_throughput", _training(1000.0, global_batch_size=256)),
            _bench("test_throughput", _training(800.0, global_batch_size=128)),
            _bench("test_allreduce", _sweep()),
        ],
    )
    assert [b.id for b in run.benchmarks][:1] == ["multi_worker2x1-bs256-acc1-mlp-adam"] and len(
        run.extras["allreduce"]
    ) == 1
    return report_command.report_files(run)


def test_the_sweep_and_the_share_of_the_step_are_shown_in_the_all_reduce_section(report):
    text = report["report.md"]
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[-2:] == ["## Throughput (synthetic data)", "## All-reduce bandwidth"], "in registry order"
    section = text.split("## All-reduce bandwidth")[1]
    title = "multi_worker2x1-bs2-acc1-mlp-adam: multi_worker, 2 replicas on 2 workers, over netns veth; "
    assert f"**{title}latency (median time up to 16 KiB) 60.0 us**" in section
    assert "| 1 KiB | 50.0 | 0.020 | 0.020 |" in section and "| 4 MiB | 1600.0 | 2.621 | 2.621 |" in section
    # 1 MiB of gradients: 400 us between the 256 KiB and 4 MiB sizes, over a step of 256 / 1500 s
    row = "| multi_worker2x1-bs256-acc1-mlp-adam | multi_worker2x1-bs2-acc1-mlp-adam | 1.00 | 0.400 | 170.667 | 0.2% |"
    assert row in section
    assert "| workers' network | netns veth |" in text


def test_weak_and_strong_scaling_rows_name_the_network(report):
    section = report["report.md"].split("## Throughput (synthetic data)")[1].split("\n## ")[0]
    assert "**Scaling efficiency: R replicas" in section
    assert "| multi_worker2x1-bs256-acc1-mlp-adam | strong | one_device-bs256-acc1-mlp-adam | 2 | 2 | 1,500 | 1,000 " \
           "| 0.75 | netns veth |" in section  # fmt: skip
    assert "| weak | one_device-bs128-acc1-mlp-adam | 2 | 2 | 1,500 | 800 | 0.94 | netns veth |" in section


def test_the_html_page_shows_the_same_tables(report):
    page = report["index.html"]
    assert '<h2 id="allreduce">All-reduce bandwidth</h2>' in page
    assert "<td>4 MiB</td><td>1600.0</td><td>2.621</td><td>2.621</td>" in page
    assert "<td>0.2%</td>" in page and "<td>0.75</td><td>netns veth</td>" in page


def test_a_run_of_the_sweep_alone_reads_and_reports(tmp_path):
    run = _saved_run(tmp_path, [_bench("test_allreduce", _sweep())])
    assert run.benchmarks == () and run.extras["allreduce"][0]["latency_us"] == pytest.approx(60)
    assert "## All-reduce bandwidth" in report_command.report_files(run)["report.md"]


@pytest.mark.parametrize(
    ("cluster", "label"),
    [
        (None, "not recorded"),
        ({"workers": 1, "addresses": []}, "one process"),
        ({"workers": 2, "addresses": ["localhost:4001", "localhost:4002"], "source": "tf_config"}, "loopback"),
        (NETNS, "netns veth"),
        ({"workers": 2, "addresses": ["node1:8888", "node1:8889"], "source": "slurm"}, "slurm: node1"),
        (
            {"workers": 2, "addresses": ["10.0.0.5:2222", "10.0.0.6:2222"], "source": "tf_config"},
            "network: 10.0.0.5, 10.0.0.6",
        ),
    ],
)
def test_the_network_is_named_from_the_saved_cluster(cluster, label):
    assert scaling.network(cluster) == label


def test_the_question_saves_its_sweep_and_the_report_reads_it(tmp_path):
    """benchmarks/test_allreduce.py's quick sizes on 2 mirrored replicas, saved and reported."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    command = [
        sys.executable, "-m", "pytest", "benchmarks/test_allreduce.py", "-q", "-p", "no:cacheprovider",
        f"--benchmark-storage=file://{tmp_path}", "--benchmark-save=ar",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, env={**os.environ})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (path,) = tmp_path.glob("*/0001_ar.json")
    run = history.load_run(path)
    (sweep,) = run.extras["allreduce"]
    assert sweep["id"] == "mirrored2-bs2-acc1-mlp-adam" and sweep["spec"]["replicas"] == 2
    assert [r["size_bytes"] for r in sweep["rows"]] == [1024, 16 * 1024, 256 * 1024, 4 * 2**20, 64 * 2**20]
    assert sweep["latency_us"] > 0 and "| 64 MiB |" in report_command.report_files(run)["report.md"]
