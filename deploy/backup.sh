#!/usr/bin/env bash
# Back up the OP-CMS MySQL/MariaDB database to a gzipped dump, and rotate old ones.
# See deploy/README.md, "Backups". `deploy/backup.sh --help` for usage.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/backup.sh [--help]

Dumps the database named in OPCMS_DATABASE_URL (mysql://USER:PASSWORD@HOST:PORT/DB) with
mysqldump --single-transaction (a consistent snapshot while the app runs), gzipped, to
  ${OPCMS_BACKUP_DIR:-var/backups}/opcms-<DB>-<UTC yyyymmddThhmmssZ>.sql.gz
then keeps the newest ${OPCMS_BACKUP_KEEP:-14} backups of that database and deletes older ones.

The password goes to mysqldump in a temporary option file (mode 600), never on a command line,
and is never printed. The dump is written under a temporary name and renamed only after
`gzip -t` passes and it ends with mysqldump's "-- Dump completed" line.

Prints the backup's path and size. Exits non-zero on any failure.
USAGE
}

die() { echo "backup: error: $*" >&2; exit 1; }

# the database URL read into a client option file (write_defaults), shared with the other script
# shellcheck source=deploy/db-url.sh
. "$(dirname "${BASH_SOURCE[0]}")/db-url.sh"

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

[[ -n "${OPCMS_DATABASE_URL:-}" ]] || die "OPCMS_DATABASE_URL is not set"
dump_bin=$(command -v mysqldump || command -v mariadb-dump || true)
[[ -n "$dump_bin" ]] || die "mysqldump (or mariadb-dump) is not installed"

umask 077
workdir=$(mktemp -d "${TMPDIR:-/tmp}/opcms-backup.XXXXXX")
partial=""
cleanup() {
    rm -rf "$workdir"
    if [[ -n "$partial" ]]; then rm -f "$partial"; fi
}
trap cleanup EXIT

defaults="$workdir/client.cnf"
target=$(write_defaults "$OPCMS_DATABASE_URL" "$defaults")
db=${target% *}

backup_dir=${OPCMS_BACKUP_DIR:-var/backups}
keep=${OPCMS_BACKUP_KEEP:-14}
[[ "$keep" =~ ^[0-9]+$ && "$keep" -ge 1 ]] || die "OPCMS_BACKUP_KEEP must be a whole number >= 1"
mkdir -p "$backup_dir"

options=(--single-transaction --quick --routines --triggers --events --hex-blob
    --no-tablespaces --default-character-set=utf8mb4)
help_text=$("$dump_bin" --help 2>/dev/null || true)
if [[ "$help_text" == *--set-gtid-purged* ]]; then
    options+=(--set-gtid-purged=OFF)  # MySQL's mysqldump; MariaDB's has no such option
fi

# One backup per second at most: a name already taken waits for the next second.
for _ in 1 2 3; do
    final="$backup_dir/opcms-$db-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
    [[ -e "$final" ]] || break
    sleep 1
done
[[ ! -e "$final" ]] || die "$final exists already"
partial="$backup_dir/.$(basename "$final").partial"

"$dump_bin" --defaults-extra-file="$defaults" "${options[@]}" -- "$db" | gzip -6 >"$partial" \
    || die "mysqldump of database $db failed (nothing kept)"
gzip -t "$partial" || die "the gzip file does not check (nothing kept)"
last_line=$(gzip -dc "$partial" | tail -n 1)
[[ "$last_line" == "-- Dump completed"* ]] || die "the dump is incomplete: no '-- Dump completed' line (nothing kept)"
mv -f "$partial" "$final"
partial=""

# Rotation: the names sort by time; keep the newest $keep of this database.
shopt -s nullglob
backups=("$backup_dir/opcms-$db-"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.sql.gz)
shopt -u nullglob
count=${#backups[@]}
if ((count > keep)); then
    for old in "${backups[@]:0:count-keep}"; do
        rm -f -- "$old"
        echo "backup: removed old backup $old"
    done
fi

size=$(stat -c %s "$final")
echo "backup: $final ($size bytes)"
