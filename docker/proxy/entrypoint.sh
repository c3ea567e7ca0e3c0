#!/bin/sh
# polyfleet-proxy: NGINX basic auth in front of Polynote.
#
# ECS injects PROXY_USERNAME and PROXY_PASSWORD from the environment's
# Secrets Manager secret. This script hashes the password with bcrypt into an
# htpasswd file (the password never touches the config or the command line),
# renders the config from its template with envsubst, and execs nginx in the
# foreground. Without credentials it exits at once: it never serves without auth.
set -eu

fail() {
	echo "polyfleet-proxy: $*" >&2
	exit 64
}

[ -n "${PROXY_USERNAME:-}" ] || fail "PROXY_USERNAME is missing or empty; refusing to start without basic auth"
[ -n "${PROXY_PASSWORD:-}" ] || fail "PROXY_PASSWORD is missing or empty; refusing to start without basic auth"
case "$PROXY_USERNAME" in
*:* | *"
"*) fail "PROXY_USERNAME must not contain ':' or a newline" ;;
esac
case "$PROXY_PASSWORD" in
*"
"*) fail "PROXY_PASSWORD must not contain a newline" ;;
esac

# Where the image keeps things; tests point these at a temporary directory.
: "${PROXY_TEMPLATE:=/etc/polyfleet/nginx.conf.template}"
: "${PROXY_RUNTIME_DIR:=/run/polyfleet}"
: "${PROXY_PORT:=8080}"
: "${PROXY_UPSTREAM:=127.0.0.1:8192}"
: "${PROXY_NGINX:=nginx}"
export PROXY_RUNTIME_DIR PROXY_PORT PROXY_UPSTREAM

mkdir -p "$PROXY_RUNTIME_DIR"
umask 077
htpasswd_file="$PROXY_RUNTIME_DIR/htpasswd"
# -i reads the password from standard input, so it is never an argument that
# ps could show; -B is bcrypt.
printf '%s' "$PROXY_PASSWORD" | htpasswd -niB -C 10 "$PROXY_USERNAME" >"$htpasswd_file.new" ||
	fail "could not hash the password"
mv "$htpasswd_file.new" "$htpasswd_file"
unset PROXY_PASSWORD

# Started as root (the tests run so), nginx runs its workers as another user,
# which must be able to read the htpasswd file.
PROXY_USER_DIRECTIVE=""
if [ "$(id -u)" = 0 ]; then
	worker="${PROXY_WORKER_USER:-nginx}"
	PROXY_USER_DIRECTIVE="user $worker $(id -gn "$worker");"
	chown "$worker" "$htpasswd_file"
fi
export PROXY_USER_DIRECTIVE

# Only our variables are substituted: nginx's own $variables stay as they are.
# shellcheck disable=SC2016
envsubst '${PROXY_RUNTIME_DIR} ${PROXY_PORT} ${PROXY_UPSTREAM} ${PROXY_USER_DIRECTIVE}' \
	<"$PROXY_TEMPLATE" >"$PROXY_RUNTIME_DIR/nginx.conf"
"$PROXY_NGINX" -t -q -e stderr -p "$PROXY_RUNTIME_DIR" -c "$PROXY_RUNTIME_DIR/nginx.conf" ||
	fail "the rendered nginx config is invalid"
exec "$PROXY_NGINX" -e stderr -p "$PROXY_RUNTIME_DIR" -c "$PROXY_RUNTIME_DIR/nginx.conf" -g 'daemon off;'
