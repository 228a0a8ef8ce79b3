"""Where imr-extract keeps what it derives once and reuses across runs (the ICD-10-CM title index,
the compiled rule patterns): ``IMR_EXTRACT_CACHE``, else the user's cache folder."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "IMR_EXTRACT_CACHE"


def cache_dir() -> Path:
    """The cache folder: ``IMR_EXTRACT_CACHE`` when set, else imr-extract in XDG_CACHE_HOME (default ~/.cache)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imr-extract"
