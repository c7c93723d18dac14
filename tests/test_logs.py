"""Logging setup: records reach the chosen place only, and never carry a credential."""

from __future__ import annotations

import logging
import stat
import warnings
from pathlib import Path

import pytest

from sovwatch import logs

KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n"
    "7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc\n"
    "-----END RSA PRIVATE KEY-----"
)
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjRkZTRhIn0"
    ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic292d2F0Y2gifQ"
    ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
)
TOKEN = "kQ7v2Xc9fR3mZp8LwN4sT6yB1hJ5dG0a"

# (what is logged: format and args, the secret that must not appear, what must remain)
CASES = {
    "authorization-header-dict": (
        ("request headers: %s", {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}),
        TOKEN,
        "'Authorization': 'Bearer ***'",
    ),
    "authorization-basic": (
        ("Authorization: Basic %s", "b3BzOnMzY3JldA=="),
        "b3BzOnMzY3JldA==",
        "Authorization: Basic ***",
    ),
    "bearer-in-prose": (("retrying with Bearer %s", TOKEN), TOKEN, "retrying with Bearer ***"),
    "jwt-anywhere": (("exec plugin answered %s", JWT), JWT[:40], "[JWT redacted]"),
    "token-field-json": (
        ('{"status": {"token": "%s", "expirationTimestamp": "2026-01-01T00:00:00Z"}}', TOKEN),
        TOKEN,
        '"token": "***"',
    ),
    "token-field-yaml": (("users:\n- user:\n    token: %s\n", TOKEN), TOKEN, "token: ***"),
    "password-field": (("proxy config password=%s", "hunter2"), "hunter2", "password=***"),
    "client-key-data": (
        ("client-key-data: %s", "c2VjcmV0LWtleS1ieXRlcw=="),
        "c2VjcmV0LWtleS1ieXRlcw==",
        "client-key-data: ***",
    ),
    "pem-key": (
        ("loaded key %s from plugin", KEY),
        "MIIEowIBAAKCAQEAu1SU1",
        "[PEM RSA PRIVATE KEY redacted] from plugin",
    ),
    "pem-cut-short": (
        ("key: %s", KEY[:120]),
        "MIIEowIBAAKCAQEAu1SU1",
        "[PEM RSA PRIVATE KEY redacted]",
    ),
    "pem-base64": (
        ("client-certificate-data %s", "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2"),
        "LS0tLS1CRUdJTi",
        "[base64 PEM redacted]",
    ),
}


@pytest.fixture(autouse=True)
def _restore_logging():
    """Leave the root logger and `warnings` as each test found them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "sovwatch.log"
    logs.configure(verbosity=2, log_file=path, to_stderr=False)
    return path


def _warn(message: str) -> None:
    """warnings.warn as a library would, shown every time (not swallowed by pytest's recorder)."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(message, DeprecationWarning, stacklevel=1)


@pytest.mark.parametrize(("logged", "secret", "kept"), CASES.values(), ids=CASES)
def test_secrets_are_redacted(log_file: Path, logged, secret, kept):
    logging.getLogger("sovwatch.kube.api").warning(*logged)
    written = log_file.read_text()
    assert secret not in written
    assert kept in written


def test_ordinary_text_is_left_alone(log_file: Path):
    message = (
        "helmreleases.helm.toolkit.fluxcd.io: 410 Expired: too old resource version: 12 (40); "
        "tokenFile /var/run/secrets/token re-read; basic auth is not used"
    )
    logging.getLogger("sovwatch.sources.watching").info(message)
    assert message in log_file.read_text()


def test_traceback_and_stack_are_redacted(log_file: Path):
    try:
        raise ValueError(f"server rejected Bearer {TOKEN}")
    except ValueError:
        logging.getLogger("sovwatch.sources.watching").exception("watching pods failed")
    logging.getLogger("sovwatch").warning("token=%s", TOKEN, stack_info=True)
    written = log_file.read_text()
    assert "Traceback" in written
    assert "ValueError: server rejected Bearer ***" in written
    assert TOKEN not in written


def test_warnings_become_log_records(log_file: Path):
    _warn("deprecated: pass the token differently")
    written = log_file.read_text()
    assert "WARNING py.warnings:" in written
    assert "DeprecationWarning: deprecated: pass the token" in written


def test_log_file_is_private_and_appended(tmp_path: Path):
    path = tmp_path / "sovwatch.log"
    path.write_text("earlier run\n")
    path.chmod(0o600)
    logs.configure(verbosity=0, log_file=path, to_stderr=False)
    logging.getLogger("sovwatch").info("not at verbosity 0")
    logging.getLogger("sovwatch").warning("kept")
    lines = path.read_text().splitlines()
    assert lines[0] == "earlier run"
    assert len(lines) == 2
    assert lines[1].endswith("WARNING sovwatch: kept")


def test_new_log_file_is_created_0600(tmp_path: Path):
    path = tmp_path / "new.log"
    logs.configure(verbosity=0, log_file=path, to_stderr=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_tui_without_a_log_file_prints_nothing_at_all(capfd):
    logs.configure(verbosity=2, to_stderr=False)
    logging.getLogger("sovwatch.kube.api").error("pre-flight: 500 InternalError")
    _warn("a library's deprecation notice")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_headless_logs_to_stderr_redacted_and_configure_replaces(capsys):
    logs.configure(verbosity=1, to_stderr=True)
    logs.configure(verbosity=1, to_stderr=True)  # again: no duplicate lines
    logging.getLogger("sovwatch.kube.config").info("exec credential %s", {"token": TOKEN})
    err = capsys.readouterr().err
    assert err.count("exec credential") == 1
    assert "INFO sovwatch.kube.config: exec credential {'token': '***'}" in err


def test_unwritable_log_file_is_one_clear_line(tmp_path: Path):
    with pytest.raises(logs.LogSetupError) as caught:
        logs.configure(verbosity=0, log_file=tmp_path / "missing-dir" / "x.log", to_stderr=False)
    assert str(caught.value) == (
        f"cannot write the log file {tmp_path}/missing-dir/x.log: No such file or directory; "
        "pass --log-file a path in a writable directory"
    )
