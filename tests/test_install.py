"""The install path of a real machine: the wheel ``./run wheel`` builds goes into a clean
virtual environment (no source tree, no system packages), and from there ``motcua``
knows its version, lists its commands, migrates a database, writes its systemd units
and serves its pages: everything it needs at run time is in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.processes import interrupt
from tests.support.services import free_port, unavailable
from tests.support.sites import SERVER_PASSWORD, site_data
from tests.support.waiting import eventually

# building, a fresh venv and its dependencies: minutes on a busy machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
PACKAGES = [
    "motcua", "protocol", "server", "hub", "ticket_printer", "kiosk", "touch_ui", "rating_pad",
]  # fmt: skip


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    home: Path  # an empty folder to run from: nothing of the checkout on sys.path

    @property
    def motcua(self) -> Path:
        return self.venv / "bin" / "motcua"

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin:/usr/sbin", "HOME": str(self.home),
                "LANG": "C.UTF-8", **extra}  # fmt: skip

    def run(self, *args: str | Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.motcua), *map(str, args)],
            cwd=self.home,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _pip_failed(r: subprocess.CompletedProcess[str]) -> None:
    out = r.stdout + r.stderr
    if any(s in out for s in ("NewConnectionError", "Temporary failure in name resolution")):
        unavailable(f"the package index is not reachable to install the dependencies: {out[-400:]}")
    pytest.fail(f"pip install of the wheel failed:\n{out[-3000:]}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("install")
    built = subprocess.run(
        ["./run", "wheel", str(base / "dist")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = base / "dist" / f"motcua-{VERSION}-py3-none-any.whl"
    assert built.stdout.strip().endswith(wheel.name), built.stdout
    venv, home = base / "venv", base / "home"
    home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True, text=True, timeout=900, check=False, cwd=home,
        env={**os.environ, "PYTHONPATH": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    if pip.returncode != 0:
        _pip_failed(pip)
    yield Installed(wheel, venv, home)


def _package_files() -> set[str]:
    """Every file of the installed packages in the source tree, but compiled Python."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_wheel_holds_every_file_the_packages_need(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    missing = _package_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    for needed in (
        "server/web/templates/login.html",
        "server/web/static/vendor/chart.umd.min.js",
        "hub/web/templates/overview.html",
        "hub/web/static/hub.css",
        "server/db/migrations/script.py.mako",
        "kiosk/kv/welcome.kv",
        "ticket_printer/fonts/DejaVuSans.ttf",
        f"motcua-{VERSION}.data/data/share/motcua/config/site.example.yaml",
        f"motcua-{VERSION}.data/data/share/motcua/config/hub.example.yaml",
    ):
        assert needed in names
    assert not any(n.startswith(("tests/", "bench/", "docs/")) for n in names)
    entry_points = zipfile.ZipFile(installed.wheel).read(
        f"motcua-{VERSION}.dist-info/entry_points.txt"
    )
    assert b"motcua = motcua.cli:main" in entry_points


def test_the_clean_venv_runs_its_own_copy(installed: Installed) -> None:
    r = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import server; print(server.__file__)"],
        cwd=installed.home, env=installed.env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert r.stdout.startswith(str(installed.venv)), r.stdout


def test_version_and_commands(installed: Installed) -> None:
    for flag in ("--version", "-V"):
        r = installed.run(flag)
        assert r.returncode == 0, r.stderr
        assert r.stdout == f"motcua {VERSION}\n"
    helped = installed.run("--help", COLUMNS="120")
    assert helped.returncode == 0, helped.stderr
    for command in ("server", "kiosk", "pad", "db", "broker-config", "user", "install"):
        assert f" {command} " in helped.stdout, command
    assert "<bool>" not in helped.stdout


def test_database_migrations_come_with_the_wheel(installed: Installed) -> None:
    db = installed.home / "x.db"
    r = installed.run("db", "upgrade", "--database-url", f"sqlite:///{db}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "database at revision" in r.stdout
    assert db.stat().st_size > 0


def test_example_config_comes_with_the_wheel(installed: Installed) -> None:
    example = installed.venv / "share" / "motcua" / "config" / "site.example.yaml"
    r = installed.run("server", "--config", example, "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{example}: OK" in r.stdout


def test_systemd_units_run_the_installed_motcua(installed: Installed) -> None:
    out = installed.home / "units"
    r = installed.run(
        "install", "systemd", "--role", "server", "--out", out,
        "--config", installed.home / "site.yaml", "--env-file", installed.home / "server.env",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    text = (out / "motcua-server.service").read_text(encoding="utf-8")
    assert f"ExecStart={installed.motcua} server --config" in text


def test_the_installed_server_serves_its_pages(installed: Installed) -> None:
    if not Path("/usr/sbin/mosquitto").exists():
        unavailable("mosquitto is not installed (apt-get install mosquitto)")
    data = site_data()
    http_port = free_port()
    data["server"]["database_url"] = f"sqlite:///{installed.home / 'served.db'}"
    data["server"]["data_dir"] = str(installed.home / "var")
    data["server"]["http"] = {"host": "127.0.0.1", "port": http_port}
    data["server"]["broker"].update(
        embedded=True, bind="127.0.0.1", host="127.0.0.1", port=free_port()
    )
    site = installed.home / "served.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    log = (installed.home / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(installed.motcua), "server", "--config", str(site)],
        cwd=installed.home,
        env=installed.env(MOTCUA_MQTT_PASSWORD=SERVER_PASSWORD),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"

    def get(path: str) -> str:
        if proc.poll() is not None:
            pytest.fail(f"the server exited: {(installed.home / 'server.log').read_text()}")
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return str(response.read().decode("utf-8"))

    try:
        page = eventually(lambda: get("/login"), "the log-in page from the installed server", 90)
        assert "<form" in page and "Đăng nhập" in page
        assert "body" in get("/static/app.css")
    finally:
        interrupt(proc)
        log.close()
