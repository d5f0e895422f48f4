"""The deployment recipe (env.example, deploy/) checked against the code, so neither can rot.

The Dockerfile test needs no Docker: it replays the Dockerfile's own COPY / `pip wheel` /
`RUN pip install` / `RUN dnws-bot` lines in a temporary directory standing in for the image's
filesystem, against a fresh venv, then runs the installed (non-editable) console script.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from dnws_bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "dnws_bot"
DEPLOY = REPO / "deploy"
ENV_EXAMPLE = REPO / "env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
UNIT = DEPLOY / "dnws-bot.service"
COMPOSE = DEPLOY / "compose.yaml"

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Variables that must not leak from the developer's shell into the replayed install.
LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


# --- env.example ----------------------------------------------------------------------------


def env_example_names() -> list[str]:
    """Every NAME in `NAME=value` or `# NAME=value` lines (unset-by-default ones are commented)."""
    names = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.append(match.group(1))
    return names


def _is_environ(node: ast.expr) -> bool:
    """`os.environ`, `environ`, or a parameter conventionally named `env`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id in ("env", "environ")


def _constant_name(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_NAME.match(node.value)
    ):
        return node.value
    return None


def env_reads_in_source() -> dict[str, set[str]]:
    """Variable name → modules that read it: environ.get/[]/getenv, or helper(env, "NAME")."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str | None] = []
            if isinstance(node, ast.Subscript) and _is_environ(node.value):
                names.append(_constant_name(node.slice))
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                if isinstance(func, ast.Attribute) and _is_environ(func.value):
                    names.append(_constant_name(node.args[0]))  # environ.get("X") and friends
                elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                    isinstance(func, ast.Name) and func.id == "getenv"
                ):
                    names.append(_constant_name(node.args[0]))
                elif any(_is_environ(arg) for arg in node.args):
                    names.extend(_constant_name(arg) for arg in node.args)  # _float(env, "X")
            for name in names:
                if name:
                    found.setdefault(name, set()).add(module)
    return found


class RecordingEnv(Mapping[str, str]):
    """An empty environment that remembers every name it was asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return default

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_env_example_lists_exactly_the_variables_the_code_reads() -> None:
    """env.example names every environment variable src/dnws_bot reads, and nothing else."""
    in_source = env_reads_in_source()
    recorder = RecordingEnv()
    Settings.from_env(recorder)
    # The static scan must see at least what Settings.from_env really asks for at run time.
    assert recorder.asked <= in_source.keys(), sorted(recorder.asked - in_source.keys())
    assert {"DNWS_CACHE_DIR", "DNWS_NO_CACHE", "XDG_CACHE_HOME"} <= in_source.keys()

    documented = env_example_names()
    duplicates = sorted({name for name in documented if documented.count(name) > 1})
    assert not duplicates, f"env.example lists these twice: {duplicates}"
    undocumented = {name: sorted(mods) for name, mods in in_source.items()} | {
        name: ["settings.py (Settings.from_env)"] for name in recorder.asked - in_source.keys()
    }
    for name in documented:
        undocumented.pop(name, None)
    assert not undocumented, f"read by the code but missing from env.example: {undocumented}"
    stale = sorted(set(documented) - in_source.keys() - recorder.asked)
    assert not stale, f"in env.example but read nowhere in src/dnws_bot: {stale}"


def test_env_example_values_are_accepted_by_settings() -> None:
    """The active lines of env.example, read as an environment, give the documented defaults."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert ENV_NAME.match(name), f"not NAME=value: {line!r}"
            assert "#" not in value, f"inline comments are not portable: {line!r}"
            values[name] = value
    assert values.get("TELEGRAM_BOT_TOKEN") == "", "never ship a token in env.example"
    defaults = Settings.from_env({})
    assert Settings.from_env(values) == defaults, "env.example's values differ from the defaults"


# --- systemd --------------------------------------------------------------------------------


def unit_settings(text: str) -> dict[str, list[str]]:
    """`Section.Key` → every value it is given, in order."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


REQUIRED_UNIT = {
    "Service.Type": "simple",
    "Service.ExecStart": "/opt/dnws-bot/.venv/bin/dnws-bot run",
    "Service.ExecReload": "/bin/kill -HUP $MAINPID",
    "Service.DynamicUser": "yes",
    "Service.StateDirectory": "dnws-bot",
    "Service.CacheDirectory": "dnws-bot",
    "Service.EnvironmentFile": "/etc/dnws-bot/env",
    "Service.ProtectSystem": "strict",
    "Service.ProtectHome": "yes",
    "Service.PrivateTmp": "yes",
    "Service.PrivateDevices": "yes",
    "Service.NoNewPrivileges": "yes",
    "Service.ProtectKernelTunables": "yes",
    "Service.ProtectKernelModules": "yes",
    "Service.ProtectKernelLogs": "yes",
    "Service.ProtectControlGroups": "yes",
    "Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "Service.RestrictNamespaces": "yes",
    "Service.LockPersonality": "yes",
    "Service.MemoryDenyWriteExecute": "yes",
    "Service.SystemCallFilter": "@system-service",
    "Service.CapabilityBoundingSet": "",
    "Service.Restart": "on-failure",
    "Service.RestartSec": "5",
    "Service.KillSignal": "SIGTERM",
    "Service.TimeoutStopSec": "30",
    "Install.WantedBy": "multi-user.target",
}


