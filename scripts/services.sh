#!/usr/bin/env bash
# Local test services for Mailroom: RabbitMQ and Redis on 127.0.0.1, without systemd, and the
# Python clients (pika, boto3, redis-py, protobuf, the Azure SDK's v12 queue client) the interop tests run
# against them.
#
#   scripts/services.sh [start|stop|status]     (default: start)
#
# start   installs rabbitmq-server, redis-server, python3-pika, python3-boto3, python3-redis,
#         python3-protobuf, python3-azure-multiapi-storage (azure.multiapi.storagev2.queue) and
#         chromium (for the dashboard's browser test) from the Debian archive when missing (the
#         Python modules for the system interpreter /usr/bin/python3, which the interop tests
#         run — see MAILROOM_PYTHON below),
#         starts RabbitMQ and Redis as background daemons bound to loopback, waits until
#         each answers, and prints where they are. Safe to run any number of times.
# stop    stops both (what this script started, by pid file / rabbitmqctl).
# status  says whether each answers; exit code 0 only when both do.
#
# Environment (all optional):
#   RABBITMQ_PORT=5672  RABBITMQ_MANAGEMENT=1 (enable the management UI on 15672, default off)
#   REDIS_PORT=6379     MAILROOM_SERVICES_DIR=/var/lib/mailroom-services (Redis data, pid, logs)
# Tests find the services through MAILROOM_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672)
# and MAILROOM_REDIS_URL (default redis://127.0.0.1:6379); the interop tests run Python scripts
# with MAILROOM_PYTHON (default /usr/bin/python3, else python3 on PATH).
set -euo pipefail

RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
REDIS_PORT="${REDIS_PORT:-6379}"
STATE_DIR="${MAILROOM_SERVICES_DIR:-/var/lib/mailroom-services}"
RABBIT_ENV_FILE=/etc/rabbitmq/rabbitmq-env.conf
RABBIT_CONF_FILE=/etc/rabbitmq/rabbitmq.conf
# Debian's python3-* packages install for the system interpreter, not for one a version manager
# (pyenv, asdf) may have put first on PATH.
SYSTEM_PYTHON=/usr/bin/python3

# rabbit@localhost avoids depending on the container's hostname resolving.
export RABBITMQ_NODENAME=rabbit@localhost
export ERL_EPMD_ADDRESS=127.0.0.1

