"""Where a measured run's CPU goes, for the benches whose target is not met
(issue 21 asks for the profile beside the figure):

- ``CpuMeter``: CPU seconds of groups of processes (by command line, from
  ``/proc``) and how busy the machine was while a block ran — RabbitMQ,
  PostgreSQL, the service, the gateway, the load generator side by side.
- ``BrokerWork``: the share of RabbitMQ's work (Erlang reductions, from
  ``rabbitmqctl eval``) spent by each queue and connection of one
  vhost while a block ran; nothing where ``rabbitmqctl`` cannot reach the node.

Both read before and after the block only: nothing runs while it is measured.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, IndexError, ValueError):
        return float("nan")


def _processes() -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # gone meanwhile
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ") \
                    .decode("utf-8", "replace")
    return found


def _machine() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """``with CpuMeter({"RabbitMQ": "beam.smp", ...}) as meter:`` — afterwards
    ``meter.seconds`` holds each group's CPU seconds during the block (a group:
    the processes whose command line contains its text, or whose pid is in its
    set) and ``meter.busy`` the machine's busy fraction. Processes started in
    the block count from zero; those that ended in it are not counted."""

    def __init__(self, groups: dict[str, str | set[int]]):
        self.groups = groups
        self.seconds: dict[str, float] = {}
        self.busy = float("nan")

    def _snapshot(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid, cmd in _processes().items()
                if self._group(pid, cmd) is not None}

    def _group(self, pid: int, cmd: str) -> str | None:
        for name, match in self.groups.items():
            if pid in match if isinstance(match, set) else match in cmd:
                return name
        return None

    def __enter__(self):
        self._before, self._machine_before = self._snapshot(), _machine()
        return self

    def __exit__(self, *exc):
        busy, total = _machine()
        after = _processes()
        self.seconds = dict.fromkeys(self.groups, 0.0)
        for pid, cmd in after.items():
            name = self._group(pid, cmd)
            if name is not None:
                spent = cpu_seconds(pid) - self._before.get(pid, 0.0)
                if spent == spent:  # not NaN: the process did not end meanwhile
                    self.seconds[name] += spent
        b0, t0 = self._machine_before
        self.busy = (busy - b0) / (total - t0) if total > t0 else float("nan")

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per unit (event, request) by group."""
        return {name: round(s / count * 1000, 3) for name, s in self.seconds.items()}

    def line(self, count: int, unit: str) -> str:
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in self.per(count).items())
        return (f"CPU per {unit} (ms): {parts}; machine busy {self.busy:.0%} of "
                f"{os.cpu_count()} cores")


# -- the broker's work by queue and channel ---------------------------------------

_REDUCTIONS = (
    "[{pid_to_list(P), element(2, erlang:process_info(P, reductions)), "
    "proplists:get_value(process_name, element(2, erlang:process_info(P, dictionary)))} "
    "|| P <- erlang:processes(), erlang:is_process_alive(P)].")
_ENTRY = re.compile(r'\{"(<[\d.]+>)",(\d+),')
_QUEUE = re.compile(r'rabbit_amqqueue_process,\s*\{resource,\s*<<"([^"]*)">>,\s*queue,\s*'
                    r'<<"([^"]*)">>')
_CHANNEL = re.compile(r'\{rabbit_(channel|reader|writer),\s*\{?<<"([^"]*)">>')


def _reductions() -> dict[str, tuple[int, str]] | None:
    if shutil.which("rabbitmqctl") is None:
        return None
    try:
        out = subprocess.run(["rabbitmqctl", "eval", _REDUCTIONS], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.replace("\n", " ")
    found = {}
    for match in _ENTRY.finditer(text):
        end = text.find('"<', match.end())
        found[match.group(1)] = (int(match.group(2)), text[match.end():end if end > 0 else None])
    return found


def _connection_users(vhost: str) -> dict[str, str]:
    """Connection name → user of ``vhost``'s connections, from the node itself
    (the management API lists a connection only after its first statistics)."""
    try:
        out = subprocess.run(["rabbitmqctl", "list_connections", "-p", vhost, "name", "user",
                              "--no-table-headers", "--quiet"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(line.rsplit("\t", 1) for line in out.splitlines() if "\t" in line)


class BrokerWork:
    """``with BrokerWork(vhost) as work:`` — afterwards ``work.shares`` maps
    "queue <name>", "connection of <user>" (its channel, reader and writer
    processes) and "other" to their share of the broker's reductions in the
    block; empty when ``rabbitmqctl`` is missing. A connection closed inside
    the block is not counted: keep it open until the block has ended."""

    def __init__(self, vhost: str):
        self.vhost = vhost
        self.shares: dict[str, float] = {}

    def __enter__(self):
        self._before = _reductions()
        return self

    def __exit__(self, *exc):
        after = _reductions() if self._before is not None else None
        if after is None:
            return
        users = _connection_users(self.vhost)
        totals: dict[str, int] = {}
        for pid, (count, name) in after.items():
            spent = count - self._before.get(pid, (0, ""))[0]
            queue, channel = _QUEUE.search(name), _CHANNEL.search(name)
            if queue and queue.group(1) == self.vhost:
                key = f"queue {queue.group(2)}"
            elif channel and channel.group(2) in users:
                key = f"connection of {users[channel.group(2)]}"
            else:
                key = "other"
            totals[key] = totals.get(key, 0) + max(spent, 0)
        whole = sum(totals.values()) or 1
        self.shares = {k: round(v / whole, 3)
                       for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}

    def line(self) -> str:
        if not self.shares:
            return "broker work by queue and connection: rabbitmqctl not available"
        return "broker work by queue and connection (Erlang reductions): " + ", ".join(
            f"{k} {v:.0%}" for k, v in self.shares.items() if v >= 0.01)