def test_systemd_unit_has_the_required_hardening() -> None:
    """The unit sets every required key to the required value, and points the store at %S."""
    settings = unit_settings(UNIT.read_text(encoding="utf-8"))
    wrong = {
        key: settings.get(key)
        for key, value in REQUIRED_UNIT.items()
        if value not in settings.get(key, [])
    }
    assert not wrong, f"missing or different: {wrong}"
    environment = settings.get("Service.Environment", [])
    assert "DNWS_DB=%S/dnws-bot/dnws-bot.sqlite3" in environment
    assert "DNWS_CACHE_DIR=%C/dnws-bot" in environment


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` accepts the unit (with ExecStart pointed at a real dnws-bot)."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd to run this check)")
    # verify insists that ExecStart exists; /opt/dnws-bot/.venv is not installed here.
    real = Path(sys.executable).with_name("dnws-bot")
    assert real.exists(), f"{real} missing: install the project into this venv"
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/dnws-bot/.venv/bin/dnws-bot " in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace("/opt/dnws-bot/.venv/bin/dnws-bot", str(real)), encoding="utf-8")
    result = subprocess.run(
        [tool, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Unknown keys and unparsable values are only warnings (exit 0), so read the output too.
    complaints = [line for line in output.splitlines() if UNIT.name in line]
    assert not complaints, "\n".join(complaints)


# --- compose --------------------------------------------------------------------------------


def test_compose_builds_this_dockerfile_and_keeps_data_on_a_volume() -> None:
    """compose.yaml builds deploy/Dockerfile from the repo root, reads ../.env, persists /data."""
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    context = (DEPLOY / bot["build"]["context"]).resolve()
    assert context == REPO
    assert (context / bot["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert bot["env_file"] == "../.env"
    assert bot["restart"] == "unless-stopped"
    assert bot["healthcheck"]["test"] == ["CMD", "dnws-bot", "healthcheck"]
    mounts = [volume.split(":") for volume in bot["volumes"]]
    assert any(target == "/data" and source in compose["volumes"] for source, target in mounts)
    assert bot["environment"]["DNWS_DB"].startswith("/data/")
    assert "telegram-bot-api" not in compose["services"], "the Bot API server stays optional"
    assert "aiogram/telegram-bot-api" in COMPOSE.read_text(encoding="utf-8")


# --- Dockerfile -----------------------------------------------------------------------------


@dataclass
class Stage:
    """One FROM ... stage: its name and instructions as (KEYWORD, rest of line)."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def lines(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]


def dockerfile_stages(text: str) -> list[Stage]:
    """Parse a Dockerfile: comments dropped (even inside continuations), `\\` lines joined."""
    instructions: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        instructions.append(current + line)
        current = ""
    assert not current, "Dockerfile ends inside a line continuation"
    stages: list[Stage] = []
    for instruction in instructions:
        keyword, _, rest = instruction.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(parts[0], name))
        else:
            assert stages, f"{keyword} before FROM"
            stages[-1].instructions.append((keyword, rest))
    return stages


def test_dockerfile_has_the_required_shape() -> None:
    """Slim 3.11, wheel built in one stage and installed in another, non-root, health, entry."""
    stages = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
    assert len(stages) >= 2
    assert all(stage.base == "python:3.11-slim" for stage in stages)
    build, runtime = stages[0], stages[-1]
    assert any(line.startswith("pip wheel --no-deps") for line in build.lines("RUN"))
    assert any(f"--from={build.name}" in line for line in runtime.lines("COPY"))
    user = runtime.lines("USER")
    assert user and user[-1] not in ("root", "0"), "the bot must not run as root"
    env = " ".join(runtime.lines("ENV"))
    assert "DNWS_DB=/data/dnws-bot.sqlite3" in env
    assert "DNWS_CACHE_DIR=" in env
    assert runtime.lines("VOLUME") == ["/data"]
    assert "dnws-bot validate" in runtime.lines("RUN")
    healthcheck = runtime.lines("HEALTHCHECK")
    assert healthcheck and 'CMD ["dnws-bot", "healthcheck"]' in healthcheck[-1]
    assert runtime.lines("STOPSIGNAL") == ["SIGTERM"]
    assert runtime.lines("ENTRYPOINT") == ['["dnws-bot"]']
    assert runtime.lines("CMD") == ['["run"]']
    installs = [line for line in runtime.lines("RUN") if "pip " in line]
    assert installs, "the runtime stage installs nothing"
    for line in installs:
        assert line.startswith("pip install "), f"not a plain `pip install` line: {line!r}"
        assert not re.search(r"&&|;|\|", line), f"keep install steps replayable: {line!r}"
        assert "[dev" not in line and "[bench" not in line, f"no dev extras at runtime: {line!r}"


class Rootfs:
    """A temporary directory standing in for the image's filesystem: /x → <tmp>/x."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, image_path: str, workdir: str = "/") -> Path:
        absolute = image_path if image_path.startswith("/") else f"{workdir}/{image_path}"
        return self.root / os.path.normpath(absolute).lstrip("/")

    def args(self, line: str, workdir: str) -> list[str]:
        """shlex-split a RUN line, mapping absolute paths (also `--opt=/path`) and globs."""
        mapped: list[str] = []
        for token in shlex.split(line):
            option, eq, value = token.partition("=") if token.startswith("--") else ("", "", token)
            if value.startswith("/"):
                value = str(self.path(value, workdir))
                matches = sorted(glob.glob(value)) if glob.has_magic(value) else [value]
                assert matches, f"{token!r} matches nothing in the replayed image"
                mapped.extend(f"{option}{eq}{match}" for match in matches)
            else:
                mapped.append(token)
        return mapped


def copy_from_context(rootfs: Rootfs, rest: str, workdir: str) -> None:
    """Docker COPY from the build context (the repo root): wildcards, dir contents, symlinks."""
    *sources, destination = shlex.split(rest)
    assert not any(s.startswith("--") for s in sources), f"unsupported COPY flags: {rest!r}"
    target = rootfs.path(destination, workdir)
    matched = [Path(m) for s in sources for m in sorted(glob.glob(str(REPO / s)))]
    assert matched, f"COPY {rest!r} matches nothing in the repository"
    for source in matched:
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        else:
            into_dir = destination.endswith("/") or len(sources) > 1
            dest = target / source.name if into_dir else target
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest, follow_symlinks=False)


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment without dnws-bot settings or anything pointing at the source."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in LEAKY_ENV and not name.startswith(("DNWS_", "TELEGRAM_", "ADMIN_"))
    }
    env["DNWS_DB"] = str(tmp_path / "data" / "dnws-bot.sqlite3")
    env["DNWS_CACHE_DIR"] = str(tmp_path / "cache")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def test_dockerfile_install_steps_produce_a_working_bot(tmp_path: Path) -> None:
    """Replaying the Dockerfile's build and install lines in a fresh venv yields a working bot."""
    stages = dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))
    build, runtime = stages[0], stages[-1]
    rootfs = Rootfs(tmp_path / "rootfs")
    env = clean_env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()

    # Build stage: COPY from the context, then `pip wheel` with this venv's pip.
    workdir = "/"
    for keyword, rest in build.instructions:
        if keyword == "WORKDIR":
            workdir = rest
            rootfs.path(workdir).mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            copy_from_context(rootfs, rest, workdir)
        elif keyword == "RUN" and rest.startswith("pip "):
            result = run([sys.executable, "-m", *rootfs.args(rest, workdir)], env, work)
            assert result.returncode == 0, result.stdout + result.stderr
    wheels = sorted(rootfs.root.rglob("dnws_bot-*.whl"))
    assert len(wheels) == 1, wheels
    shipped = {
        Path(name).name
        for name in zipfile.ZipFile(wheels[0]).namelist()
        if name.startswith("dnws_bot/intents/")
    }
    shipped_data = {p.name for p in (REPO / "intents").glob("*.yaml")} | {"readings.json"}
    assert shipped == shipped_data

    # Runtime stage: a fresh venv; COPY --from=build maps onto the same rootfs; replay pip/dnws-bot.
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    bin_dir = target / "bin"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    workdir = "/"
    replayed = []
    for keyword, rest in runtime.instructions:
        if keyword == "WORKDIR":
            workdir = rest
        elif keyword == "COPY" and rest.startswith(f"--from={build.name} "):
            source, destination = shlex.split(rest)[1:]
            assert rootfs.path(source) == rootfs.path(destination), "keep the wheel's path"
        elif keyword == "RUN" and rest.startswith(("pip ", "dnws-bot ")):
            command, *args = rootfs.args(rest, workdir)
            prefix = [str(bin_dir / "python"), "-m", "pip"] if command == "pip" else []
            result = run([*(prefix or [str(bin_dir / command)]), *args], env, work)
            assert result.returncode == 0, f"RUN {rest}\n{result.stdout}{result.stderr}"
            replayed.append(rest)
    assert any(line.startswith("pip install") for line in replayed), replayed
    assert "dnws-bot validate" in replayed

    # The installed package, not the source tree, answers (intents found inside site-packages).
    located = run(
        [str(bin_dir / "python"), "-c", "import dnws_bot; print(dnws_bot.__file__)"], env, work
    )
    assert Path(located.stdout.strip()).is_relative_to(target), located.stdout + located.stderr
    validate = run([str(bin_dir / "dnws-bot"), "validate"], env, work)
    assert validate.returncode == 0, validate.stderr
    assert str(target.resolve()) in validate.stdout, validate.stdout  # bundled, not the checkout

    ask = run([str(bin_dir / "dnws-bot"), "ask", "--json", "DNWSとは"], env, work)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["status"] == "answer", ask.stdout

    health = run([str(bin_dir / "dnws-bot"), "healthcheck"], env, work)
    assert health.returncode != 0, "healthy without a running bot's heartbeat"
    assert "no heartbeat" in health.stderr, health.stderr
