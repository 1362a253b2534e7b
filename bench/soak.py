"""A short soak (issue 22): the whole suite as ``make run`` starts it (four
services on SQLite, the gateway under gunicorn) in a broker vhost of its own,
under mixed load for a few minutes — reads and registrations through the
gateway from a load process (bench/load.py) while the three department
simulators publish (``doudi-dept simulate all``, 2 % deliberately bad).

    make soak                         # or: python -m bench.soak --seconds 180

It prints the figures and exits 1 when a promise is broken: after the warm-up
no request failed; each process's RSS is within 10 % of its level after the
warm-up; no process holds more file descriptors, and the broker no more
connections, than then; the ledgers balance; the only dead letters are the
deliberately bad events.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from doudi_common.testing.idnumbers import make_id_number
from doudi_departments.deadletters import SERVICES as DLQ_SERVICES
from doudi_departments.deadletters import DeadLetterQueue
from doudi_departments.simulate import interleave, simulators

from bench.bench_ingest import API, scratch_vhost
from bench.load import running_load
from bench.processes import BIN, SuiteProcesses

SEED, RATE, BAD_SHARE, COUNTIES = 7, 10, 0.02, ["341502", "410928", "620102"]


def _proc_figures(pid: int) -> tuple[int, int]:
    """(RSS in KiB, open file descriptors) of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(next(line.split()[1] for line in status.splitlines()
                   if line.startswith("VmRSS:")))
    return rss, len(list(Path(f"/proc/{pid}/fd").iterdir()))


def _pids(suite: SuiteProcesses) -> dict[str, int]:
    """Each service process, and the gateway's gunicorn master and worker."""
    pids = {name: proc.pid for name, proc in suite.procs.items()}
    master = pids.pop("gateway")
    pids["gateway-master"] = master
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for n, child in enumerate(children):
        pids[f"gateway-worker-{n}"] = int(child)
    return pids


def _broker_connections(vhost: str) -> int:
    parts = urlsplit(API)
    resp = requests.get(f"{parts.scheme}://{parts.hostname}:{parts.port}/api/vhosts/"
                        f"{quote(vhost, safe='')}/connections",
                        auth=(parts.username, parts.password), timeout=10)
    return len(resp.json())


def sample(suite: SuiteProcesses, vhost: str) -> dict:
    figures = {name: dict(zip(("rss_kib", "fds"), _proc_figures(pid), strict=True))
               for name, pid in _pids(suite).items()}
    return {"processes": figures, "broker_connections": _broker_connections(vhost)}


def _bad_ids(count: int) -> set[str]:
    """The ids of the deliberately bad events among the simulators' ``count``
    (the same seeded stream ``doudi-dept simulate`` sends)."""
    stream = interleave(simulators(["cdpf", "health", "medical_insurance"], SEED, COUNTIES),
                        count, BAD_SHARE, SEED)
    return {m.message_id for m in stream if m.expected}


def _ledgers_balanced(suite: SuiteProcesses, headers: dict) -> dict:
    out = {}
    for county in COUNTIES:
        resp = requests.get(f"{suite.base}/api/v1/funding/reconciliation", headers=headers,
                            params={"division_code": county}, timeout=30)
        resp.raise_for_status()
        out[county] = resp.json().get("unbalanced_transactions", [])
    return out


def _departments(uri_for, count: int, work: Path) -> subprocess.Popen:
    """``doudi-dept simulate all`` as a process of its own, each department as
    its own broker user."""
    parts = urlsplit(uri_for("cdpf"))
    template = f"amqp://{{user}}:{{password}}@{parts.hostname}:{parts.port}{parts.path}"
    counties = [arg for county in COUNTIES for arg in ("--jurisdiction", county)]
    return subprocess.Popen(
        [str(BIN / "doudi-dept"), "simulate", "all", "--seed", str(SEED), "--rate", str(RATE),
         "--count", str(count), "--bad-share", str(BAD_SHARE), "--uri", template, *counties],
        stdout=subprocess.DEVNULL,
        stderr=open(work / "departments.log", "wb"))


