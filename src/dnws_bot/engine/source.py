"""The intents directory as files on disk: which YAML files it holds and their content hash.

Kept apart from the loader so the compiled cache can name its entry without importing YAML.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def yaml_files(directory: Path) -> list[Path]:
    """Every *.yaml in the directory, in a stable order."""
    return sorted(directory.glob("*.yaml"))


def content_hash(directory: Path) -> str:
    """SHA-256 over each YAML file's name and bytes, and the readings memo's; any edit changes it."""
    digest = hashlib.sha256()
    memo = directory / "readings.json"  # the catalogue's readings (reading.py), shipped beside it
    for path in [*yaml_files(directory), *([memo] if memo.is_file() else [])]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def catalogue_version(directory: Path) -> str:
    """The short content hash shown to curators (`dnws-bot validate`, /about)."""
    return content_hash(directory)[:12]
