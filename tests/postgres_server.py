"""A real PostgreSQL server on loopback for the destination tests.

``SEGMENTS_TEST_POSTGRES_URL`` names a server to use; otherwise a throw-away cluster is created
with Debian's ``postgresql`` binaries (``.ci/run`` installs them) in a temporary folder, on a
free port, and stopped afterwards. Without either, the tests fail and say how to get one.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a connection string to a running server."""
    configured = os.environ.get("SEGMENTS_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError(
            "no PostgreSQL server for the destination tests: install Debian's postgresql "
            "(apt-get install -y postgresql; .ci/run does) or set SEGMENTS_TEST_POSTGRES_URL"
        )
    # not under pytest's folders: they are private to the user running the tests
    folder = Path(tempfile.mkdtemp(prefix="segments-postgres-"))
    data = folder / "pgdata"
    data.mkdir()
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (folder, data):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = lambda *args: subprocess.run(  # noqa: E731
        [*as_user, *args], check=True, capture_output=True, text=True, timeout=120
    )
    run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    run(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(folder / "log"),
        "-w",
        "start",
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
