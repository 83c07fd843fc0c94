"""``motcua install systemd``: the units an installer enables on each machine, checked as
systemd reads them (``systemd-analyze verify`` where it is installed), and the
environment file that holds the passwords (0600, created once, never overwritten)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner, Result

from motcua.cli import app
from tests.support.hub import WORKER_PASSWORD, Hub, make_hub
from tests.support.services import create_pg_database, free_port
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def _install(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app, ["install", "systemd", "--out", str(tmp_path / "units"), *args], terminal_width=200
    )


def _said(result: Result) -> str:
    """The output as one line: the error box wraps its text at its own width."""
    return " ".join(result.output.replace("│", " ").split())


def _site_args(tmp_path: Path) -> list[str]:
    return ["--config", str(tmp_path / "site.yaml"), "--env-file", str(tmp_path / "server.env")]


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as systemd reads it: sections of (key, value), repeated keys kept."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key, value))
    return sections


def values(sections: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in sections[section] if k == key]


def one(sections: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(sections, section, key)
    assert len(found) == 1, (section, key, found)
    return found[0]


def verify(*paths: Path) -> None:
    """systemd's own check; where systemd is not installed the parsing above must do."""
    if shutil.which("systemd-analyze") is None:
        return
    r = subprocess.run(
        ["systemd-analyze", "verify", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


def test_server_unit_runs_this_motcua_restarts_and_logs_to_the_journal(tmp_path: Path) -> None:
    result = _install(tmp_path, "--role", "server", "--user", "motcua", *_site_args(tmp_path))
    assert result.exit_code == 0, result.output
    path = tmp_path / "units" / "motcua-server.service"
    assert f"đã ghi / wrote {path}" in result.output
    assert "systemctl enable --now motcua-server.service" in result.output
    u = unit(path)
    assert one(u, "Service", "ExecStart") == (f"{MOTCUA} server --config {tmp_path / 'site.yaml'}")
    assert one(u, "Service", "User") == "motcua"
    assert one(u, "Service", "Restart") == "on-failure"
    assert one(u, "Service", "EnvironmentFile") == str(tmp_path / "server.env")
    assert one(u, "Service", "StandardOutput") == "journal"
    assert one(u, "Service", "WorkingDirectory") == "/var/lib/motcua"
    assert one(u, "Service", "StateDirectory") == "motcua"
    after = one(u, "Unit", "After").split()
    assert {"network-online.target", "postgresql.service", "mosquitto.service"} <= set(after)
    assert one(u, "Install", "WantedBy") == "multi-user.target"
    verify(path)


def test_env_file_is_private_has_no_secret_and_is_never_overwritten(tmp_path: Path) -> None:
    env = tmp_path / "server.env"
    first = _install(tmp_path, "--role", "server", *_site_args(tmp_path))
    assert first.exit_code == 0, first.output
    assert f"đã tạo / created {env}" in first.output
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    text = env.read_text(encoding="utf-8")
    assert "#MOTCUA_MQTT_PASSWORD=\n" in text  # a placeholder, commented out
    assert all(line.startswith("#") for line in text.splitlines())

    env.write_text("MOTCUA_MQTT_PASSWORD=the-real-one\n", encoding="utf-8")
    env.chmod(0o600)
    again = _install(tmp_path, "--role", "server", *_site_args(tmp_path))
    assert again.exit_code == 0, again.output
    assert f"giữ nguyên / kept {env}" in again.output
    assert env.read_text(encoding="utf-8") == "MOTCUA_MQTT_PASSWORD=the-real-one\n"
    assert "the-real-one" not in again.output


def test_env_file_readable_by_others_is_pointed_out(tmp_path: Path) -> None:
    env = tmp_path / "server.env"
    env.write_text("MOTCUA_MQTT_PASSWORD=x\n", encoding="utf-8")
    env.chmod(0o644)
    result = _install(tmp_path, "--role", "server", *_site_args(tmp_path))
    assert result.exit_code == 0
    assert f"sudo chmod 600 {env}" in result.output


def test_broker_unit_runs_the_generated_config_instead_of_debians_mosquitto(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "mosquitto" / "mosquitto.conf"
    result = _install(tmp_path, "--role", "broker", "--broker-conf", str(conf))
    assert result.exit_code == 0, result.output
    assert "systemctl disable --now mosquitto.service" in result.output
    path = tmp_path / "units" / "motcua-broker.service"
    u = unit(path)
    assert one(u, "Service", "ExecStart").endswith(f"mosquitto -c {conf}")
    assert one(u, "Unit", "Conflicts") == "mosquitto.service"
    assert one(u, "Service", "User") == "mosquitto"
    assert one(u, "Service", "Restart") == "on-failure"
    assert not (tmp_path / "units" / "broker.env").exists()  # no secret of its own
    verify(path)


@pytest.mark.parametrize("role", ["kiosk", "pad"])
def test_touch_device_unit_runs_on_the_screen_and_stops_on_sigterm(
    tmp_path: Path, role: str
) -> None:
    config, env = tmp_path / f"{role}.yaml", tmp_path / f"{role}.env"
    result = _install(
        tmp_path, "--role", role, "--user", "root", "--config", str(config),
        "--env-file", str(env),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "units" / f"motcua-{role}.service"
    u = unit(path)
    assert one(u, "Service", "ExecStart") == f"{MOTCUA} {role} --config {config}"
    environment = values(u, "Service", "Environment")
    assert "DISPLAY=:0" in environment
    assert "XAUTHORITY=/root/.Xauthority" in environment
    assert one(u, "Service", "Restart") == "always"
    assert one(u, "Service", "KillSignal") == "SIGTERM"
    assert one(u, "Service", "TimeoutStopSec") == "20"
    assert one(u, "Service", "EnvironmentFile") == str(env)
    assert one(u, "Install", "WantedBy") == "graphical.target"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert "#MOTCUA_DEVICE_PASSWORD=" in env.read_text(encoding="utf-8")
    verify(path)


def test_backup_runs_nightly_at_half_past_two_vietnam_time(tmp_path: Path) -> None:
    result = _install(tmp_path, "--role", "backup", *_site_args(tmp_path))
    assert result.exit_code == 0, result.output
    assert "systemctl enable --now motcua-backup.timer" in result.output
    service = tmp_path / "units" / "motcua-backup.service"
    timer = tmp_path / "units" / "motcua-backup.timer"
    s, t = unit(service), unit(timer)
    assert one(s, "Service", "Type") == "oneshot"
    assert one(s, "Service", "ExecStart") == (
        f"{MOTCUA} db backup --config {tmp_path / 'site.yaml'} --keep 14"
    )
    assert one(t, "Timer", "OnCalendar") == "*-*-* 02:30:00 Asia/Ho_Chi_Minh"
    assert one(t, "Timer", "Persistent") == "true"
    assert one(t, "Install", "WantedBy") == "timers.target"
    verify(service, timer)


def test_several_roles_at_once_and_a_path_with_a_space(tmp_path: Path) -> None:
    config = tmp_path / "my site" / "site.yaml"
    result = _install(
        tmp_path, "-r", "server", "-r", "backup", "-r", "broker", "--config", str(config),
        "--env-file", str(tmp_path / "server.env"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "units").iterdir())
    assert names == [
        "motcua-backup.service",
        "motcua-backup.timer",
        "motcua-broker.service",
        "motcua-server.service",
    ]
    server = unit(tmp_path / "units" / "motcua-server.service")
    assert one(server, "Service", "ExecStart") == f'{MOTCUA} server --config "{config}"'
    verify(*(tmp_path / "units").iterdir())


def test_unknown_or_missing_role_is_refused_in_both_languages(tmp_path: Path) -> None:
    wrong = _install(tmp_path, "--role", "printer")
    assert wrong.exit_code == 2
    assert "không có vai trò / no such role printer" in _said(wrong)
    assert "server | broker | kiosk | pad | backup" in _said(wrong)
    none = _install(tmp_path)
    assert none.exit_code == 2
    assert "cần ít nhất một vai trò / give at least one role" in _said(none)
    assert not (tmp_path / "units").exists()


def test_one_config_for_a_server_and_a_kiosk_is_refused(tmp_path: Path) -> None:
    result = _install(tmp_path, "-r", "server", "-r", "kiosk", *_site_args(tmp_path))
    assert result.exit_code == 2
    assert "một loại máy / one kind of machine" in _said(result)


def test_a_folder_only_root_may_write_says_run_with_sudo(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # root writes anywhere: run the command as nobody to see what a user sees
        runner = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if shutil.which("setpriv") is None:
            pytest.fail("setpriv (util-linux) is needed to run as another user")
    else:
        runner = []
    out = tmp_path / "units"
    out.mkdir()
    out.chmod(0o555)  # like /etc/systemd/system for anyone but root
    tmp_path.chmod(0o755)
    r = subprocess.run(
        [*runner, MOTCUA, "install", "systemd", "-r", "broker", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ["PATH"], "HOME": "/tmp", "LANG": "C.UTF-8"},
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "chạy bằng sudo / run it with sudo" in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------------- the hub


def _systemd_argv(exec_start: str, instance: str) -> list[str]:
    """ExecStart= as systemd runs it: words split as systemd splits them, ``%i`` the
    instance, ``%H`` the host name, ``%%`` and ``$$`` one ``%`` and ``$``."""
    specifiers = {"%": "%", "i": instance, "H": socket.gethostname()}
    return [
        re.sub(r"%([%iH])", lambda m: specifiers[m.group(1)], word).replace("$$", "$")
        for word in shlex.split(exec_start)
    ]


def _environment(env_file: Path) -> dict[str, str]:
    """What systemd gives a service: a bare environment plus its EnvironmentFile=."""
    env = {"PATH": os.environ["PATH"], "HOME": "/tmp", "LANG": "C.UTF-8"}
    for line in env_file.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


@pytest.fixture
def running_hub(tmp_path: Path) -> Iterator[Hub]:
    pg = create_pg_database()
    hub = make_hub(tmp_path / "hub", pg)
    try:
        hub.start_broker()
        yield hub
    finally:
        hub.stop()
        pg.drop()


def _hub_yaml(hub: Hub, path: Path) -> Path:
    """The rig's hub.yaml with its database only in the environment file (the YAML's
    points nowhere) and the web pages on a free port."""
    data = yaml.safe_load(hub.config_file.read_text(encoding="utf-8"))
    data["database_url"] = "postgresql+psycopg://nobody@127.0.0.1:9/not_here"
    data["http"] = {"host": "127.0.0.1", "port": free_port()}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _run_unit(exec_start: str, instance: str, env_file: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            _systemd_argv(exec_start, instance),
            cwd=log.parent,
            env=_environment(env_file),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stopped_by_sigterm(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)  # KillSignal=
    try:
        code = proc.wait(30)  # within TimeoutStopSec=
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"did not stop on SIGTERM: {log.read_text(errors='replace')}")
    # systemd counts an exit by the SIGTERM it sent as clean (uvicorn re-raises it)
    assert code in (0, -signal.SIGTERM), log.read_text(errors="replace")


def test_hub_units_run_workers_named_by_their_instance_and_the_hub_pages(
    tmp_path: Path, running_hub: Hub
) -> None:
    config, env = _hub_yaml(running_hub, tmp_path / "hub.yaml"), tmp_path / "hub.env"
    result = _install(tmp_path, "--role", "hub", "--config", str(config), "--env-file", str(env))
    assert result.exit_code == 0, result.output
    assert (
        "systemctl enable --now motcua-hub@1.service motcua-hub@2.service "
        "motcua-hub-web.service" in result.output
    )
    assert sorted(p.name for p in (tmp_path / "units").iterdir()) == [
        "motcua-hub-web.service",
        "motcua-hub@.service",
    ]
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    text = env.read_text(encoding="utf-8")
    assert "#MOTCUA_HUB_MQTT_PASSWORD=\n" in text and "#MOTCUA_HUB_DATABASE_URL=" in text
    assert all(line.startswith("#") for line in text.splitlines())

    worker = unit(tmp_path / "units" / "motcua-hub@.service")
    start = one(worker, "Service", "ExecStart")
    assert start == f"{MOTCUA} hub --config {config} --name %H-%i"
    assert one(worker, "Service", "Restart") == "always"
    assert one(worker, "Service", "EnvironmentFile") == str(env)
    assert one(worker, "Service", "User") == "motcua"
    assert one(worker, "Service", "KillSignal") == "SIGTERM"
    after = set(one(worker, "Unit", "After").split())
    assert {"postgresql.service", "mosquitto.service", "motcua-hub-broker.service"} <= after
    assert one(worker, "Install", "DefaultInstance") == "1"
    web = unit(tmp_path / "units" / "motcua-hub-web.service")
    web_start = one(web, "Service", "ExecStart")
    assert web_start == f"{MOTCUA} hub web --config {config}"
    assert one(web, "Service", "EnvironmentFile") == str(env)
    verify(*(tmp_path / "units").iterdir())

    # the operator fills in the environment file; systemd starts instance 7, then the pages
    env.write_text(
        f"MOTCUA_HUB_MQTT_PASSWORD={WORKER_PASSWORD}\n"
        f"MOTCUA_HUB_DATABASE_URL={running_hub.pg.url}\n",
        encoding="utf-8",
    )
    name = f"{socket.gethostname()}-7"
    log = tmp_path / "worker.log"
    proc = _run_unit(start, "7", env, log)
    try:
        eventually(
            lambda: (
                proc.poll() is None and f"as hub-worker-{name}"[:40] in running_hub.broker_log()
            ),
            f"worker {name} logged in to the hub broker",
            60,
        )
        assert f"worker {name}: mqtt://" in log.read_text(errors="replace")
    finally:
        _stopped_by_sigterm(proc, log)

    web_log = tmp_path / "web.log"
    served = _run_unit(web_start, "", env, web_log)
    port = yaml.safe_load(config.read_text(encoding="utf-8"))["http"]["port"]

    def healthy() -> bool:
        if served.poll() is not None:
            pytest.fail(f"hub web exited: {web_log.read_text(errors='replace')}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False  # not listening yet

    try:
        eventually(healthy, "the hub's pages answering /api/health", 60)
    finally:
        _stopped_by_sigterm(served, web_log)


def test_hub_broker_unit_runs_the_hub_files_and_reloads_for_a_new_office(tmp_path: Path) -> None:
    result = _install(tmp_path, "--role", "hub-broker")
    assert result.exit_code == 0, result.output
    assert "systemctl disable --now mosquitto.service" in result.output
    assert "systemctl enable --now motcua-hub-broker.service" in result.output
    assert sorted(p.name for p in (tmp_path / "units").iterdir()) == ["motcua-hub-broker.service"]
    path = tmp_path / "units" / "motcua-hub-broker.service"
    u = unit(path)
    conf = "/etc/mosquitto/motcua-hub/mosquitto.conf"  # not the office broker's
    assert one(u, "Service", "ExecStart").endswith(f"mosquitto -c {conf}")
    assert one(u, "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"  # add-office
    assert one(u, "Service", "User") == "mosquitto"
    assert one(u, "Unit", "Conflicts") == "mosquitto.service"
    assert (
        values(u, "Service", "ExecStartPre")[0]
        == "+/bin/chgrp -R mosquitto /etc/mosquitto/motcua-hub"
    )
    assert "motcua hub broker-config --out /etc/mosquitto/motcua-hub" in path.read_text(
        encoding="utf-8"
    )
    assert not list(tmp_path.glob("*.env"))  # no secret of its own
    verify(path)

    office = _install(tmp_path, "--role", "broker")  # the office broker keeps its own
    assert office.exit_code == 0, office.output
    broker = unit(tmp_path / "units" / "motcua-broker.service")
    assert one(broker, "Service", "ExecStart").endswith(
        "mosquitto -c /etc/mosquitto/motcua/mosquitto.conf"
    )


def test_a_hub_and_an_office_server_with_one_config_are_refused(tmp_path: Path) -> None:
    result = _install(tmp_path, "-r", "hub", "-r", "server", *_site_args(tmp_path))
    assert result.exit_code == 2
    assert "một loại máy / one kind of machine" in _said(result)
