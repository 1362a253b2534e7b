"""Steady mixed load on the gateway from a process of its own — what the fault
tests (issue 22) put the suite under while they break it, and what the soak
(bench/soak.py) runs for minutes.

    python -m bench.load --base http://127.0.0.1:8000 --token <access token> \\
        --out var/load.jsonl --threads 4 --write-share 0.2 --region 341502

Each thread loops until the process gets SIGTERM (or SIGINT): a read of a
person (``GET /api/v1/persons/{id}``; a 404 is the service's answer for one
not registered yet) or, for ``--write-share`` of the calls, a registration of a
new person with an ``Idempotency-Key`` (safe to repeat). One JSON line per
call: ``t`` (wall-clock start), ``kind``, ``status`` (null: no answer),
``elapsed`` (s), ``problem`` (the body is problem+json), ``id`` (the person).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from doudi_common.testing.idnumbers import make_id_number

TIMEOUT = 30.0


class Load:
    def __init__(self, base: str, token: str, out, *, write_share: float, region: str,
                 village: str, first_seq: int):
        self.base, self.out, self.write_share = base.rstrip("/"), out, write_share
        self.headers = {"Authorization": f"Bearer {token}"}
        self.region, self.village = region, village
        self.seqs = itertools.count(first_seq)
        self.registered: list[str] = [make_id_number(region=region, seq=first_seq - 1)]
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def _write_line(self, record: dict) -> None:
        with self.lock:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()

    def _call(self, kind: str, session: requests.Session, rng: random.Random) -> None:
        started, wall = time.monotonic(), time.time()
        if kind == "write":
            with self.lock:
                seq = next(self.seqs)
            pid = make_id_number(region=self.region, seq=seq % 500,
                                 birth=f"19{40 + seq // 500 % 60:02d}0101")
            request = {"method": "POST", "url": f"{self.base}/api/v1/persons",
                       "headers": {**self.headers, "Idempotency-Key": uuid.uuid4().hex},
                       "json": {"id_number": pid, "name": "压测", "registration": "rural",
                                "division_code": self.village}}
        else:
            with self.lock:
                pid = rng.choice(self.registered)
            request = {"method": "GET", "url": f"{self.base}/api/v1/persons/{pid}",
                       "headers": self.headers}
        try:
            resp = session.request(timeout=TIMEOUT, **request)
            status, problem = resp.status_code, "problem+json" in resp.headers.get(
                "Content-Type", "")
        except requests.RequestException:
            status, problem = None, False
        if kind == "write" and status == 200:
            with self.lock:
                self.registered.append(pid)
        self._write_line({"t": wall, "kind": kind, "status": status, "problem": problem,
                          "elapsed": round(time.monotonic() - started, 4), "id": pid[-4:]})

    def worker(self, n: int) -> None:
        rng = random.Random(n)
        with requests.Session() as session:
            while not self.stop.is_set():
                kind = "write" if rng.random() < self.write_share else "read"
                self._call(kind, session, rng)


def read_records(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class Running:
    """A load process started by ``running_load``; ``records`` once it stopped."""

    def __init__(self, proc: subprocess.Popen, out: Path):
        self.proc, self.out = proc, out
        self.records: list[dict] = []

    def stop(self) -> list[dict]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TIMEOUT + 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.records = read_records(self.out) if self.out.exists() else []
        return self.records


@contextmanager
def running_load(base: str, headers: dict, out: Path, *, threads: int = 4,
                 write_share: float = 0.2, first_seq: int = 100) -> Iterator[Running]:
    """``python -m bench.load`` as a process of its own for the ``with`` block."""
    token = headers["Authorization"].removeprefix("Bearer ")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.load", "--base", base, "--token", token, "--out",
         str(out), "--threads", str(threads), "--write-share", str(write_share),
         "--first-seq", str(first_seq)], cwd=Path(__file__).resolve().parents[1])
    running = Running(proc, out)
    try:
        yield running
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--region", default="341502")
    parser.add_argument("--village", default="341502001001")
    parser.add_argument("--first-seq", type=int, default=100)
    args = parser.parse_args(argv)
    with open(args.out, "a", encoding="utf-8") as out:
        load = Load(args.base, args.token, out, write_share=args.write_share,
                    region=args.region, village=args.village, first_seq=args.first_seq)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: load.stop.set())
        threads = [threading.Thread(target=load.worker, args=(n,), daemon=True)
                   for n in range(args.threads)]
        for thread in threads:
            thread.start()
        while not load.stop.wait(0.2):
            pass
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)


if __name__ == "__main__":
    main()
