"""Unit tests: configuration overrides, typed errors across RPC, log masking."""

from __future__ import annotations

import json
import logging

import pytest
from doudi_common.config import load_config, resolve_db_url
from doudi_common.errors import Conflict, Forbidden, Invalid, NotFound
from doudi_common.logs import configure_logging, get_logger
from doudi_common.testing.idnumbers import make_id_number
from nameko.exceptions import deserialize, serialize


def test_service_config_defaults_run_locally(monkeypatch):
    for var in ("DOUDI_AMQP_URI", "DOUDI_DB_URL", "DOUDI_AUTO_MIGRATE"):
        monkeypatch.delenv(var, raising=False)
    config = load_config(service="funding")
    assert config["SERVICE_NAME"] == "funding"
    assert config["AMQP_URI"].startswith("pyamqp://guest:guest@localhost")
    assert config["DB_URL"].startswith("sqlite:////")
    assert config["DB_URL"].endswith("var/funding.db")
    assert config["AUTO_MIGRATE"] is True


def test_environment_overrides_the_file(monkeypatch):
    monkeypatch.setenv("DOUDI_AMQP_URI", "amqp://u:p@rabbit:5672/x")
    monkeypatch.setenv("DOUDI_DB_URL", "postgresql://u@pg/funding")
    monkeypatch.setenv("DOUDI_AUTO_MIGRATE", "false")
    config = load_config(service="funding")
    assert config["AMQP_URI"] == "amqp://u:p@rabbit:5672/x"
    assert config["DB_URL"] == "postgresql://u@pg/funding"
    assert config["AUTO_MIGRATE"] is False


def test_relative_sqlite_path_is_anchored_at_the_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_HOME", str(tmp_path))
    assert resolve_db_url("sqlite:///var/x.db", "x") == f"sqlite:///{tmp_path}/var/x.db"
    assert (tmp_path / "var").is_dir()


@pytest.mark.parametrize("cls, status", [(NotFound, 404), (Invalid, 422), (Conflict, 409),
                                         (Forbidden, 403)])
def test_typed_errors_survive_rpc_serialisation(cls, status):
    import doudi_common.rpc_errors  # noqa: F401 - registers them (as the gateway and services do)

    err = cls("状态不允许此操作", field="grade")
    back = deserialize(json.loads(json.dumps(serialize(err))))
    assert type(back) is cls
    assert back.status == status
    assert back.detail == "状态不允许此操作"
    assert back.fields == {"field": "grade"}


def test_logs_mask_id_numbers_in_messages_and_fields(capsys):
    configure_logging("INFO", "json", "test")
    idn = make_id_number()
    get_logger("t").info(f"looked up {idn}", id_number=idn, nested={"who": idn})
    logging.getLogger("stdlib").warning("stdlib says %s", idn)
    err = capsys.readouterr().err
    assert idn not in err
    assert err.count(idn[:4] + "*" * 10 + idn[-4:]) == 4
    first = json.loads(err.splitlines()[0])
    assert first["service"] == "test" and first["level"] == "info"


def test_an_expected_worker_error_is_a_warning_without_a_traceback(capsys):
    """nameko's container logs a caller's error with exc_info; a bug keeps it."""
    from doudi_common.errors import NotFound

    configure_logging("INFO", "json", "test")
    log = logging.getLogger("nameko.containers")
    for message, exc in (("(expected) error handling worker %s: %s", NotFound("未找到该人员")),
                         ("error handling worker %s: %s", KeyError("bug"))):
        try:
            raise exc
        except (NotFound, KeyError) as caught:
            log.warning(message, "<WorkerContext [eligibility.get_person]>", caught,
                        exc_info=True)
    expected, bug = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert expected["level"] == "warning" and "exception" not in expected
    assert expected["event"].endswith("未找到该人员 [NotFound]")
    assert "Traceback" in bug["exception"] and "KeyError" in bug["exception"]


def test_logs_are_masked_even_before_logging_is_configured():
    """In-process containers and scripts log before configure_logging runs."""
    import subprocess
    import sys

    idn = make_id_number(seq=11)
    code = ("from doudi_common.logs import get_logger; "
            f"get_logger('x').info('person registered', id_number='{idn}')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    printed = out.stdout + out.stderr
    assert "person registered" in printed
    assert idn not in printed and idn[-4:] in printed
