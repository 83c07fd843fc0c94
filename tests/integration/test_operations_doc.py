"""docs/operations.md, followed as an installer would.

(a) Every ``motcua …`` line in the page's ``sh`` blocks (also after ``sudo``,
``sudo -u X`` or ``VAR=value``) is parsed by click against the real command line, so a
sub-command or option that does not exist fails the test naming the line.

(b) The blocks marked ``<!-- walkthrough: STEP -->`` are run for real, in order, in a
temporary folder: the example site YAML copied, the server's broker password, the
``--check``, the database migrated (a throwaway PostgreSQL database), the CA and
certificates, Mosquitto's files and unit, the server's units, the server started from
its own unit with its environment file, the first admin, devices added, a kiosk over
TLS with the site's CA gets a number, the admin logs in over HTTPS, a backup and its
status, and the kiosk and pad units.

What is substituted: ``/etc/motcua``, ``/etc/mosquitto/motcua``, ``/var/lib/motcua``,
``/root/motcua-secrets`` → folders under the test's tmp; ``/opt/motcua/share/motcua/
config`` → the repository's ``config``; ``motcua`` → this venv's; ``install systemd``
gets ``--out`` (and ``--env-file``) under tmp; ``user add`` gets ``--password-stdin``
(the password goes to stdin instead of the prompt).
What is skipped: ``apt-get``, ``chown``, ``chgrp``, ``journalctl`` lines (no root
accounts or packages to change in a test), ``sudoedit`` (the test makes the edit the
prose describes, in Python). ``systemctl`` is played: ``enable --now``/``start``/
``restart`` of ``motcua-broker``/``motcua-server`` run the unit's ``ExecStart`` (with its
``EnvironmentFile`` and ``WorkingDirectory``, as the current user; Mosquitto gets
``user root`` when the test runs as root), ``reload motcua-broker`` sends SIGHUP as the
unit's ``ExecReload`` does; other units and ``daemon-reload`` are ignored.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
import yaml
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from typer._click.core import Command, Context
from typer._click.exceptions import (
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperGroup
from typer.exceptions import Exit

from motcua.cli import app
from protocol.link import MqttLink
from protocol.settings import BrokerSettings
from tests.support.devices import request_ticket
from tests.support.services import create_pg_database, free_port, wait_port
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.mosquitto, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "operations.md"
MOTCUA = str(Path(sys.executable).with_name("motcua"))
ADMIN_PASSWORD = "mat-khau-quan-tri-01"
SKIPPED = {"apt-get", "chown", "chgrp", "journalctl", "sudoedit", "createdb", "dropdb"}

# ------------------------------------------------------------------ reading the page


def sh_blocks(text: str) -> list[tuple[str | None, int, list[str]]]:
    """``(walkthrough step or None, first line number, command lines)`` of each ``sh``
    block; continuation lines joined, comments and blank lines dropped."""
    blocks: list[tuple[str | None, int, list[str]]] = []
    lines = text.splitlines()
    step: str | None = None
    i = 0
    while i < len(lines):
        marker = re.match(r"\s*<!-- walkthrough: (\S+) -->", lines[i])
        if marker:
            step = marker.group(1)
        elif lines[i].strip() == "```sh":
            start, body = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            joined = "\n".join(body).replace("\\\n", " ")
            commands = [c for c in joined.splitlines() if shlex.split(c, comments=True)]
            blocks.append((step, start + 1, commands))
            step = None
        elif lines[i].strip():
            step = None if not lines[i].lstrip().startswith("<!--") else step
        i += 1
    return blocks


def commands_of(line: str) -> list[tuple[dict[str, str], list[str]]]:
    """The simple commands of a line (split at ``&&``, ``;``, ``|``), each as
    ``(environment assignments, argv)`` with ``sudo`` and ``sudo -u X`` removed."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    parts: list[list[str]] = [[]]
    for token in lex:
        if token in ("&&", ";", "|", "||"):
            parts.append([])
        else:
            parts[-1].append(token)
    out = []
    for words in filter(None, parts):
        env: dict[str, str] = {}
        while words and (words[0] == "sudo" or re.match(r"[A-Z_]+=", words[0])):
            if words[0] == "sudo":
                words = words[3:] if words[1:2] == ["-u"] else words[1:]
            else:
                name, _, value = words[0].partition("=")
                env[name] = value
                words = words[1:]
        out.append((env, words))
    return out


