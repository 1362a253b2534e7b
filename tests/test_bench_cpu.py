"""``bench/cpu.py``, which the benches print beside a figure that misses its
target: CPU by process group from ``/proc``, and RabbitMQ's work by queue and
connection (real RabbitMQ, read with ``rabbitmqctl``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from bench.cpu import BrokerWork, CpuMeter

# burns 0.6 s of CPU between "go" and "done", then idles
BURN = ("import sys, time\nprint('go', flush=True)\nend = time.process_time() + 0.6\n"
        "while time.process_time() < end: pass\nprint('done', flush=True)\ntime.sleep(30)\n")


def test_cpu_meter_counts_each_group_and_only_the_block():
    busy = subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert busy.stdout.readline().strip() == "go"
        with CpuMeter({"busy": {busy.pid}, "idle": {idle.pid},
                       "nobody": "no-such-command-line"}) as meter:
            # the block lasts exactly the burn, however loaded the machine is
            assert busy.stdout.readline().strip() == "done"
        assert 0.5 <= meter.seconds["busy"] <= 0.8, meter.seconds
        assert meter.seconds["idle"] < 0.1 and meter.seconds["nobody"] == 0
        assert 0 < meter.busy <= 1
        assert meter.per(100)["busy"] == round(meter.seconds["busy"] * 10, 3)
        assert "busy" in meter.line(100, "event")
        with CpuMeter({"busy": {busy.pid}}) as after:
            time.sleep(0.2)  # done burning: nothing more is counted
        assert after.seconds["busy"] < 0.1
    finally:
        busy.kill()
        idle.kill()


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")
def test_broker_work_names_the_queue_and_the_connection_that_worked(rabbit):
    from doudi_common.testing.fixtures import amqp_uri_for
    from kombu import Connection, Exchange, Producer, Queue

    exchange = Exchange("bench-cpu-test", type="direct", durable=False)
    queue = Queue("bench.cpu.busy", exchange=exchange, routing_key="k", durable=True)
    with Connection(amqp_uri_for(rabbit, "admin")) as conn:
        channel = conn.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange)
        with BrokerWork(rabbit["vhost"]) as work:
            for _ in range(3000):
                producer.publish(b"x" * 200, routing_key="k", delivery_mode=2)
            channel.basic_qos(0, 1, False)  # a round trip: every publish has arrived
        queue(channel).delete()
    shares = work.shares
    assert shares["queue bench.cpu.busy"] > 0.1, shares
    assert shares["connection of admin"] > 0.1, shares
    assert abs(sum(shares.values()) - 1) < 0.01
    assert "queue bench.cpu.busy" in work.line()
