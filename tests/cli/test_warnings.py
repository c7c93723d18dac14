"""Warnings the operator must see (an unverified server) reach stderr in every headless mode,
and never stdout, which carries data only."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.cli.cli_helpers import sovwatch


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
    # the data carries it too (plain: a warning line; json: the snapshot's cluster.warnings),
    # so a log of the output alone still says the server was not verified
    data_warnings = [line for line in result.out.splitlines() if "insecure-skip-tls-verify" in line]
    assert len(data_warnings) == 1
    if output == "json":
        assert json.loads(result.out)["schema"] == "sovwatch.snapshot/v1"
