#!/usr/bin/env bash
# Restore an OP-CMS backup (made by deploy/backup.sh) into a MySQL/MariaDB database.
# See deploy/README.md, "Backups". `deploy/restore.sh --help` for usage.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/restore.sh [--force] FILE.sql.gz [TARGET_URL]

Restores FILE (a gzipped dump from deploy/backup.sh) into the database named in the target URL
(mysql://USER:PASSWORD@HOST:PORT/DB). The target is, in order: the TARGET_URL argument,
OPCMS_RESTORE_URL, OPCMS_DATABASE_URL. Prefer the environment variables: an argument is
visible to every user of the host in the process list.

The database is created (utf8mb4_unicode_ci) when it does not exist. A target holding tables is
refused unless --force is given; --force drops and recreates it first, so the result is
exactly the backup. Stop the writers (api, worker, beat) before restoring over the live
database, and run `opcms migrate` afterwards to bring an older backup up to the current schema.

Afterwards checks that the database has as many tables as the dump created, and prints a
summary. The password goes to the mysql client in a temporary option file (mode 600), never on
a command line, and is never printed. Exits non-zero on any failure.
USAGE
}

die() { echo "restore: error: $*" >&2; exit 1; }

# the database URL read into a client option file (write_defaults), shared with the other script
# shellcheck source=deploy/db-url.sh
. "$(dirname "${BASH_SOURCE[0]}")/db-url.sh"

force=0
positional=()
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        -f | --force) force=1 ;;
        --) shift; positional+=("$@"); break ;;
        -*) usage >&2; exit 2 ;;
        *) positional+=("$1") ;;
    esac
    shift
done
((${#positional[@]} >= 1 && ${#positional[@]} <= 2)) || { usage >&2; exit 2; }
file=${positional[0]}
target_url=${positional[1]:-${OPCMS_RESTORE_URL:-${OPCMS_DATABASE_URL:-}}}
[[ -n "$target_url" ]] || die "no target: give TARGET_URL, OPCMS_RESTORE_URL or OPCMS_DATABASE_URL"
[[ -f "$file" ]] || die "$file: no such file"
client=$(command -v mysql || command -v mariadb || true)
[[ -n "$client" ]] || die "the mysql (or mariadb) client is not installed"

gzip -t "$file" || die "$file is not a sound gzip file"
[[ "$(gzip -dc "$file" | tail -n 1)" == "-- Dump completed"* ]] \
    || die "$file is not a complete dump (no '-- Dump completed' line)"

umask 077
workdir=$(mktemp -d "${TMPDIR:-/tmp}/opcms-restore.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

defaults="$workdir/client.cnf"
target=$(write_defaults "$target_url" "$defaults")
db=${target% *}
where=${target#* }

sql() { "$client" --defaults-extra-file="$defaults" --batch --skip-column-names "$@"; }
table_count() {
    sql -e "SELECT COUNT(*) FROM information_schema.tables
            WHERE table_schema = '$db' AND table_type = 'BASE TABLE'"
}

existing=$(table_count) || die "cannot connect to $where"
if ((existing > 0)); then
    ((force)) || die "database $db on $where holds $existing tables: refusing to restore over it (--force drops and recreates it)"
    echo "restore: dropping database $db on $where ($existing tables), as --force asks"
    sql -e "DROP DATABASE \`$db\`"
fi
sql -e "CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

started=$(date +%s)
gzip -dc "$file" | sql --default-character-set=utf8mb4 "$db" || die "loading $file into $db failed"
seconds=$(($(date +%s) - started))

expected=$(gzip -dc "$file" | grep -c '^CREATE TABLE' || true)
restored=$(table_count)
((restored == expected)) || die "database $db has $restored tables, the dump creates $expected"
echo "restore: $file -> database $db on $where: $restored tables in ${seconds}s"
