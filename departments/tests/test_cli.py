"""``doudi-dept`` commands that need no broker: validate, simulate --dry-run,
the dlq discard guard, and publish refusing contract-breaking data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from doudi_contracts.registry import example_envelope
from doudi_departments.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def write(tmp_path, name, obj):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False),
                    encoding="utf-8")
    return str(path)


def test_validate_accepts_a_good_envelope(runner, tmp_path):
    env = example_envelope("cdpf", "certificate.issued")
    result = runner.invoke(main, ["validate", write(tmp_path, "ok.json", env)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "id": env["id"],
                                         "type": "certificate.issued"}


@pytest.mark.parametrize("bend, reason", [
    (lambda e: e["data"].update(id_number=e["data"]["id_number"][:-1] + "1"), "bad_data"),
    (lambda e: e["data"].pop("grade"), "bad_data"),
    (lambda e: e.update(type="certificate.exploded"), "unknown_type"),
    (lambda e: e.pop("specversion"), "bad_envelope"),
])
def test_validate_reports_the_reason(runner, tmp_path, bend, reason):
    env = example_envelope("cdpf", "certificate.issued")
    bend(env)
    result = runner.invoke(main, ["validate", write(tmp_path, "bad.json", env)])
    assert result.exit_code == 1
    assert json.loads(result.output)["reason"] == reason


def test_validate_invalid_json(runner, tmp_path):
    result = runner.invoke(main, ["validate", write(tmp_path, "x.json", '{"id": ')])
    assert result.exit_code == 1
    assert json.loads(result.output)["reason"] == "invalid_json"


def test_validate_a_list_and_the_source_option(runner, tmp_path):
    envs = [example_envelope("health", "person.deceased"),
            example_envelope("health", "infection.flagged")]
    path = write(tmp_path, "list.json", envs)
    assert runner.invoke(main, ["validate", path]).exit_code == 0
    # meant for cdpf.events: the source does not match
    result = runner.invoke(main, ["validate", "--source", "cdpf", path])
    assert result.exit_code == 1
    assert {json.loads(line)["reason"] for line in result.output.splitlines()} == {
        "source_mismatch"}


def test_publish_refuses_data_that_breaks_the_contract(runner, tmp_path):
    data = dict(example_envelope("cdpf", "certificate.issued")["data"])
    data.pop("name")
    result = runner.invoke(main, ["publish", "cdpf", "certificate.issued", "--data",
                                  write(tmp_path, "d.json", data),
                                  "--uri", "amqp://nobody:x@127.0.0.1:1/"])
    assert result.exit_code != 0
    assert "bad_data" in result.output


def test_simulate_dry_run_is_reproducible(runner):
    args = ["simulate", "health", "--dry-run", "--count", "5", "--seed", "4",
            "--jurisdiction", "341502", "--bad-share", "0.5"]
    first, second = runner.invoke(main, args), runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    lines = [json.loads(line) for line in first.output.splitlines()]
    assert len(lines) == 5 and {line["department"] for line in lines} == {"health"}


def test_discard_needs_a_filter_and_a_reason(runner):
    result = runner.invoke(main, ["dlq", "discard", "eligibility", "--why", "x"])
    assert result.exit_code != 0 and "--all" in result.output
    result = runner.invoke(main, ["dlq", "discard", "eligibility", "--all"])
    assert result.exit_code != 0 and "--why" in result.output


def test_discard_api_refuses_an_empty_reason():
    from doudi_departments.deadletters import DeadLetterQueue

    with pytest.raises(ValueError):
        DeadLetterQueue("eligibility", "amqp://x:y@127.0.0.1:1/").discard(lambda _l: True, " ")


def test_make_run_simulate_line_is_a_working_command(tmp_path):
    """``make run SIMULATE=1`` adds the Procfile entry scripts/run.sh writes;
    the command it writes must parse and produce a stream."""
    import shlex
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "run.sh"
    lines = script.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if 'echo "simulate:' in line)
    snippet = []
    for line in lines[start:]:
        snippet.append(line)
        if not line.rstrip().endswith("\\"):
            break
    out = tmp_path / "Procfile"
    cmd = "\n".join(snippet).replace('"$PROCFILE"', str(out))
    subprocess.run(["bash", "-c", cmd], check=True, env={"PATH": "/usr/bin:/bin"})
    name, _, command = out.read_text().strip().partition(": ")
    assert name == "simulate"
    argv = shlex.split(command)
    assert argv[:2] == ["doudi-dept", "simulate"]
    result = CliRunner().invoke(main, [*argv[1:], "--dry-run", "--count", "3"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 3
