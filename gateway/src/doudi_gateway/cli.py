"""``doudi-gateway-admin``: the gateway's user store from the command line.

    doudi-gateway-admin migrate
    doudi-gateway-admin add-user NAME --role township_officer --jurisdiction 341502001 \
        [--institution USCC]
    doudi-gateway-admin reset-password NAME          # asks, or --password-stdin
    doudi-gateway-admin disable NAME | enable NAME | unlock NAME
    doudi-gateway-admin list

Uses the gateway's configuration (``DOUDI_GATEWAY_DB_URL``; SQLite under var/
by default). Passwords are read from the terminal or stdin, never from argv.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from doudi_common.errors import DoudiError

from doudi_gateway.permissions import ROLES


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("新密码: ")
    if getpass.getpass("再输入一次: ") != first:
        raise SystemExit("两次输入的密码不一致")
    return first


def _store():
    from doudi_gateway.app import gateway_config
    from doudi_gateway.store import store_from_config

    store = store_from_config(gateway_config())
    store.migrate()
    return store


def _show(user: dict) -> str:
    state = "disabled" if user["disabled"] else "active"
    return (f"{user['username']}\t{user['role']}\t{user['jurisdiction'] or 'all'}\t"
            f"{user['institution_id'] or '-'}\t{state}")


def ensure_admin(store, password_file: str | None) -> str:
    """The first administrator of an empty user store (``make run`` on a fresh
    clone): DOUDI_ADMIN_PASSWORD, else a random one kept in ``password_file``
    (readable by its owner only) so the person at the machine can log in."""
    import os
    import secrets

    from doudi_gateway.store import admin_password_from_env

    if store.count_users() > 0:
        return "users exist: no new administrator"
    password = admin_password_from_env() or secrets.token_urlsafe(12)
    store.ensure_admin(password)
    if password_file and not admin_password_from_env():
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        return f"administrator `admin` created; its password is in {password_file}"
    return "administrator `admin` created (DOUDI_ADMIN_PASSWORD)"


def seed_divisions(store) -> int:
    """The demonstration townships and villages (``demo_divisions.yaml``),
    parents first; names an administrator changed since are kept."""
    from importlib.resources import files

    import yaml
    from doudi_common import divisions as gbt2260

    names = yaml.safe_load(files("doudi_gateway").joinpath("demo_divisions.yaml")
                           .read_text(encoding="utf-8"))
    count = 0
    for code in sorted(names, key=len):
        if store.division(code) is None:
            store.save_division(code, names[code], gbt2260.parent_of(code), "seed")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doudi-gateway-admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="apply the gateway's migrations")
    add = sub.add_parser("add-user", help="add a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--jurisdiction", default="",
                     help="division code (6/9/12 digits); empty or 'all' = everything")
    add.add_argument("--institution", default=None, help="USCC (institution_staff)")
    add.add_argument("--name", default=None, help="display name")
    add.add_argument("--password-stdin", action="store_true")
    reset = sub.add_parser("reset-password", help="set a new password (ends sessions)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "disable a user (ends sessions)"), ("enable", "enable"),
                       ("unlock", "clear a lockout")):
        sub.add_parser(name, help=text).add_argument("username")
    sub.add_parser("list", help="list users")
    first = sub.add_parser("ensure-admin", help="with no users yet: create `admin` "
                                                "(DOUDI_ADMIN_PASSWORD, or a random password "
                                                "written to --password-file)")
    first.add_argument("--password-file", default=None)
    sub.add_parser("seed-divisions", help="register the demonstration townships and villages "
                                          "of the five jurisdictions (idempotent)")
    args = parser.parse_args(argv)

    store = _store()
    try:
        if args.cmd == "migrate":
            print("gateway database migrated")
        elif args.cmd == "add-user":
            user = store.add_user(args.username, _password(args), args.role, args.jurisdiction,
                                  institution_id=args.institution, display_name=args.name)
            print(_show(user))
        elif args.cmd == "reset-password":
            print(_show(store.reset_password(args.username, _password(args))))
        elif args.cmd == "disable":
            print(_show(store.set_disabled(args.username, True)))
        elif args.cmd == "enable":
            print(_show(store.set_disabled(args.username, False)))
        elif args.cmd == "unlock":
            print(_show(store.unlock(args.username)))
        elif args.cmd == "ensure-admin":
            print(ensure_admin(store, args.password_file))
        elif args.cmd == "seed-divisions":
            print(f"{seed_divisions(store)} townships and villages registered")
        elif args.cmd == "list":
            for user in store.list_users():
                print(_show(user))
    except DoudiError as exc:
        print(f"error: {exc.detail} {exc.fields}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
