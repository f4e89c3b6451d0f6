# Sourced by deploy/backup.sh and deploy/restore.sh (each defines die() first): the database URL
# read into a client option file.
# shellcheck shell=bash

# mysql://USER:PASSWORD@HOST:PORT/DB, percent-decoded, into an option file (mode 600) for the
# client: the password never goes on a command line. Plain bash: runs where python does not.
urldecode() {
    local s=${1//\\/\\\\}
    printf '%b' "${s//%/\\x}"
}
write_defaults() {  # URL FILE -> prints the database name
    local url=$1 file=$2 rest auth hostport user password="" host port db
    [[ "$url" == mysql*://* ]] || die "the database URL is not a mysql:// URL"
    rest=${url#*://}
    rest=${rest%%\?*}
    [[ "$rest" == */* ]] || die "the database URL names no database"
    db=$(urldecode "${rest#*/}")
    rest=${rest%%/*}
    if [[ "$rest" == *@* ]]; then
        auth=${rest%@*}
        hostport=${rest##*@}
    else
        auth=root
        hostport=$rest
    fi
    user=$(urldecode "${auth%%:*}")
    if [[ "$auth" == *:* ]]; then password=$(urldecode "${auth#*:}"); fi
    host=${hostport%:*}
    port=3306
    if [[ "$hostport" == *:* ]]; then port=${hostport##*:}; fi
    [[ "$db" =~ ^[A-Za-z0-9_\$-]{1,64}$ ]] || die "the database URL names no usable database (letters, digits, _ \$ -)"
    [[ "$port" =~ ^[0-9]+$ ]] || die "the database URL has a bad port"
    [[ "$user$password" != *$'\n'* ]] || die "the database URL holds a line break"
    quote() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
    {
        echo "[client]"
        echo "user=$(quote "${user:-root}")"
        if [[ -n "$password" ]]; then echo "password=$(quote "$password")"; fi
        echo "host=$(quote "${host:-127.0.0.1}")"
        echo "port=$port"
    } >"$file"
    chmod 600 "$file"
    printf '%s %s:%s\n' "$db" "${host:-127.0.0.1}" "$port"
}
