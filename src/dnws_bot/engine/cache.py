"""The compiled-engine cache: a built engine kept as authenticated JSON data, never as code.

The first load validates the YAML and builds; later loads of the same content by the same engine
code read `engine-<key>.json` instead (one `dnws-bot ask` must stay near Python's own start-up).
What keeps a cache entry honest:

- Data only: JSON, decoded into the catalogue model by snapshot.py. Nothing is unpickled or
  executed, so a planted file (a pickle, say) is at worst a cache miss.
- Authenticated: each entry carries an HMAC-SHA256 tag under a random key created once in the
  cache directory (mode 0600). An entry edited after it was written — a different link in an
  answer, however well-formed — fails the tag and is rebuilt from the YAML, which is validated.
- Keyed: the entry's name and content carry the SHA-256 of every intents/*.yaml file and of the
  engine's source (the engine version), so an edit to either is a miss, never a stale answer.
- Private: the directory is created 0700; a directory, entry or key file not owned by the current
  user, or writable by group or others, is ignored (one log line), never read.
- Bounded: writing an entry removes all but the current and the previous one (and any leftover
  pickle from older versions).

Any failure to read or write just means building from YAML.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from .source import content_hash

# logging, secrets and tempfile are imported where used: a cache hit, every `dnws-bot ask`, needs
# none of them.

_ENGINE_DIR = Path(__file__).resolve().parent
MAGIC = b"dnws-bot engine cache 1\n"
KEY_FILE = "cache.key"
KEY_BYTES = 32
PREFIX = "engine-"
SUFFIX = ".json"
KEEP = 2  # the current entry and the previous one
STALE_TEMP_SECONDS = 600.0
_warned: set[str] = set()


def engine_version() -> str:
    """SHA-256 of the Python version, the byte order and every engine source file."""
    digest = hashlib.sha256(f"{sys.version} {sys.byteorder}".encode())
    for path in sorted(_ENGINE_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ignore(path: Path, why: str) -> None:
    """One log line per ignored path and process."""
    if str(path) not in _warned:
        import logging

        _warned.add(str(path))
        logging.getLogger(__name__).warning("engine cache: ignoring %s (%s)", path, why)


def _untrusted(info: os.stat_result, secret: bool = False) -> str | None:
    """Why a file or directory may not be trusted, or None when it may."""
    if info.st_uid != os.getuid():
        return "not owned by the current user"
    if info.st_mode & (0o077 if secret else 0o022):
        return "readable by others" if secret else "writable by group or others"
    return None


class EngineCache:
    """The cache entry for one intents directory in one cache directory."""

    def __init__(self, directory: Path, intents_dir: Path) -> None:
        self.directory = directory
        self.source = content_hash(intents_dir)
        self.engine = engine_version()
        digest = hashlib.sha256(f"{self.engine}\n{self.source}\n{intents_dir.resolve()}".encode())
        self.key = digest.hexdigest()[:24]
        self.path = directory / f"{PREFIX}{self.key}{SUFFIX}"

    def _directory_ok(self) -> bool:
        try:
            info = self.directory.stat()
        except OSError:
            return False
        why = "not a directory" if not stat.S_ISDIR(info.st_mode) else _untrusted(info)
        if why is not None:
            _ignore(self.directory, why)
        return why is None

    def _read_trusted(self, path: Path, secret: bool = False) -> bytes | None:
        """The bytes of a regular file we own and nobody else can write (or, if secret, read)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None  # absent, or a symlink
        try:
            info = os.fstat(fd)
            why = "not a regular file" if not stat.S_ISREG(info.st_mode) else None
            why = why or _untrusted(info, secret)
            if why is not None:
                _ignore(path, why)
                return None
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read()
        except OSError:
            return None
        finally:
            os.close(fd)

    def _tag(self, secret: bytes, payload: bytes | memoryview) -> bytes:
        mac = hmac.new(secret, self.key.encode() + b"\n", hashlib.sha256)
        mac.update(payload)
        return mac.hexdigest().encode()

    def read(self) -> Any | None:
        """The snapshot stored for this content and code, or None (a miss)."""
        if not self._directory_ok():
            return None
        secret = self._read_trusted(self.directory / KEY_FILE, secret=True)
        blob = self._read_trusted(self.path)
        if secret is None or len(secret) != KEY_BYTES or blob is None:
            return None
        # The payload is read in place (a memoryview, no copy) and decoded once; each copy is
        # dropped before the next is made, so the entry's bytes are alive once at a time.
        split = blob.find(b"\n\n")
        head, payload = blob[: max(split, 0)], memoryview(blob)[split + 2 :]
        if (
            split < 0
            or not head.startswith(MAGIC)
            or not hmac.compare_digest(head[len(MAGIC) :], self._tag(secret, payload))
        ):
            _ignore(self.path, "authentication failed: edited after it was written")
            return None
        try:
            text = str(payload, "utf-8")
            del payload, blob
            data = json.loads(text)
            del text
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if (data.get("key"), data.get("source"), data.get("engine")) != (
            self.key,
            self.source,
            self.engine,
        ):
            return None
        return data.get("snapshot")

    def _secret(self) -> bytes | None:
        """The directory's authentication key, created on first use (0600, never replaced)."""
        import secrets
        import tempfile

        path = self.directory / KEY_FILE
        secret = self._read_trusted(path, secret=True)
        if secret is not None or path.exists():
            return secret if secret is not None and len(secret) == KEY_BYTES else None
        fd, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(KEY_BYTES))
            os.link(temp, path)  # atomic, and never overwrites another process's key
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
        return self._secret() if path.exists() and not path.is_symlink() else None

    def write(self, snapshot: Any) -> None:
        """Store a snapshot atomically, then prune; an unusable directory is not an error."""
        import logging
        import tempfile

        try:
            if not self.directory.exists():
                self.directory.mkdir(mode=0o700, parents=True)
                self.directory.chmod(0o700)  # whatever the umask
            if not self._directory_ok() or (secret := self._secret()) is None:
                return
            data = {"key": self.key, "source": self.source, "engine": self.engine}
            data["snapshot"] = snapshot
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
            fd, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")  # mode 0600
            with os.fdopen(fd, "wb") as handle:
                handle.write(MAGIC + self._tag(secret, payload) + b"\n\n" + payload)
            os.replace(temp, self.path)
            self.prune()
        except OSError as exc:
            logging.getLogger(__name__).debug("engine cache: not written (%s)", exc)

    def prune(self) -> None:
        """Keep this entry and the newest other one; drop older entries, old pickles, stale
        temporary files. Only files the current user owns are touched."""
        import time

        entries: list[tuple[float, Path]] = []
        now = time.time()
        for path in self.directory.iterdir():
            try:
                info = path.lstat()
            except OSError:
                continue
            if info.st_uid != os.getuid() or not stat.S_ISREG(info.st_mode) or path == self.path:
                continue
            name = path.name
            if name.startswith(PREFIX) and name.endswith(SUFFIX):
                entries.append((info.st_mtime, path))
            elif (name.startswith(PREFIX) and name.endswith(".pickle")) or (
                name.endswith(".tmp") and now - info.st_mtime > STALE_TEMP_SECONDS
            ):
                path.unlink(missing_ok=True)
        entries.sort(reverse=True)
        for _, path in entries[KEEP - 1 :]:
            path.unlink(missing_ok=True)
