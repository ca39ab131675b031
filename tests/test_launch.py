"""The launcher's normal run and its fault paths, with tiny commands instead of TensorFlow workers."""

import io
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from bench_lib.cli.launch.launcher import LaunchOptions, launch

# Each worker's index, from the TF_CONFIG the launcher gave it.
INDEX = "import json, os, signal, socket, sys, time; i = json.loads(os.environ['TF_CONFIG'])['task']['index']; "


def run(script, *, workers=2, stop_timeout_s=30.0, **options):
    out, err = io.StringIO(), io.StringIO()
    command = (sys.executable, "-c", INDEX + script)
    start = time.monotonic()
    code = launch(
        LaunchOptions(command=command, workers=workers, stop_timeout_s=stop_timeout_s, **options), out=out, err=err
    )
    return code, out.getvalue(), err.getvalue(), time.monotonic() - start


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_chief_is_streamed_with_a_prefix_and_its_status_returned():
    script = "print(os.environ['TFBENCH_REPLICAS_PER_WORKER']); print(os.environ['TF_CONFIG']); sys.exit(0 if i else 5)"
    code, out, err, _ = run(script, replicas_per_worker=3)
    assert code == 5
    assert err == ""
    replicas, config = out.splitlines()
    assert replicas == "[worker 0] 3"
    config = json.loads(config.removeprefix("[worker 0] "))
    assert config["task"] == {"type": "worker", "index": 0}
    addresses = config["cluster"]["worker"]
    assert len(set(addresses)) == 2 and all(a.startswith("localhost:") for a in addresses)


def test_all_output_streams_every_worker():
    code, out, _, _ = run("print('hello', i)", stream_all=True)
    assert code == 0
    assert sorted(out.splitlines()) == ["[worker 0] hello 0", "[worker 1] hello 1"]


def wait_for(path):
    """Script text: worker 1 waits (at most 30 s) until the chief has written `path`, so the chief is up."""
    return f"[time.sleep(0.05) for _ in range(600) if not os.path.exists({str(path)!r})]; "


def test_a_worker_that_exits_at_once_stops_the_others_and_is_named_with_its_last_output(tmp_path):
    # The chief ignores SIGTERM, so only the bounded SIGKILL can stop it.
    ready = tmp_path / "chief.pid"
    script = (
        "signal.signal(signal.SIGTERM, signal.SIG_IGN) if i == 0 else None; "
        f"open({str(ready)!r}, 'w').write(str(os.getpid())) if i == 0 else None; "
        f"{wait_for(ready)}"
        f"time.sleep(60) if i == 0 else (print('cannot start: no such dataset'), "
        f"open({str(tmp_path / 'exited')!r}, 'w').write(repr(time.time())), sys.exit(3))"
    )
    code, _, err, _ = run(script, stop_timeout_s=1.0)
    assert code == 3
    assert time.time() - float((tmp_path / "exited").read_text()) < 1.0 + 5, "bounded by stop_timeout_s"
    first, *tail = err.splitlines()
    assert first.startswith("python -m bench_lib launch: error: worker 1 exited with status 3 after ")
    assert first.endswith("; stopped the other workers (0). Its last output:")
    assert tail[-1] == "  [worker 1] cannot start: no such dataset"
    assert gone(int(ready.read_text())), "the chief was stopped"


def test_a_worker_killed_mid_run_stops_the_chief_and_frees_its_port(tmp_path):
    ready = tmp_path / "chief.port"
    script = (
        "port = int(json.loads(os.environ['TF_CONFIG'])['cluster']['worker'][i].split(':')[1]); "
        "s = socket.socket(); s.bind(('', port)); s.listen(); print('listening', port, flush=True); "
        f"open({str(ready)!r}, 'w').write(str(port)) if i == 0 else None; "
        f"{wait_for(ready)}"
        "time.sleep(60) if i == 0 else os.kill(os.getpid(), signal.SIGKILL)"
    )
    code, _, err, took = run(script)
    assert code == 128 + 9
    assert took < 40
    assert "error: worker 1 was killed by SIGKILL after " in err
    assert "  [worker 1] listening " in err
    with socket.socket() as s:
        s.bind(("", int(ready.read_text())))  # the stopped chief's port is free again


def test_a_worker_still_running_after_the_chief_exited_is_killed_after_the_timeout():
    code, _, err, took = run("time.sleep(60) if i else None", stop_timeout_s=0.5)
    assert code == 0, "the chief's status"
    assert took < 10
    assert "worker 1 was still running 0.5 s after the chief exited; killed it" in err


def test_a_command_that_cannot_start_is_named():
    err = io.StringIO()
    code = launch(LaunchOptions(command=("/no/such/command", "x"), workers=2), out=io.StringIO(), err=err)
    assert code == 1
    assert err.getvalue() == (
        "python -m bench_lib launch: error: worker 0 could not start '/no/such/command': No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0", "--", "true"], "workers=0 is not allowed: a whole number >= 1"),
        (["--workers", "2", "--replicas-per-worker", "0", "--", "true"], "replicas_per_worker=0 is not allowed"),
        (["--workers", "2", "--stop-timeout", "0", "--", "true"], "stop_timeout_s=0.0 is not allowed"),
        (["--workers", "2"], "command=() is not allowed: give the command after --"),
    ],
)
def test_bad_launch_options_are_one_line(args, message):
    done = subprocess.run(
        [sys.executable, "-m", "bench_lib", "launch", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.startswith("python -m bench_lib: error: ") and message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_stopped_worker_ends_the_launch_with_a_line_naming_it(tmp_path):
    # Both workers beat; worker 1 then stops itself with SIGSTOP, alive but no longer progressing.
    script = (
        "from bench_lib.config import heartbeat; heartbeat.start(); time.sleep(1.5); "
        "os.kill(os.getpid(), signal.SIGSTOP) if i == 1 else time.sleep(60)"
    )
    code, _, err, took = run(script, heartbeat_timeout_s=2.0, stop_timeout_s=2.0)
    assert code == 1
    assert took < 30, "heartbeat timeout + the other workers' stop timeout, with margin"
    first = err.splitlines()[0]
    assert first.startswith("python -m bench_lib launch: error: worker 1 is alive but stuck: no heartbeat for ")
    assert "(--heartbeat-timeout 2); it is stopped by a signal; killed it and stopped the other workers (0)" in first


def test_a_worker_stopped_before_the_chief_failed_is_named_as_stuck_not_waited_for():
    # As with TensorFlow: the chief's collective fails because worker 1 stopped, and the chief exits.
    script = (
        "from bench_lib.config import heartbeat; heartbeat.start(); time.sleep(1.5); "
        "os.kill(os.getpid(), signal.SIGSTOP) if i == 1 else (time.sleep(1.0), sys.exit(3))"
    )
    code, _, err, took = run(script, heartbeat_timeout_s=2.0, stop_timeout_s=30.0)
    assert code == 3, "the chief's status"
    assert took < 20, "well before the 30 s the others get after the chief exited"
    assert err.startswith("python -m bench_lib launch: error: worker 1 is alive but stuck: no heartbeat for ")


def test_a_command_without_a_heartbeat_is_never_called_stuck():
    code, _, err, _ = run("time.sleep(3)", heartbeat_timeout_s=1.0)
    assert (code, err) == (0, "")
