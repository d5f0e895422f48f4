"""A compiled-engine cache, like .pyc files: the first load validates and builds, later loads
of the same content with the same engine code unpickle it (one process of `dnws-bot ask` must
stay well under 0.4 s).

The key hashes the intents directory's path, every intents/*.yaml file, every engine source file
and the Python version, so an edit to either rebuilds. The directory comes from Settings (the engine reads no environment);
files are written atomically, and any failure to read or write just means building from YAML.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

_ENGINE_DIR = Path(__file__).resolve().parent


def cache_key(intents_dir: Path) -> str:
    """Content, code, Python version and the directory itself (an engine remembers its path)."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(str(intents_dir.resolve()).encode())
    for path in sorted(_ENGINE_DIR.glob("*.py")) + sorted(intents_dir.glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def load_cached(directory: Path, key: str) -> Any | None:
    """The cached object for `key`, or None if absent or unreadable."""
    try:
        with open(directory / f"engine-{key}.pickle", "rb") as handle:
            return pickle.load(handle)
    except Exception:  # a stale, truncated or foreign file is just a cache miss
        return None


def store_cached(directory: Path, key: str, value: Any) -> None:
    """Write atomically; a read-only or missing cache directory is not an error."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        Path(handle.name).replace(directory / f"engine-{key}.pickle")
    except (OSError, pickle.PicklingError):
        return