def _every_gateway_thread(suite: SuiteProcesses, headers: dict) -> None:
    """A burst of concurrent reads, so each of the gateway's request threads has
    opened its broker connection before the warm-up figures are taken (gthread
    hands requests to any of its threads; one used for the first time later
    opens its connection then — bounded by the thread count, not a leak)."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"{suite.base}/api/v1/persons/{make_id_number(region='341502', seq=1)}"
    with ThreadPoolExecutor(4 * suite.threads) as pool:
        list(pool.map(lambda _: requests.get(url, headers=headers, timeout=30),
                      range(16 * suite.threads)))


def run(seconds: float, warmup: float, work: Path) -> dict:
    with scratch_vhost() as uri_for:
        parts = urlsplit(uri_for("guest"))
        vhost = parts.path.lstrip("/")
        guest = parts._replace(netloc=f"guest:guest@{parts.hostname}:{parts.port}").geturl()
        suite = SuiteProcesses({"AMQP_URI": guest}, work, threads=8)
        try:
            suite.start().wait_ready()
            headers = suite.login()
            count = int(RATE * (warmup + seconds + 30))
            departments = _departments(uri_for, count, work)
            try:
                with running_load(suite.base, headers, work / "load.jsonl", threads=4) as load:
                    _every_gateway_thread(suite, headers)
                    time.sleep(warmup)
                    warm_at, warm = time.time(), sample(suite, vhost)
                    time.sleep(seconds)
                    end = sample(suite, vhost)
            finally:
                departments.terminate()
                departments.wait(timeout=30)
            time.sleep(5)  # what is in flight settles
            letters = {svc: [d.summary() for d in DeadLetterQueue(svc, uri_for("admin")).list()]
                       for svc in DLQ_SERVICES}
            ledgers = _ledgers_balanced(suite, headers)
        finally:
            suite.stop()
    return judge(load.records, warm_at, warm, end, letters, ledgers, _bad_ids(count))


def judge(records, warm_at, warm, end, letters, ledgers, bad_ids) -> dict:
    after = [r for r in records if r["t"] >= warm_at]
    by_status: dict[str, int] = {}
    for r in records:
        by_status[str(r["status"])] = by_status.get(str(r["status"]), 0) + 1
    failed = [r for r in after if r["status"] not in (200, 404)]
    growth = {}
    for name, w in warm["processes"].items():
        e = end["processes"].get(name, {"rss_kib": 0, "fds": 0})
        growth[name] = {"rss_kib": [w["rss_kib"], e["rss_kib"]],
                        "rss_ratio": round(e["rss_kib"] / w["rss_kib"], 3),
                        "fds": [w["fds"], e["fds"]]}
    unexpected = [d for svc in letters.values() for d in svc if d["message_id"] not in bad_ids]
    problems = [f"{len(failed)} requests failed after the warm-up"] if failed else []
    problems += [f"{n}: RSS {g['rss_ratio']}× its level after the warm-up"
                 for n, g in growth.items() if g["rss_ratio"] > 1.10]
    problems += [f"{n}: file descriptors {g['fds'][0]} → {g['fds'][1]}"
                 for n, g in growth.items() if g["fds"][1] > g["fds"][0]]
    if end["broker_connections"] > warm["broker_connections"]:
        problems.append(f"broker connections {warm['broker_connections']} → "
                        f"{end['broker_connections']}")
    problems += [f"unbalanced transactions in {c}: {t}" for c, t in ledgers.items() if t]
    problems += [f"unexpected dead letter: {d}" for d in unexpected[:5]]
    return {"requests": len(records), "requests_after_warmup": len(after),
            "by_status": by_status, "writes": sum(r["kind"] == "write" for r in records),
            "processes": growth,
            "broker_connections": [warm["broker_connections"], end["broker_connections"]],
            "dead_letters": {svc: len(d) for svc, d in letters.items()},
            "dead_letter_reasons": sorted({d["reason"] for s in letters.values() for d in s}),
            "unbalanced": {c: t for c, t in ledgers.items() if t}, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a short soak of the whole suite")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--warmup", type=float, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="doudi-soak-") as work:
        result = run(args.seconds, args.warmup, Path(work))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    for problem in result["problems"]:
        print(f"soak: {problem}", file=sys.stderr)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
