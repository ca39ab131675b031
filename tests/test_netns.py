"""`launch --netns`: workers in their own network namespaces, reachable over 198.18.0.0/24, removed afterwards."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench_lib.cli import main as cli_main
from bench_lib.cli.launch import netns
from bench_lib.cli.launch.launcher import LaunchOptions, launch

ROOT = Path(__file__).resolve().parents[1]
needs_root = pytest.mark.skipif(netns.unavailable() is not None, reason=str(netns.unavailable()))

# Worker 0 listens on its namespace's address; worker 1 connects to it and prints what it got.
TALK = (
    "import json, os, socket, time; c = json.loads(os.environ['TF_CONFIG']); i = c['task']['index']; "
    "host, port = c['cluster']['worker'][0].split(':'); "
    "s = socket.socket(); "
    "(s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1), s.bind((host, int(port))), s.listen(), "
    " s.accept()[0].sendall(b'hello from ' + host.encode())) if i == 0 else "
    "([time.sleep(0.1) for _ in range(50) if s.connect_ex((host, int(port)))], print(s.recv(100).decode()))"
)


def ours(pid: int) -> list[str]:
    return [name for name in netns.existing() if name.startswith(f"{netns.PREFIX}{pid}-")]


@needs_root
def test_workers_reach_each_other_over_their_own_interfaces_and_the_namespaces_go():
    out, err = io.StringIO(), io.StringIO()
    options = LaunchOptions(command=(sys.executable, "-c", TALK), workers=2, netns=True, stream_all=True)
    assert launch(options, out=out, err=err) == 0, err.getvalue()
    assert "[worker 1] hello from 198.18.0.1" in out.getvalue().splitlines()
    assert ours(os.getpid()) == []


@needs_root
def test_the_namespaces_go_when_a_worker_fails():
    err = io.StringIO()
    options = LaunchOptions(command=("sh", "-c", "ip -4 -o addr show eth0; exit 3"), workers=2, netns=True)
    assert launch(options, out=io.StringIO(), err=err) == 3
    assert "198.18.0." in err.getvalue(), "the failed worker's last output shows its address"
    assert ours(os.getpid()) == []


@needs_root
def test_the_namespaces_go_when_the_launcher_is_interrupted(tmp_path):
    started = tmp_path / "started"
    command = [
        sys.executable, "-m", "bench_lib", "launch", "--workers", "2", "--netns", "--",
        "sh", "-c", f"touch {started}; sleep 60",
    ]  # fmt: skip
    launcher = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        if started.exists():
            break
        time.sleep(0.1)
    assert ours(launcher.pid), "the namespaces exist while the workers run"
    launcher.send_signal(signal.SIGINT)
    _, stderr = launcher.communicate(timeout=60)
    assert launcher.returncode == 130
    assert stderr.endswith("error: interrupted; stopped every worker\n")
    assert ours(launcher.pid) == []


def test_without_root_netns_is_refused_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cli_main.main(["launch", "--workers", "2", "--netns", "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "python -m bench_lib: error: --netns needs root: it creates network namespaces and veth pairs; "
        "run as root or leave out --netns\n"
    )


@needs_root
def test_namespaces_of_a_launcher_that_is_gone_are_removed():
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = netns.Network(1, dead.pid)
    stale.create()
    assert sorted(ours(dead.pid)) == sorted([stale.switch, stale.namespace(0)])
    assert {stale.switch, stale.namespace(0)} <= set(netns.remove_orphans()), "others' orphans may go too"
    assert ours(dead.pid) == []


# Worker 1 times its TCP connection to worker 0: one round trip, twice the one-way netem delay.
HANDSHAKE = (
    "import json, os, socket, time; c = json.loads(os.environ['TF_CONFIG']); i = c['task']['index']; "
    "host, port = c['cluster']['worker'][0].split(':'); s = socket.socket(); "
    "(s.bind((host, int(port))), s.listen(), s.accept()[0].recv(1)) if i == 0 else "
    "([time.sleep(0.1) for _ in range(50) if s.connect_ex((host, int(port))) and not s.close() "
    "and not globals().update(s=socket.socket())], s.close(), s := socket.socket(), t := time.monotonic(), "
    "s.connect((host, int(port))), print(f'rtt {time.monotonic() - t:.3f}'), s.sendall(b'x'))"
)


@needs_root
def test_netem_delays_every_workers_link():
    out, err = io.StringIO(), io.StringIO()
    options = LaunchOptions(
        command=(sys.executable, "-c", HANDSHAKE), workers=2, netns=True, netem="delay 100ms", stream_all=True
    )
    code = launch(options, out=out, err=err)
    if "Specified qdisc kind is unknown" in err.getvalue():
        pytest.skip("this kernel has no netem queueing discipline (sch_netem)")
    assert code == 0, err.getvalue()
    (rtt,) = [float(line.split()[-1]) for line in out.getvalue().splitlines() if " rtt " in line]
    assert 0.19 < rtt < 5, "100 ms on each worker's egress"


def test_netem_without_netns_is_refused_in_one_line(capsys):
    assert cli_main.main(["launch", "--workers", "2", "--netem", "delay 2ms", "--", "true"]) == 2
    assert capsys.readouterr().err == (
        "python -m bench_lib: error: netem='delay 2ms' is not allowed: tc netem arguments, only with --netns\n"
    )
