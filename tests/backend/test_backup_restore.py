"""deploy/backup.sh and deploy/restore.sh on MariaDB/MySQL: a seeded database is backed up, restored
into another database and found identical, table by table and row by row; old backups rotate; a
non-empty target is refused; the password shows neither in the output nor in any process's
arguments."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.backend.conftest import TEST_DATABASE_URL, is_mysql_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_mysql_url(TEST_DATABASE_URL), reason="backups are for MySQL/MariaDB"),
]

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
# characters a URL must percent-encode and an option file must quote
PASSWORD = "Bk-" + secrets.token_hex(8) + ':@/"#\\%'


@dataclass
class Server:
    host: str
    port: int
    admin_user: str
    admin_password: str

    def sql(self, statement: str, database: str = "") -> list[list[str]]:
        """Run SQL as the server's admin (the test URL's user) through the mysql client."""
        env = {**os.environ, "MYSQL_PWD": self.admin_password}
        args = ["mysql", f"-h{self.host}", f"-P{self.port}", f"-u{self.admin_user}", "--batch"]
        args += ["--skip-column-names", "--default-character-set=utf8mb4", "-e", statement]
        out = subprocess.run(
            [*args, *([database] if database else [])], env=env, check=True, capture_output=True, text=True
        ).stdout
        return [line.split("\t") for line in out.splitlines()]


@dataclass
class Setup:
    server: Server
    user: str
    source: str
    target: str
    backups: Path
    tmp: Path

    def url(self, database: str) -> str:
        return (
            f"mysql://{self.user}:{quote(PASSWORD, safe='')}@{self.server.host}:{self.server.port}/{database}"
        )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    parts = urlsplit(TEST_DATABASE_URL)
    server = Server(
        parts.hostname or "127.0.0.1", parts.port or 3306, parts.username or "root", parts.password or ""
    )
    tag = secrets.token_hex(4)
    source, target, user = f"opcms_backup_src_{tag}", f"opcms_backup_dst_{tag}", f"opcms_bk_{tag}"
    hosts = ("%", "localhost", "127.0.0.1")
    for host in hosts:
        escaped = PASSWORD.replace("\\", "\\\\").replace("'", "\\'")
        server.sql(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{escaped}'")
        for database in (source, target):
            server.sql(f"GRANT ALL ON `{database}`.* TO '{user}'@'{host}'")
    server.sql(f"CREATE DATABASE `{source}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    (tmp_path / "tmp").mkdir()
    try:
        yield Setup(server, user, source, target, tmp_path / "backups", tmp_path / "tmp")
    finally:
        for database in (source, target):
            server.sql(f"DROP DATABASE IF EXISTS `{database}`")
        for host in hosts:
            server.sql(f"DROP USER IF EXISTS '{user}'@'{host}'")


def script_env(setup: Setup, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "OPCMS_DATABASE_URL": database_url,
        "OPCMS_BACKUP_DIR": str(setup.backups),
        "TMPDIR": str(setup.tmp),
        **extra,
    }


def run_watched(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a script while reading every process's arguments; fail if the password shows in any."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen: set[int] = set()
    while process.poll() is None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                seen.add(int(entry.name))
                assert PASSWORD.encode() not in cmdline, f"password in the arguments of {cmdline!r}"
                assert quote(PASSWORD, safe="").encode() not in cmdline, cmdline
    output = process.stdout.read().decode() if process.stdout else ""
    assert PASSWORD not in output and quote(PASSWORD, safe="") not in output, output
    assert len(seen) > 1
    return process.returncode, output


def content(server: Server, database: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of all its rows in primary-key order."""
    tables = [
        row[0]
        for row in server.sql(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{database}' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    result = {}
    for table in tables:
        keys = [
            row[0]
            for row in server.sql(
                f"SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = '{database}' "
                f"AND table_name = '{table}' AND constraint_name = 'PRIMARY' ORDER BY ordinal_position"
            )
        ]
        order = ", ".join(f"`{key}`" for key in keys) or "1"
        rows = server.sql(f"SELECT * FROM `{table}` ORDER BY {order}", database)
        digest = hashlib.sha256("\n".join("\t".join(row) for row in rows).encode()).hexdigest()
        result[table] = (len(rows), digest)
    return result


def seed(setup: Setup) -> None:
    env = {
        **os.environ,
        "OPCMS_DATABASE_URL": setup.url(setup.source),
        "OPCMS_VAR_DIR": str(setup.tmp / "var"),
    }
    for args in (["migrate"], ["seed-demo", "--customers", "20"]):
        done = subprocess.run([sys.executable, "-m", "opcms", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    server, db = setup.server, setup.source
    # a soft-deleted customer, and text and money that survive only with the right charset and types
    server.sql(
        "UPDATE customer SET is_deleted = 1, deleted_at = '2026-01-02 03:04:05.123456', "
        "deleted_by = 'backup-test' ORDER BY id LIMIT 1",
        db,
    )
    server.sql(
        "UPDATE customer SET remark = '备份 😀 ''quoted'' \\\\ back\\tslash', "
        "credit_limit = '9999999999999999.99' WHERE is_deleted = 0 ORDER BY id LIMIT 1",
        db,
    )


def test_a_backup_restores_into_another_database_with_every_row(setup: Setup):
    # given a migrated database with demo customers, invoices, payments and audit rows
    seed(setup)
    source = content(setup.server, setup.source)
    for table in ("customer", "invoice", "invoice_line", "payment", "allocation", "audit_log"):
        assert source[table][0] > 0, f"the seed made no {table} rows"
    assert setup.server.sql("SELECT COUNT(*) FROM customer WHERE is_deleted = 1", setup.source) == [["1"]]

    # when it is backed up by a user with a password
    code, output = run_watched([str(BACKUP)], script_env(setup, setup.url(setup.source)))
    # then one complete gzipped dump is there, under its final name only
    assert code == 0, output
    files = sorted(setup.backups.iterdir())
    assert [f.name for f in files] == [f.name for f in files if f.name.startswith(f"opcms-{setup.source}-")]
    assert len(files) == 1 and files[0].name.endswith(".sql.gz")
    assert f"backup: {files[0]} ({files[0].stat().st_size} bytes)" in output
    assert files[0].stat().st_mode & 0o077 == 0
    assert list(setup.tmp.glob("opcms-backup.*")) == []  # the option file is gone

    # when it is restored into a database that does not exist yet
    code, output = run_watched(
        [str(RESTORE), str(files[0])], script_env(setup, "", OPCMS_RESTORE_URL=setup.url(setup.target))
    )
    # then every table has the same rows, byte for byte
    assert code == 0, output
    assert f"database {setup.target}" in output and f"{len(source)} tables" in output
    restored = content(setup.server, setup.target)
    assert restored == source
    assert setup.server.sql(
        "SELECT remark, credit_limit FROM customer WHERE remark LIKE '备份%'", setup.target
    ) == [["备份 😀 'quoted' \\\\ back\\tslash", "9999999999999999.99"]]

    # when restoring again over the now non-empty database, it is refused and nothing changes
    setup.server.sql("DELETE FROM audit_log ORDER BY id LIMIT 1", setup.target)
    changed = content(setup.server, setup.target)
    code, output = run_watched(
        [str(RESTORE), str(files[0])], script_env(setup, "", OPCMS_RESTORE_URL=setup.url(setup.target))
    )
    assert code != 0 and "refusing" in output, output
    assert content(setup.server, setup.target) == changed
    # and with --force the target is exactly the backup again
    code, output = run_watched(
        [str(RESTORE), "--force", str(files[0])],
        script_env(setup, "", OPCMS_RESTORE_URL=setup.url(setup.target)),
    )
    assert code == 0, output
    assert content(setup.server, setup.target) == source


def test_backups_rotate_and_a_failed_backup_leaves_nothing(setup: Setup):
    setup.server.sql("CREATE TABLE t (id INT PRIMARY KEY, amount DECIMAL(18,2))", setup.source)
    setup.server.sql("INSERT INTO t VALUES (1, '12.30')", setup.source)
    env = script_env(setup, setup.url(setup.source), OPCMS_BACKUP_KEEP="2")
    # given another database's backup in the same directory, which rotation must not touch
    setup.backups.mkdir()
    other = setup.backups / "opcms-other-20200101T000000Z.sql.gz"
    other.write_bytes(b"")
    # when three backups are made with OPCMS_BACKUP_KEEP=2
    names = []
    for _ in range(3):
        code, output = run_watched([str(BACKUP)], env)
        assert code == 0, output
        names.append(output.strip().splitlines()[-1].split(" ")[1])
        time.sleep(1)  # one backup per second: names carry the second
    # then the two newest remain, and the other database's is untouched
    left = sorted(str(p) for p in setup.backups.iterdir() if p != other)
    assert left == names[1:]
    assert other.exists()

    # when the password is wrong, the backup fails and leaves no file, half or whole
    wrong = setup.url(setup.source).replace(quote(PASSWORD, safe=""), "wrong")
    code, output = run_watched([str(BACKUP)], script_env(setup, wrong))
    assert code != 0 and "failed" in output, output
    assert sorted(str(p) for p in setup.backups.iterdir() if p != other) == names[1:]
