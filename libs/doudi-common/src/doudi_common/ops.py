"""``doudi-ops``: back up and restore the suite's databases, one per component.

    doudi-ops backup  --out DIR [--url NAME=URL ...]
    doudi-ops restore --from DIR [--url NAME=URL ...] [--only NAME ...]

Each database is dumped in one consistent snapshot: on PostgreSQL a
REPEATABLE READ transaction exports its snapshot, ``pg_dump --snapshot`` dumps
exactly that, and the manifest's row counts are taken in the same transaction;
on SQLite the online backup API copies the file. ``manifest.json`` records,
per database, the Alembic revision and the row count of every table. A restore
recreates each database from its dump and checks it against the manifest —
the same revision and the same counts — before it reports success.

The outbox and inbox travel with the data: an event published before the
backup is marked sent, so the relay does not publish it again; an event
applied before it is in the inbox, so a redelivery is dropped. Events
published *after* the backup and before a restore are not in it: the
consumers' inboxes take the departments' redeliveries, and what the restored
outbox had not yet sent goes out once. (The production cluster's own backups —
CloudNativePG's base backups and WAL archive, point-in-time — are in
deploy/README.md; this command is the portable copy and the drill.)

Without ``--url`` the URLs come from each component's config (``DB_URL`` of
services/<name>/config.yaml, ``GATEWAY_DB_URL`` of gateway/config.yaml) — the
local SQLite files of ``make run``."""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from doudi_common.config import load_config, repo_root, resolve_db_url
from doudi_common.db import normalise_url

COMPONENTS = ("eligibility", "institutions", "funding", "services_log", "gateway")
MANIFEST = "manifest.json"


class RestoreMismatch(RuntimeError):
    """A restored database differs from what its manifest recorded."""


def default_urls() -> dict[str, str]:
    urls = {}
    for name in COMPONENTS[:-1]:
        urls[name] = load_config(service=name)["DB_URL"]
    gateway = load_config(str(repo_root() / "gateway" / "config.yaml"), service="gateway")
    urls["gateway"] = resolve_db_url(gateway.get("GATEWAY_DB_URL"), "gateway")
    return urls


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no ``+driver``)."""
    parts = urlsplit(normalise_url(url))
    return urlunsplit(parts._replace(scheme="postgresql"))


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    return Path(sa.engine.make_url(url).database or "")


def _counts(conn: sa.Connection) -> dict[str, int]:
    tables = sa.inspect(conn).get_table_names()
    return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()
            for t in sorted(tables)}


def _revision(counts: dict[str, int], conn: sa.Connection) -> str | None:
    if "alembic_version" not in counts:
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _state(conn: sa.Connection) -> dict[str, Any]:
    counts = _counts(conn)
    return {"revision": _revision(counts, conn), "rows": counts}


def backup_one(name: str, url: str, out: Path) -> dict[str, Any]:
    """Dump one database in one snapshot; its manifest entry."""
    if _is_sqlite(url):
        target = out / f"{name}.sqlite"
        with sqlite3.connect(_sqlite_path(url)) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            state = _state(conn)
        engine.dispose()
        return {"file": target.name, "format": "sqlite", **state}
    target = out / f"{name}.dump"
    engine = sa.create_engine(normalise_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                f"--snapshot={snapshot}", f"--file={target}", _libpq(url)],
                               check=True, capture_output=True, text=True)
                state = _state(conn)
    finally:
        engine.dispose()
    return {"file": target.name, "format": "pg_dump", **state}


def backup(urls: dict[str, str], out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "databases": {name: backup_one(name, url, out) for name, url in urls.items()}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _recreate_pg(url: str) -> None:
    """Drop the database (ending its sessions) and create it empty."""
    parts = sa.engine.make_url(normalise_url(url))
    database = parts.database
    admin = sa.create_engine(parts.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :d AND pid <> pg_backend_pid()"),
                         {"d": database})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()


def restore_one(name: str, url: str, source: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Recreate one database from its dump and check it against the manifest."""
    dump = source / entry["file"]
    if entry["format"] == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, target)
    else:
        _recreate_pg(url)
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                        f"--dbname={_libpq(url)}", str(dump)],
                       check=True, capture_output=True, text=True)
    engine = sa.create_engine(normalise_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            state = _state(conn)
    finally:
        engine.dispose()
    wanted = {"revision": entry["revision"], "rows": entry["rows"]}
    if state != wanted:
        differs = sorted(t for t in set(state["rows"]) | set(wanted["rows"])
                         if state["rows"].get(t) != wanted["rows"].get(t))
        raise RestoreMismatch(f"{name}: restored database differs from the manifest "
                              f"(revision {state['revision']} vs {entry['revision']}; "
                              f"tables {differs})")
    return state


def restore(urls: dict[str, str], source: Path, only: list[str] | None = None
            ) -> dict[str, Any]:
    manifest = json.loads((source / MANIFEST).read_text())
    names = only or list(manifest["databases"])
    missing = [n for n in names if n not in urls]
    if missing:
        raise SystemExit(f"doudi-ops: no URL for {', '.join(missing)} (--url NAME=URL)")
    return {name: restore_one(name, urls[name], source, manifest["databases"][name])
            for name in names}


def _urls(pairs: list[str] | None) -> dict[str, str]:
    if not pairs:
        return default_urls()
    urls = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or name not in COMPONENTS:
            raise SystemExit(f"doudi-ops: --url takes NAME=URL with NAME one of "
                             f"{', '.join(COMPONENTS)}: {pair!r}")
        urls[name] = url
    return urls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doudi-ops", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="dump every database with a manifest")
    b.add_argument("--out", required=True, type=Path)
    b.add_argument("--url", action="append", help="NAME=URL (default: the local configs)")
    r = sub.add_parser("restore", help="recreate databases from a backup and check them")
    r.add_argument("--from", dest="source", required=True, type=Path)
    r.add_argument("--url", action="append", help="NAME=URL (default: the local configs)")
    r.add_argument("--only", action="append", choices=COMPONENTS)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            manifest = backup(_urls(args.url), args.out)
            print(json.dumps({name: {"revision": e["revision"], "rows": sum(e["rows"].values())}
                              for name, e in manifest["databases"].items()}))
        else:
            restored = restore(_urls(args.url), args.source, args.only)
            print(json.dumps({name: {"revision": s["revision"], "rows": sum(s["rows"].values())}
                              for name, s in restored.items()}))
    except subprocess.CalledProcessError as exc:
        print(f"doudi-ops: {exc.cmd[0]} failed: {exc.stderr.strip()}", file=sys.stderr)
        return 1
    except RestoreMismatch as exc:
        print(f"doudi-ops: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