log() { printf 'services: %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
python_has() { [ -x "$SYSTEM_PYTHON" ] && "$SYSTEM_PYTHON" -c "import $1" >/dev/null 2>&1; }

install_missing() {
	local missing=()
	command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
	command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
	python_has pika || missing+=(python3-pika)
	python_has boto3 || missing+=(python3-boto3)
	python_has redis || missing+=(python3-redis)
	python_has google.protobuf || missing+=(python3-protobuf)
	python_has azure.multiapi.storagev2.queue || missing+=(python3-azure-multiapi-storage)
	command -v chromium >/dev/null 2>&1 || missing+=(chromium)
	[ "${#missing[@]}" = 0 ] && return 0
	log "installing ${missing[*]} (apt-get)"
	# policy-rc.d 101 keeps the packages' maintainer scripts from trying to start services
	# through an init system that is not there; we start them ourselves below.
	local policy=/usr/sbin/policy-rc.d created_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee "$policy" >/dev/null
		sudo_if_needed chmod +x "$policy"
		created_policy=1
	fi
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	[ "$created_policy" = 1 ] && sudo_if_needed rm -f "$policy"
	return 0
}

configure_rabbitmq() {
	sudo_if_needed mkdir -p /etc/rabbitmq
	local env_content conf_content
	env_content="NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=${RABBITMQ_PORT}
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"
"
	conf_content="# written by mailroom scripts/services.sh
listeners.tcp.default = 127.0.0.1:${RABBITMQ_PORT}
management.tcp.ip = 127.0.0.1
loopback_users.guest = true
"
	# Rewrite only when different so a second run changes nothing.
	if [ "$(cat "$RABBIT_ENV_FILE" 2>/dev/null)" != "$(printf '%s' "$env_content")" ]; then
		printf '%s' "$env_content" | sudo_if_needed tee "$RABBIT_ENV_FILE" >/dev/null
	fi
	if [ "$(cat "$RABBIT_CONF_FILE" 2>/dev/null)" != "$(printf '%s' "$conf_content")" ]; then
		printf '%s' "$conf_content" | sudo_if_needed tee "$RABBIT_CONF_FILE" >/dev/null
	fi
}

rabbit_up() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

wait_for() { # wait_for <seconds> <what> <command...>
	local seconds=$1 what=$2
	shift 2
	local deadline=$((SECONDS + seconds))
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "$what did not answer within ${seconds}s"
			return 1
		fi
		sleep 0.5
	done
}

start_rabbitmq() {
	configure_rabbitmq
	if rabbit_up; then
		# The node may be up with the app stopped (rabbitmqctl stop_app); bring the app back.
		if ! rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1; then
			rabbitmqctl -q start_app >/dev/null
		fi
	else
		log "starting rabbitmq-server"
		rabbitmq-server -detached >/dev/null 2>&1 || true
		wait_for 90 "rabbitmq node" rabbit_up
	fi
	rabbitmqctl -q await_startup --timeout 90 >/dev/null
	if [ "${RABBITMQ_MANAGEMENT:-0}" = 1 ]; then
		rabbitmq-plugins -q enable rabbitmq_management >/dev/null
	fi
	wait_for 30 "rabbitmq on 127.0.0.1:${RABBITMQ_PORT}" \
		bash -c "exec 3<>/dev/tcp/127.0.0.1/${RABBITMQ_PORT}" 2>/dev/null
}

start_redis() {
	if redis_up; then return 0; fi
	log "starting redis-server"
	sudo_if_needed mkdir -p "$STATE_DIR"
	redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
		--dir "$STATE_DIR" --pidfile "$STATE_DIR/redis-${REDIS_PORT}.pid" \
		--logfile "$STATE_DIR/redis-${REDIS_PORT}.log" --save "" --appendonly no >/dev/null
	wait_for 30 "redis on 127.0.0.1:${REDIS_PORT}" redis_up
}

print_where() {
	echo "MAILROOM_AMQP_URL=amqp://guest:guest@127.0.0.1:${RABBITMQ_PORT}"
	echo "MAILROOM_REDIS_URL=redis://127.0.0.1:${REDIS_PORT}"
	echo "MAILROOM_PYTHON=${SYSTEM_PYTHON}"
	if [ "${RABBITMQ_MANAGEMENT:-0}" = 1 ]; then
		echo "RabbitMQ management: http://127.0.0.1:15672 (guest/guest)"
	fi
}

cmd_start() {
	install_missing
	start_rabbitmq
	start_redis
	log "rabbitmq and redis are up; pika, boto3, redis, google.protobuf and azure.multiapi.storagev2.queue import in ${SYSTEM_PYTHON}"
	print_where
}

cmd_stop() {
	if command -v redis-cli >/dev/null 2>&1 && redis_up; then
		redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
		log "redis stopped"
	fi
	if command -v rabbitmqctl >/dev/null 2>&1 && rabbit_up; then
		rabbitmqctl -q shutdown >/dev/null 2>&1 || rabbitmqctl -q stop >/dev/null 2>&1 || true
		log "rabbitmq stopped"
	fi
}

cmd_status() {
	local ok=0
	if command -v rabbitmqctl >/dev/null 2>&1 && rabbit_up &&
		rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1; then
		echo "rabbitmq: up on 127.0.0.1:${RABBITMQ_PORT}"
	else
		echo "rabbitmq: down"
		ok=1
	fi
	if command -v redis-cli >/dev/null 2>&1 && redis_up; then
		echo "redis: up on 127.0.0.1:${REDIS_PORT}"
	else
		echo "redis: down"
		ok=1
	fi
	return "$ok"
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 2
	;;
esac
