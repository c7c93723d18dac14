"""The model is pure: importing it pulls in no UI, HTTP or YAML library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_model_imports_no_textual_aiohttp_or_yaml():
    code = (
        "import sys, pkgutil, importlib, sovwatch.model as m\n"
        "for info in pkgutil.iter_modules(m.__path__): importlib.import_module(f'sovwatch.model.{info.name}')\n"
        "print(sorted(n for n in ('textual', 'aiohttp', 'yaml', 'kubernetes') if n in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
