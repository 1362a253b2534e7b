"""A stand-in ``eligibility`` service for ``bench gateway``'s ceiling run: the
suite's own RPC entrypoint, answering ``evaluate`` with a fixed reply (the real
service's answer, recorded in the same run) and ``get_person`` with a division,
without database or rules, over the same transports as the real one (its reads
over HTTP when ``DOUDI_WEB_SERVER_ADDRESS`` is set). What the gateway then does
per second is what the path gateway → service → back costs on this machine by
itself.

    python -m bench.stub_eligibility REPLY.json   (DOUDI_AMQP_URI from the environment)
"""

# ruff: noqa: E402 - eventlet must patch before every other import
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # as doudi-service: before every other import

import json
import os
import sys
from pathlib import Path

from doudi_common.entrypoints import read_over_http, rpc
from nameko.cli.run import run

REPLY = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")) if len(sys.argv) > 1 else {}
DIVISION = os.environ.get("BENCH_STUB_DIVISION", "341502001201")


class StubEligibility:
    name = "eligibility"

    @rpc
    @read_over_http
    def evaluate(self, id_number, on=None, known_at=None):
        return REPLY

    @rpc
    @read_over_http
    def get_person(self, id_number):
        return {"id_number": id_number, "division_code": DIVISION}

    @rpc
    def health(self):
        return {"service": self.name, "ok": True}


if __name__ == "__main__":
    run([StubEligibility], {"AMQP_URI": os.environ["DOUDI_AMQP_URI"],
                            "WEB_SERVER_ADDRESS": os.environ.get("DOUDI_WEB_SERVER_ADDRESS", "")})
