#!/bin/sh
# Starts redis-server with a password: REDIS_PASSWORD (or the file named by
# REDIS_PASSWORD_FILE) is written to a config file in /tmp, never on the
# command line where `ps` would show it. Arguments go to redis-server.
set -eu
if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
    REDIS_PASSWORD=$(cat "$REDIS_PASSWORD_FILE")
fi
password=${REDIS_PASSWORD:-}
if [ "${#password}" -lt 32 ]; then
    echo "redis-entrypoint: REDIS_PASSWORD must be set, at least 32 characters (openssl rand -hex 32)" >&2
    exit 2
fi
case $password in
*[!A-Za-z0-9._~-]*)
    echo "redis-entrypoint: REDIS_PASSWORD may hold only letters, digits and . _ ~ - (it goes into a redis:// URL)" >&2
    exit 2
    ;;
esac
umask 077
conf=$(mktemp /tmp/redis.XXXXXX.conf)
printf 'requirepass "%s"\n' "$password" >"$conf"
unset REDIS_PASSWORD password
exec redis-server "$conf" "$@"
