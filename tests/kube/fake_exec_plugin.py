"""A client-go exec credential plugin for tests: `python fake_exec_plugin.py STATE_DIR MODE [LIFETIME]`.

Each run increments STATE_DIR/runs and answers in the apiVersion that KUBERNETES_EXEC_INFO asks for:
- `token`: `exec-token-<run>` expiring LIFETIME seconds from now (fractional seconds allowed);
- `cert`:  the client certificate and key found in STATE_DIR/client.crt and client.key;
- `fail`:  a login error on stderr and exit status 1, as a real plugin does when logged out;
- `hang`:  writes its pid to STATE_DIR/pid and waits for a login that never comes;
- `report`: like `token`, after writing STATE_DIR/report.json with what it was given: the bytes
  waiting on stdin, whether stdin is /dev/null, whether it leads its own session, and the parsed
  KUBERNETES_EXEC_INFO, and the variables SOVEREIGN_REGION and SOVWATCH_TEST_ENV.
It always writes a line to stderr, which must never reach the terminal.
"""

import datetime
import json
import os
import select
import sys
import time
from pathlib import Path

state = Path(sys.argv[1])
mode = sys.argv[2]
lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 3600.0
counter = state / "runs"
run = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(run))
print(f"fake-exec-plugin: run {run} ({mode})", file=sys.stderr)
if mode == "fail":
    print("error: not logged in: run `sovereign login` first", file=sys.stderr)
    sys.exit(1)
if mode == "hang":
    (state / "pid").write_text(str(os.getpid()))
    time.sleep(60)
exec_info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
if mode == "report":
    # A prompting plugin reads its stdin: see what it would get, without blocking on it.
    readable, _, _ = select.select([0], [], [], 0.5)
    stdin = os.read(0, 4096).decode() if readable else None
    null, fd0 = os.stat(os.devnull), os.fstat(0)
    report = {
        "stdin": stdin,
        "stdin_is_devnull": (fd0.st_dev, fd0.st_ino) == (null.st_dev, null.st_ino),
        "session_leader": os.getsid(0) == os.getpid(),
        "exec_info": exec_info,
        "env": {k: os.environ.get(k) for k in ("SOVEREIGN_REGION", "SOVWATCH_TEST_ENV")},
    }
    (state / "report.json").write_text(json.dumps(report))
if mode in ("token", "report"):
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lifetime)
    status = {
        "token": f"exec-token-{run}",
        "expirationTimestamp": expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
else:
    status = {
        "clientCertificateData": (state / "client.crt").read_text(),
        "clientKeyData": (state / "client.key").read_text(),
    }
print(
    json.dumps({"apiVersion": exec_info["apiVersion"], "kind": "ExecCredential", "status": status})
)
