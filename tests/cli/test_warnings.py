"""Warnings the operator must see (an unverified server) reach stderr in every headless mode,
and never stdout, which carries data only."""

from __future__ import annotations

import json

import pytest
import yaml
from cli_helpers import sovwatch


@pytest.mark.parametrize("output", ["plain", "json"])
async def test_insecure_skip_tls_verify_is_a_warning(tls_emulator, kubeconfig_path, output: str):
    path = kubeconfig_path(tls_emulator)
    doc = yaml.safe_load(path.read_text())
    cluster = doc["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    path.write_text(yaml.safe_dump(doc))
    result = await sovwatch("--kubeconfig", str(path), "--once", "-o", output)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "insecure-skip-tls-verify" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("sovwatch: warning: ")
    assert "insecure" not in result.out
    if output == "json":
        assert json.loads(result.out)["schema"] == "sovwatch.snapshot/v1"