def is_motcua(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] == "motcua" or argv[0].endswith("/bin/motcua"))


# ------------------------------------------------------------------ (a) every command parses


def parse_with_click(args: list[str], *, whole: bool = True) -> None:
    """Parse ``motcua ARGS`` as the real app would, without running it (typer 0.29
    carries its own copy of click: its classes, not click's). ``whole=False``: a command
    named in prose, whose arguments may be left out; its sub-commands and options must
    still exist."""
    command: Command = typer.main.get_command(app)
    parent: Context | None = None
    name = "motcua"
    while True:
        try:
            ctx = command.make_context(name, list(args), parent=parent)
        except Exit as e:  # --version, --help
            assert e.exit_code == 0, args
            return
        except (MissingParameter, NoArgsIsHelpError):
            if whole:
                raise
            return
        if not isinstance(command, TyperGroup):
            return
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:  # `motcua --help`, or a group named in prose
            assert not whole, f"`{name}` needs a sub-command"
            return
        sub_name, sub, args = command.resolve_command(ctx, rest)
        assert sub is not None and sub_name is not None
        command, parent, name = sub, ctx, sub_name


def documented_commands() -> list[tuple[int, str, list[str], bool]]:
    """``(line number, line, arguments, whole)`` of every ``motcua`` command in the
    ``sh`` blocks (whole commands), and of every inline ``motcua …`` code span without
    an ellipsis or a COMMAND placeholder (may leave arguments out)."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for _step, first, lines in sh_blocks(text):
        for n, line in enumerate(lines):
            for _env, argv in commands_of(line):
                if is_motcua(argv):
                    found.append((first + n, line, argv[1:], True))
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        fenced ^= line.strip().startswith("```")
        for span in re.findall(r"`((?:sudo )?motcua [^`]+)`", "" if fenced else line):
            if "…" not in span and "COMMAND" not in span:
                for _env, argv in commands_of(span):
                    found.append((n, span, argv[1:], False))
    return found


def test_every_documented_motcua_command_exists() -> None:
    found = documented_commands()
    assert len(found) > 30, "the page lost its commands"
    wrong = []
    for lineno, line, args, whole in found:
        try:
            parse_with_click(args, whole=whole)
        except (ClickException, AssertionError) as e:
            message = e.format_message() if isinstance(e, ClickException) else str(e)
            wrong.append(f"docs/operations.md:{lineno}: {line.strip()}\n    {message}")
    assert not wrong, "\n".join(wrong)


def test_a_typo_would_be_caught() -> None:
    """The check itself: a misspelt option and an unknown sub-command are refused."""
    with pytest.raises(NoSuchOption):
        parse_with_click(["db", "backup", "--kep", "14"])
    with pytest.raises(UsageError):
        parse_with_click(["broker-config", "certs", "--out", "x"])
    with pytest.raises(NoSuchOption):
        parse_with_click(["user", "disable", "lan", "--yes"], whole=False)
    with pytest.raises(UsageError, match="No such command 'certs'"):
        parse_with_click(["broker-config", "certs"], whole=False)
    parse_with_click(["device", "add", "pad", "ID", "--desk", "q1"])  # placeholders are fine
    parse_with_click(["db", "restore"], whole=False)  # named in prose


# ------------------------------------------------------------------ (b) the walkthrough


@dataclass
class Office:
    """One office installed in ``root`` by the page's own commands."""

    root: Path
    pg_url: str
    scratch_url: str  # stands for `createdb … motcua_thu`
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def etc(self) -> Path:
        return self.root / "etc" / "motcua"

    @property
    def site_yaml(self) -> Path:
        return self.etc / "site.yaml"

    def path(self, text: str) -> str:
        for real, here in (
            ("/opt/motcua/share/motcua/config", str(REPO / "config")),
            ("/opt/motcua/bin/motcua", MOTCUA),
            ("/etc/mosquitto/motcua", str(self.root / "mosquitto")),
            ("/etc/motcua", str(self.etc)),
            ("/var/lib/motcua", str(self.root / "var")),
            ("/root/motcua-secrets", str(self.root / "secrets")),
            ("/etc/systemd/system", str(self.root / "systemd")),
            ("postgresql://motcua@/motcua_thu", self.scratch_url),
        ):
            text = re.sub(rf"(?<![\w./-]){re.escape(real)}", here, text)
        backups = sorted((self.root / "var" / "backups").glob("motcua-*.dump"))
        if backups:  # the doc's placeholder: the newest backup
            text = text.replace("motcua-YYYYmmdd-HHMMSS.dump", backups[-1].name)
        return text

    # -- running a block

    def run_step(self, step: str) -> str:
        blocks = [b for b in sh_blocks(DOC.read_text(encoding="utf-8")) if b[0] == step]
        assert len(blocks) == 1, f"docs/operations.md has no single walkthrough block {step!r}"
        said = []
        for line in blocks[0][2]:
            for env, argv in commands_of(line):
                said.append(self.run(env, [self.path(a) for a in argv], line))
        self.outputs[step] = "\n".join(said)
        return self.outputs[step]

    def run(self, env: dict[str, str], argv: list[str], line: str) -> str:
        if argv[0] in SKIPPED:
            return ""
        if argv[0] == "systemctl":
            self.systemctl(argv[1:])
            return ""
        stdin = None
        if is_motcua(argv):
            argv = [MOTCUA, *argv[1:]]
            if argv[1:3] == ["install", "systemd"]:
                argv += self.install_options(argv)
            if argv[1:3] == ["user", "add"]:
                argv.append("--password-stdin")
                stdin = ADMIN_PASSWORD + "\n"
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env},
            cwd=self.root,
        )
        assert done.returncode == 0, f"{line}\n→ exit {done.returncode}\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    def install_options(self, argv: list[str]) -> list[str]:
        role = argv[argv.index("--role") + 1]
        extra = ["--out", str(self.root / "systemd")]
        if "--env-file" not in argv:
            name = role if role in ("kiosk", "pad") else "server"
            extra += ["--env-file", str(self.etc / f"{name}.env")]
        return extra

    # -- systemctl, played

    def systemctl(self, args: list[str]) -> None:
        verb, units = args[0], [u.removesuffix(".service") for u in args[1:] if u != "--now"]
        for unit in units:
            if unit not in ("motcua-broker", "motcua-server"):
                continue
            if verb == "reload":
                self.procs[unit].send_signal(signal.SIGHUP)
            elif verb in ("enable", "start", "restart"):
                code = self.stop(unit)
                assert code in (None, 0), f"{unit} stopped with {code}:\n{self.log(unit)}"
                self.start_unit(unit)

    def unit(self, name: str) -> dict[str, str]:
        text = (self.root / "systemd" / f"{name}.service").read_text(encoding="utf-8")
        keys: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                keys[key] = self.path(value)
        return keys

    def start_unit(self, name: str) -> None:
        unit = self.unit(name)
        argv = shlex.split(unit["ExecStart"])
        env = dict(os.environ)
        if "EnvironmentFile" in unit:
            for line in Path(unit["EnvironmentFile"]).read_text(encoding="utf-8").splitlines():
                key, sep, value = line.partition("=")
                if sep and not line.startswith("#"):
                    env[key.strip()] = value.strip()
        cwd = Path(unit.get("WorkingDirectory", str(self.root)))
        cwd.mkdir(parents=True, exist_ok=True)
        if name == "motcua-broker" and os.geteuid() == 0:
            conf = Path(argv[-1])  # as root, Mosquitto would switch to the `mosquitto` user
            if "user root" not in conf.read_text(encoding="utf-8"):
                with conf.open("a", encoding="utf-8") as f:
                    f.write("user root\n")
        log = (self.root / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self, name: str) -> int | None:
        """SIGTERM, as systemd stops a unit; the exit code (None: was not running)."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        proc.terminate()
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- the edits the prose asks for (sudoedit)

    def edit_site(self, change: Any) -> None:
        data = yaml.safe_load(self.site_yaml.read_text(encoding="utf-8"))
        change(data)
        self.site_yaml.write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    def site(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(self.site_yaml.read_text(encoding="utf-8"))
        return data


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    pg, scratch = create_pg_database(), create_pg_database()
    o = Office(tmp_path, pg.url, scratch.url)
    try:
        yield o
    finally:
        for name in ("motcua-server", "motcua-broker"):
            o.stop(name)
        pg.drop()
        scratch.drop()


def _step_2_site_yaml(o: Office) -> None:
    o.run_step("site")
    assert o.site_yaml.stat().st_mode & 0o777 == 0o600

    def edit(data: dict[str, Any]) -> None:
        data["server"]["data_dir"] = str(o.root / "var")
        data["devices"] = []  # step 7 adds the real ones

    o.edit_site(edit)
    said = o.run_step("server-password")
    password = re.search(r"^password: (\S+)$", said, re.M)
    hashed = re.search(r'^password_hash: "(\S+)"$', said, re.M)
    assert password and hashed, said
    o.edit_site(lambda d: d["server"]["broker"].update(password_hash=hashed.group(1)))
    o.outputs["server-password"] = password.group(1)
    assert "OK" in o.run_step("check")


def _step_4_broker(o: Office) -> dict[str, Any]:
    o.run_step("tls")
    tls = o.etc / "tls"
    assert (tls / "ca.key").stat().st_mode & 0o777 == 0o600
    ports = {"port": free_port(), "tls": free_port()}

    def edit(data: dict[str, Any]) -> None:
        data["server"]["broker"].update(
            embedded=False,
            bind="0.0.0.0",
            host="127.0.0.1",
            port=ports["port"],
            tls={
                "port": ports["tls"],
                "cert_file": str(tls / "server.crt"),
                "key_file": str(tls / "server.key"),
                "ca_file": str(tls / "ca.crt"),
                "local_plain": True,
            },
        )

    o.edit_site(edit)
    said = o.run_step("broker")
    assert "plain port: 127.0.0.1 only" in said, said
    wait_port(ports["tls"], timeout=15)
    return ports


def _kiosk_gets_a_number(o: Office, password: str, tls_port: int) -> str:
    settings = BrokerSettings(
        host="127.0.0.1",  # a name in the certificate, as 192.168.1.10 is on a real LAN
        port=tls_port,
        username="kiosk-1",
        password=SecretStr(password),
        prefix=o.site()["server"]["broker"]["prefix"],
        tls_ca_file=o.etc / "tls" / "ca.crt",
        reconnect_min_s=1,
        reconnect_max_s=2,
    )
    link = MqttLink(settings, o.site()["site"]["code"], "kiosk-1")
    link.start()
    try:
        assert link.wait_connected(30), (
            f"kiosk-1 could not connect over TLS\n{o.log('motcua-broker')}"
        )

        def number() -> str | None:
            response = request_ticket(link, "tp")
            return response.ticket.number if response.ok and response.ticket else None

        return eventually(number, "kiosk-1 to get a number from the server", 60)
    finally:
        link.stop()


def test_the_install_path_of_the_page_gives_a_working_office(office: Office) -> None:
    o = office
    _step_2_site_yaml(o)

    # 3. PostgreSQL: a throwaway database stands for `createuser` + `createdb`.
    o.edit_site(lambda d: d["server"].update(database_url=o.pg_url))
    o.run_step("database")

    ports = _step_4_broker(o)

    # 5. The server: units, environment file, HTTPS, start, first admin.
    o.run_step("server")
    env_file = o.etc / "server.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    env_file.write_text(f"MOTCUA_MQTT_PASSWORD={o.outputs['server-password']}\n")
    tls = o.etc / "tls"
    http_port = free_port()  # chosen late: a port picked early may be taken meanwhile

    def https_on(data: dict[str, Any]) -> None:
        data["site"]["public_url"] = f"https://127.0.0.1:{http_port}"
        data["server"]["http"].update(
            host="127.0.0.1",
            port=http_port,
            tls_cert_file=str(tls / "server.crt"),
            tls_key_file=str(tls / "server.key"),
        )

    o.edit_site(https_on)
    o.run_step("start")
    https = httpx.Client(
        base_url=f"https://127.0.0.1:{http_port}",
        verify=ssl.create_default_context(cafile=str(tls / "ca.crt")),
        timeout=10,
    )

    def healthy() -> bool:
        server = o.procs["motcua-server"]
        if server.poll() is not None:
            pytest.fail(f"the server stopped:\n{o.log('motcua-server')}")
        try:
            r = https.get("/api/health")
        except httpx.TransportError:
            return False  # not listening yet
        return r.status_code == 200 and r.json()["status"] == "ok"

    eventually(healthy, "the server's HTTPS health to say ok", 90)
    o.run_step("admin")

    # 7. Devices: kiosks and pads added; the broker reloaded, the server restarted.
    first_server = o.procs["motcua-server"]
    said = o.run_step("devices")
    assert o.procs["motcua-server"] is not first_server, "the server was not restarted"
    kiosk = re.search(r"# ---- kiosk-1 .*?MOTCUA_DEVICE_PASSWORD=(\S+)", said, re.S)
    assert kiosk, said
    assert "MOTCUA_DEVICE_PASSWORD=" in (o.root / "secrets" / "pad-q1.env").read_text()
    assert [d["id"] for d in o.site()["devices"]] == ["kiosk-1", "kiosk-2", "pad-q1", "pad-q2"]
    eventually(healthy, "the restarted server's health to say ok", 90)
    number = _kiosk_gets_a_number(o, kiosk.group(1), ports["tls"])
    assert number.startswith("A"), number

    # The admin logs in over HTTPS and sees the accounts.
    r = https.post("/api/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    users = https.get("/api/users", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert users.status_code == 200 and "admin" in users.text

    # 11. A backup, and its status.
    said = o.run_step("backup")
    backups = list((o.root / "var" / "backups").glob("motcua-*.dump"))
    assert len(backups) == 1, said
    assert said.count(backups[0].name) >= 2, said  # written, then named by `db status`

    # The trial restore: the scratch database has the ticket and the admin of the office.
    said = o.run_step("trial-restore")
    scratch = create_engine(o.scratch_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with scratch.connect() as c:
            assert c.scalar(sql("SELECT count(*) FROM tickets")) == 1, said
            assert c.scalar(sql("SELECT count(*) FROM users WHERE username = 'admin'")) == 1
    finally:
        scratch.dispose()

    # 7b, 8. The kiosk and pad units (on their own machines, here in the same folder).
    o.run_step("kiosk-service")
    o.run_step("pad-service")
    units = {p.name for p in (o.root / "systemd").iterdir()}
    assert {
        "motcua-server.service",
        "motcua-broker.service",
        "motcua-backup.service",
        "motcua-backup.timer",
        "motcua-kiosk.service",
        "motcua-pad.service",
    } <= units, units
    assert "User=kiosk" in (o.root / "systemd" / "motcua-kiosk.service").read_text()
    https.close()
