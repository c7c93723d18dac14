"""The decisive line of real log tails: each case is a log shape as the program really writes it."""

from __future__ import annotations

import pytest

from sovwatch.model.decisive_line import decisive_line

LOKI = [
    'level=info ts=2026-12-06T09:16:40.123Z caller=main.go:108 msg="Starting Loki" version="(version=3.1.1, branch=HEAD)"',
    'level=info ts=2026-12-06T09:16:40.130Z caller=server.go:322 http=[::]:3100 grpc=[::]:9095 msg="server listening on addresses"',
    'level=error ts=2026-12-06T09:16:40.212Z caller=log.go:216 msg="error running loki" err="mkdir /var/loki/chunks: permission denied\\nerror initialising module: store"',
]
SPIRE_JSON = [
    '{"level":"info","ts":"2026-12-06T09:16:40Z","logger":"setup","msg":"Config loaded","cluster name":"sovereign"}',
    '{"level":"error","ts":"2026-12-06T09:16:41Z","logger":"setup","msg":"unable to create controller","controller":"ClusterSPIFFEID","error":"no matches for kind \\"ClusterSPIFFEID\\" in version \\"spire.spiffe.io/v1alpha1\\""}',
    '{"level":"info","ts":"2026-12-06T09:16:41Z","msg":"Stopping and waiting for non leader election runnables"}',
]
EXTERNAL_DNS = [
    'time="2026-12-06T09:16:40Z" level=info msg="Instantiating new Kubernetes client"',
    'time="2026-12-06T09:16:40Z" level=info msg="Created Kubernetes client https://10.43.0.1:443"',
    'time="2026-12-06T09:16:41Z" level=fatal msg="Get \\"http://powerdns-api.powerdns.svc:8081/api/v1/servers/localhost\\": dial tcp 10.43.112.7:8081: connect: connection refused"',
]
KEYCLOAK_JAVA = [
    "2026-12-06 09:16:40,512 INFO  [io.quarkus] (main) Keycloak 26.0.5 on JVM (powered by Quarkus 3.15.1) started in 3.912s.",
    "2026-12-06 09:16:41,003 ERROR [org.keycloak.quarkus.runtime.cli.ExecutionExceptionHandler] (main) ERROR: Failed to start server in (production) mode",
    "2026-12-06 09:16:41,003 ERROR [org.keycloak.quarkus.runtime.cli.ExecutionExceptionHandler] (main) ERROR: Failed to obtain JDBC connection",
    "java.lang.RuntimeException: Failed to start quarkus",
    "\tat io.quarkus.runner.ApplicationImpl.doStart(Unknown Source)",
    "\tat io.quarkus.runtime.Application.start(Application.java:101)",
    "Caused by: org.hibernate.exception.JDBCConnectionException: Unable to open JDBC Connection for DDL execution",
    "\tat org.hibernate.exception.internal.SQLStateConversionDelegate.convert(SQLStateConversionDelegate.java:100)",
    "\t... 12 more",
    'Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user "keycloak"',
    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:693)",
    "\t... 24 more",
]
PYTHON = [
    "INFO:     Started server process [1]",
    "INFO:     Waiting for application startup.",
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in <module>',
    "    os.makedirs(DATA_DIR, exist_ok=True)",
    '  File "<frozen os>", line 225, in makedirs',
    "PermissionError: [Errno 13] Permission denied: '/data/catalyst'",
]
POSTGRES = [
    "2026-12-06 09:16:40.101 UTC [1] LOG:  database system is ready to accept connections",
    '2026-12-06 09:16:41.778 UTC [64] FATAL:  password authentication failed for user "keycloak"',
    '2026-12-06 09:16:41.778 UTC [64] DETAIL:  Connection matched file "/var/lib/postgresql/data/pg_hba.conf" line 100: "host all all all scram-sha-256"',
    "2026-12-06 09:16:45.002 UTC [1] LOG:  checkpoint starting: time",
]
GO_PANIC = [
    "I1206 09:16:40.100000       1 main.go:52] starting openbao-init",
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1234567]",
    "",
    "goroutine 1 [running]:",
    "main.main()",
    "\t/src/main.go:61 +0x1d",
]
KLOG = [
    "I1206 09:16:40.100000       1 leaderelection.go:250] attempting to acquire leader lease kube-system/cilium-operator-resource-lock...",
    "E1206 09:16:42.310000       1 reflector.go:147] failed to list *v1.CiliumNode: the server could not find the requested resource (get ciliumnodes.cilium.io)",
    "I1206 09:16:43.000000       1 leaderelection.go:260] successfully acquired lease",
]
PLAIN = [
    "starting seaweedfs master",
    "listening on :9333",
    "",
    "   ",
]


