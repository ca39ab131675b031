"""Creates and removes the network namespaces `launch --netns` runs its workers in.

Each worker gets a namespace of its own with one interface, `eth0`, addressed 198.18.0.(i+1)/24
(198.18.0.0/15 is the range reserved for benchmarking networks), whose veth peer sits on a bridge
in one more namespace, the switch. gRPC and the collectives then cross real network interfaces
instead of loopback, and no traffic leaves the namespaces the launch made: the host's own network
is never touched. Namespaces are named `tfbench-<launcher pid>-...` and removed when the launch
ends; ones left by a launcher that was killed are removed by the next launch. `netem` shapes every
worker's link with `tc qdisc add dev eth0 root netem ...` (a delay, a rate, losses) to show what
a slower network does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

PREFIX = "tfbench-"
SUBNET = "198.18.0"
PREFIX_LENGTH = 24
PORT = 12345
_IP_TIMEOUT_S = 30


class NetnsError(OSError):
    """A namespace could not be made; the message is one line."""


def unavailable() -> str | None:
    """Why --netns cannot run here (not root, no `ip`), or None."""
    if os.geteuid() != 0:
        return "--netns needs root: it creates network namespaces and veth pairs; run as root or leave out --netns"
    if shutil.which("ip") is None:
        return "--netns needs the `ip` command (Debian: apt-get install iproute2)"
    return None


def _ip(*args: str) -> None:
    _run(["ip", *args])


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=_IP_TIMEOUT_S)
    if done.returncode != 0:
        raise NetnsError(f"`{' '.join(command)}` failed: {done.stderr.strip() or done.returncode}")


@dataclass(frozen=True)
class Network:
    """The namespaces of one launch: one per worker and the switch that joins them."""

    workers: int
    owner: int  # the launcher's pid
    netem: tuple[str, ...] = ()  # `tc qdisc ... netem` arguments for every worker's eth0, e.g. ("delay", "2ms")

    @property
    def switch(self) -> str:
        return f"{PREFIX}{self.owner}-switch"

    def namespace(self, index: int) -> str:
        return f"{PREFIX}{self.owner}-w{index}"

    def address(self, index: int) -> str:
        return f"{SUBNET}.{index + 1}"

    def endpoints(self) -> list[str]:
        """Every worker's host:port, for TF_CONFIG."""
        return [f"{self.address(i)}:{PORT}" for i in range(self.workers)]

    def command(self, index: int, command: tuple[str, ...]) -> list[str]:
        """`command` run inside worker `index`'s namespace (`ip netns exec` execs it: same pid)."""
        return ["ip", "netns", "exec", self.namespace(index), *command]

    def create(self) -> None:
        """Makes the switch and one namespace per worker; on failure removes what it made.

        Raises:
          NetnsError: an `ip` command failed (its message).
        """
        try:
            _ip("netns", "add", self.switch)
            _ip("-n", self.switch, "link", "add", "switch", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "switch", "up")
            for index in range(self.workers):
                self._add_worker(index)
        except (NetnsError, subprocess.TimeoutExpired) as error:
            self.remove()
            raise NetnsError(f"could not make the network namespaces: {error}") from None

    def _add_worker(self, index: int) -> None:
        ns, port = self.namespace(index), f"w{index}"
        _ip("netns", "add", ns)
        _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", self.switch)
        _ip("-n", self.switch, "link", "set", port, "master", "switch", "up")
        _ip("-n", ns, "addr", "add", f"{self.address(index)}/{PREFIX_LENGTH}", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        if self.netem:
            _run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", *self.netem])

    def remove(self) -> list[str]:
        """Deletes every namespace of this launch that exists (their interfaces go with them); returns the names."""
        return remove_namespaces(lambda name: name.startswith(f"{PREFIX}{self.owner}-"))


def existing() -> list[str]:
    """The names of the network namespaces that exist now."""
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=_IP_TIMEOUT_S)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def remove_namespaces(chosen) -> list[str]:
    removed = []
    for name in existing():
        if chosen(name):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=_IP_TIMEOUT_S)
            removed.append(name)
    return removed


def remove_orphans() -> list[str]:
    """Removes namespaces left by launchers that no longer run; returns their names."""

    def orphaned(name: str) -> bool:
        match = re.fullmatch(rf"{PREFIX}(\d+)-.*", name)
        return match is not None and not os.path.exists(f"/proc/{match.group(1)}")

    return remove_namespaces(orphaned)
