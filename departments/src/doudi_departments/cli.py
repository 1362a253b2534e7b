"""``doudi-dept``: the department SDK from the command line.

    doudi-dept publish cdpf certificate.issued --data file.json [--division 341500]
    doudi-dept tail eligibility.events 'enrolment.*' [--as cdpf] [--count N]
    doudi-dept validate file.json [--source cdpf]
    doudi-dept simulate cdpf health medical_insurance --rate 5 --count 100 --seed 7 \\
        --jurisdiction 341502 --bad-share 0.05
    doudi-dept dlq list eligibility [--reason bad_data] [--type certificate.issued]
    doudi-dept dlq replay eligibility [--reason R] [--type T] [--id ID] [--fix ID=file.json]
    doudi-dept dlq discard eligibility --id ID --why "duplicate of ..."

Connections: ``--uri`` or ``DOUDI_DEPT_AMQP_URI`` (department commands; default
the local broker as the department's user with its development password) and
``DOUDI_OPERATOR_AMQP_URI`` (``dlq``; default the local ``admin`` user).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from doudi_contracts.errors import ContractError
from doudi_contracts.registry import DEPARTMENTS, SOURCES, validate_event


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


@click.group(help=__doc__.split("\n\n")[0])
def main() -> None:
    pass


@main.command(help="Publish one event as a department and wait for the broker's confirm.")
@click.argument("department", type=click.Choice(sorted(DEPARTMENTS)))
@click.argument("event_type")
@click.option("--data", "data_file", required=True, type=click.File("r", encoding="utf-8"),
              help="JSON file with the event's data ('-' for stdin)")
@click.option("--division", help="division code for the envelope's source "
              "(default: data.division_code or the ID number's county)")
@click.option("--id", "event_id", help="event id (default: a new UUID)")
@click.option("--uri", help="AMQP URI (default DOUDI_DEPT_AMQP_URI or local dev broker)")
def publish(department, event_type, data_file, division, event_id, uri):
    from doudi_departments.client import DepartmentClient

    data = json.load(data_file)
    division = division or data.get("division_code") or _county_of(data)
    try:
        with DepartmentClient(department, uri, division_code=division) as client:
            envelope = client.publish(event_type, data, event_id=event_id)
    except ContractError as exc:
        raise click.ClickException(f"{exc.reason}: {exc.detail}") from None
    _echo_json({"published": envelope["id"], "type": envelope["type"],
                "source": envelope["source"]})


def _county_of(data: dict) -> str | None:
    for key in ("id_number", "institution_uscc"):
        value = data.get(key)
        if isinstance(value, str) and len(value) == 18:
            return value[:6] if key == "id_number" else value[2:8]
    return None


@main.command(help="Follow events on an exchange, e.g. tail eligibility.events 'enrolment.*'.")
@click.argument("exchange")
@click.argument("patterns", nargs=-1)
@click.option("--as", "user", type=click.Choice(sorted(DEPARTMENTS)), default="cdpf",
              show_default=True, help="department user to consume as")
@click.option("--uri", help="AMQP URI (default DOUDI_DEPT_AMQP_URI or local dev broker)")
@click.option("--count", type=int, help="stop after N events")
@click.option("--timeout", type=float, help="stop after N seconds")
@click.option("--queue", "queue_name", help="durable queue name (default: a temporary one)")
def tail(exchange, patterns, user, uri, count, timeout, queue_name):
    import uuid

    from doudi_departments.client import DepartmentClient

    source = exchange.removesuffix(".events")
    if source not in SOURCES:
        raise click.BadParameter(f"unknown exchange {exchange!r}")

    def show(event, _message):
        _echo_json(event)

    with DepartmentClient(user, uri) as client:
        client.subscribe(source, list(patterns) or ["#"], show,
                         queue_name=queue_name or f"tail.{uuid.uuid4().hex[:8]}",
                         durable=bool(queue_name), validate=False, limit=count, timeout=timeout)


@main.command(help="Declare a department's durable subscription queues (DESIGN's list), "
                   "so nothing published before its consumer first runs is lost.")
@click.argument("department", type=click.Choice(sorted(DEPARTMENTS)))
@click.option("--name", default="main", show_default=True,
              help="queues are <department>.<source>.<name>")
@click.option("--uri", help="AMQP URI (default DOUDI_DEPT_AMQP_URI or local dev broker)")
def declare(department, name, uri):
    from doudi_departments.client import SUBSCRIPTIONS, DepartmentClient

    with DepartmentClient(department, uri) as client:
        for source, patterns in SUBSCRIPTIONS[department].items():
            queue = client.queue(source, patterns, name)
            client.subscribe(source, patterns, lambda e, m: None, queue_name=name, limit=0)
            _echo_json({"queue": queue.name, "exchange": f"{source}.events",
                        "bindings": patterns})


@main.command(help="Check a JSON envelope (or a list of them) against the contracts.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--source", type=click.Choice(sorted(SOURCES)),
              help="exchange it is meant for (default: from the envelope's source)")
def validate(file, source):
    try:
        doc = json.load(file)
    except ValueError as exc:
        _echo_json({"ok": False, "reason": "invalid_json", "detail": str(exc)})
        sys.exit(1)
    envelopes = doc if isinstance(doc, list) else [doc]
    ok = True
    for envelope in envelopes:
        claimed = source
        if claimed is None and isinstance(envelope, dict):
            claimed = str(envelope.get("source", "")).split("/", 1)[0]
        if claimed not in SOURCES:
            _echo_json({"ok": False, "reason": "bad_envelope",
                        "detail": f"unknown source {claimed!r}"})
            ok = False
            continue
        try:
            event = validate_event(claimed, envelope)
        except ContractError as exc:
            _echo_json({"ok": False, "id": envelope.get("id") if isinstance(envelope, dict)
                        else None, "reason": exc.reason, "detail": exc.detail})
            ok = False
            continue
        _echo_json({"ok": True, "id": event["id"], "type": event["type"]})
    sys.exit(0 if ok else 1)


@main.command(help="Simulate department systems publishing realistic events.")
@click.argument("departments", nargs=-1, type=click.Choice(["cdpf", "health",
                                                            "medical_insurance", "all"]))
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--jurisdiction", "jurisdictions", multiple=True,
              help="county code(s), e.g. 341502 (default: four demo counties)")
@click.option("--rate", type=float, default=5.0, show_default=True,
              help="messages per second (0: as fast as confirms allow)")
@click.option("--count", type=int, default=100, show_default=True, help="0: forever")
@click.option("--bad-share", type=float, default=0.0, show_default=True,
              help="share of deliberately bad messages (0..1)")
@click.option("--uri", "uri_template",
              help="AMQP URI template with {user} and {password} "
                   "(default: local broker, dev passwords)")
@click.option("--dry-run", is_flag=True, help="print the messages instead of sending")
@click.option("--listen/--no-listen", default=False,
              help="also consume what each department subscribes to and print it")
def simulate(departments, seed, jurisdictions, rate, count, bad_share, uri_template, dry_run,
             listen):
    import itertools
    import os

    from doudi_departments import simulate as sim
    from doudi_departments.client import DepartmentClient, default_uri

    names = list(sim.DEPARTMENTS) if not departments or "all" in departments else \
        list(dict.fromkeys(departments))
    sims = sim.simulators(names, seed, jurisdictions or sim.DEFAULT_JURISDICTIONS)
    stream = sim.interleave(sims, count or sys.maxsize, bad_share, seed)
    if dry_run:
        for message in stream:
            _echo_json({"department": message.department, "routing_key": message.routing_key,
                        "expected": message.expected, "body": message.body.decode(
                            "utf-8", "replace")})
        return

    def uri_for(dept):
        if uri_template:
            password = os.environ.get(f"DOUDI_{dept.upper()}_PASSWORD") or f"{dept}-dev"
            return uri_template.format(user=dept, password=password)
        return default_uri(dept)

    clients = {d: DepartmentClient(d, uri_for(d)) for d in names}
    counter = itertools.count(1)
    if listen:
        _start_listeners(names, uri_for)

    def progress(message):
        n = next(counter)
        if n % 50 == 0 or n == count:
            click.echo(f"simulate: {n} messages sent (last {message.department} "
                       f"{message.routing_key})", err=True)

    try:
        sim.run(stream, clients, rate=rate or None, on_sent=progress)
    finally:
        for client in clients.values():
            client.close()


def _start_listeners(names, uri_for) -> None:
    """Simulated department consumers (threads) printing what they receive."""
    import threading

    from doudi_common.ids import mask_in_text

    from doudi_departments.client import DepartmentClient
    from doudi_departments.simulate import listen

    def show(dept):
        def handler(source, event):
            click.echo(mask_in_text(f"{dept} <- {source}.events {event['type']} {event['id']}"),
                       err=True)
        return handler

    def run(dept):
        client = DepartmentClient(dept, uri_for(dept))
        while True:
            listen(client, show(dept), timeout=5.0)

    for dept in names:
        threading.Thread(target=run, args=(dept,), daemon=True, name=f"listen-{dept}").start()


# -- dead letters -------------------------------------------------------------------

@main.group(help="Dead-lettered messages: list, replay, discard (operator).")
def dlq() -> None:
    pass


def _filters(f):
    f = click.option("--reason", help="reason, e.g. bad_data or 'rejected_by_handler:*'")(f)
    f = click.option("--type", "event_type", help="event type")(f)
    f = click.option("--id", "message_ids", multiple=True, help="message id (repeatable)")(f)
    f = click.option("--uri", help="operator AMQP URI (default DOUDI_OPERATOR_AMQP_URI)")(f)
    return click.argument("service")(f)


@dlq.command("list", help="List dead-lettered messages with their reasons (nothing removed).")
@_filters
@click.option("--body", is_flag=True, help="include the body")
def dlq_list(service, reason, event_type, message_ids, uri, body):
    from doudi_departments.deadletters import DeadLetterQueue, matcher

    for letter in DeadLetterQueue(service, uri).list(matcher(reason, event_type,
                                                             list(message_ids))):
        row = letter.summary()
        if body:
            row["body"] = letter.body.decode("utf-8", "replace")
        _echo_json(row)


@dlq.command("replay", help="Replay messages into their subscription queues (same checks).")
@_filters
@click.option("--fix", "fixes", multiple=True, metavar="ID=FILE",
              help="replace message ID's body with the corrected envelope in FILE")
@click.option("--dry-run", is_flag=True)
def dlq_replay(service, reason, event_type, message_ids, uri, fixes, dry_run):
    from doudi_departments.deadletters import DeadLetterQueue, matcher

    corrections = {}
    for fix in fixes:
        mid, sep, path = fix.partition("=")
        if not sep:
            raise click.BadParameter("--fix takes ID=FILE")
        corrections[mid] = Path(path).read_bytes()
    done = DeadLetterQueue(service, uri).replay(
        matcher(reason, event_type, list(message_ids)), corrections=corrections,
        dry_run=dry_run)
    for letter in done:
        _echo_json({"replayed" if not dry_run else "would_replay": letter.message_id,
                    "reason_was": letter.reason, "queue": letter.queue,
                    "corrected": letter.message_id in corrections})
    click.echo(f"{len(done)} message(s) {'to replay' if dry_run else 'replayed'}", err=True)


@dlq.command("discard", help="Remove messages for good, with a reason (audited).")
@_filters
@click.option("--why", required=True, help="why they are discarded (logged)")
@click.option("--audit", type=click.Path(dir_okay=False),
              help="audit file (default var/dead-letters-discarded.jsonl)")
@click.option("--all", "all_", is_flag=True, help="allow discarding without a filter")
def dlq_discard(service, reason, event_type, message_ids, uri, why, audit, all_):
    from doudi_departments.deadletters import DeadLetterQueue, matcher

    if not (reason or event_type or message_ids or all_):
        raise click.UsageError("give --reason, --type or --id (or --all)")
    done = DeadLetterQueue(service, uri).discard(
        matcher(reason, event_type, list(message_ids)), why, audit)
    for letter in done:
        _echo_json({"discarded": letter.message_id, "reason_was": letter.reason, "why": why})
    click.echo(f"{len(done)} message(s) discarded", err=True)


if __name__ == "__main__":
    main()