@pytest.mark.parametrize(
    ("lines", "decisive"),
    [
        pytest.param(
            LOKI,
            "error running loki: mkdir /var/loki/chunks: permission denied",
            id="go-logfmt",
        ),
        pytest.param(
            SPIRE_JSON,
            'unable to create controller: no matches for kind "ClusterSPIFFEID" in version '
            '"spire.spiffe.io/v1alpha1"',
            id="zap-json",
        ),
        pytest.param(
            EXTERNAL_DNS,
            'Get "http://powerdns-api.powerdns.svc:8081/api/v1/servers/localhost": dial tcp '
            "10.43.112.7:8081: connect: connection refused",
            id="logrus-fatal",
        ),
        pytest.param(
            KEYCLOAK_JAVA,
            'org.postgresql.util.PSQLException: FATAL: password authentication failed for user "keycloak"',
            id="java-innermost-caused-by",
        ),
        pytest.param(
            PYTHON,
            "PermissionError: [Errno 13] Permission denied: '/data/catalyst'",
            id="python-traceback",
        ),
        pytest.param(
            POSTGRES,
            'FATAL: password authentication failed for user "keycloak"',
            id="postgres-fatal",
        ),
        pytest.param(
            GO_PANIC,
            "panic: runtime error: invalid memory address or nil pointer dereference",
            id="go-panic",
        ),
        pytest.param(
            KLOG,
            "failed to list *v1.CiliumNode: the server could not find the requested resource "
            "(get ciliumnodes.cilium.io)",
            id="klog-error",
        ),
        pytest.param(PLAIN, "listening on :9333", id="fallback-last-non-empty"),
        pytest.param(["", "  "], "", id="nothing"),
    ],
)
def test_decisive_line(lines, decisive):
    assert decisive_line(lines) == decisive


def test_a_later_error_of_the_same_weight_wins():
    lines = [
        'level=error msg="first failure" err="dial tcp: i/o timeout"',
        'level=info msg="retrying"',
        'level=error msg="second failure" err="x509: certificate signed by unknown authority"',
    ]
    assert decisive_line(lines) == "second failure: x509: certificate signed by unknown authority"


def test_an_error_outweighs_later_info_lines_with_alarming_words():
    lines = [
        '{"level":"error","msg":"reconcile failed","error":"secret \\"gitea-admin\\" not found"}',
        '{"level":"info","msg":"retrying after error"}',
    ]
    assert decisive_line(lines) == 'reconcile failed: secret "gitea-admin" not found'


def test_controls_decoded_from_json_or_logfmt_quoting_are_neutralised_again():
    """The gate escaped the raw line; `\\u001b` inside JSON decodes back to ESC, so again."""
    lines = [
        '{"level":"error","msg":"boom \\u001b]52;c;ZXZpbA==\\u0007","error":"x"}',
        'level=error msg="bad \\u001b[2J"',
    ]
    for line in lines:
        decisive = decisive_line([line])
        assert "\x1b" not in decisive
        assert "\x07" not in decisive
        assert "␛" in decisive


def test_a_log_line_nested_too_deeply_is_text_not_a_crash():
    """A container may write JSON nested past the decoder's recursion limit (its tail is read up to
    32 KiB): the picker and helm-controller's line parser treat it as plain text, never raise."""
    from sovwatch.model.controller_log import parse_line

    deep = '{"msg":' * 20_000 + '"x"' + "}" * 20_000
    assert parse_line(deep) is None
    assert decisive_line(["level=info msg=starting", deep]) == deep
