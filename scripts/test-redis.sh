#!/usr/bin/env bash
# A private redis-server for the tests, on a free loopback port, without persistence.
#
#   eval "$(scripts/test-redis.sh start)"   # prints ALMANAC_TEST_REDIS_URL=redis://127.0.0.1:PORT
#   export ALMANAC_TEST_REDIS_URL
#   scripts/test-redis.sh stop
#
# Its directory, pid file, port file and log live in ${ALMANAC_TEST_TMP:-/tmp/almanac-test}/redis/.
# `start` while that server is running prints its URL again. Only the URL goes to stdout;
# everything else goes to stderr.
set -euo pipefail

dir="${ALMANAC_TEST_TMP:-/tmp/almanac-test}/redis"
pidfile="$dir/redis.pid"
portfile="$dir/port"
logfile="$dir/redis.log"

log() { echo "test-redis: $*" >&2; }

# Alive and not a zombie waiting for its parent (or init) to reap it.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    local state
    state="$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != Z ] || return 1
  fi
}

# The pid from the pid file, if that process is alive and is a redis-server.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  if [ -r "/proc/$pid/comm" ] && ! grep -q '^redis-server' "/proc/$pid/comm"; then
    return 1 # the pid was reused by something else
  fi
  echo "$pid"
}

answers_ping() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null || true)" = "PONG" ]
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  # No python3: probe random high ports until one refuses a connection.
  local port
  for _ in $(seq 1 100); do
    port=$((40000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  log "no free port found"
  return 1
}

start() {
  command -v redis-server >/dev/null || { log "redis-server is not installed (scripts/install-deps.sh)"; exit 1; }
  command -v redis-cli >/dev/null || { log "redis-cli is not installed (scripts/install-deps.sh)"; exit 1; }

  if running_pid >/dev/null && [ -f "$portfile" ] && answers_ping "$(cat "$portfile")"; then
    log "already running (pid $(running_pid))"
    echo "ALMANAC_TEST_REDIS_URL=redis://127.0.0.1:$(cat "$portfile")"
    return
  fi
  mkdir -p "$dir"
  rm -f "$pidfile" "$portfile"

  # Another process may take the port between choosing and binding it: try a few.
  local port attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if redis-server --port "$port" --bind 127.0.0.1 \
        --save '' --appendonly no --daemonize yes \
        --dir "$dir" --pidfile "$pidfile" --logfile "$logfile" >&2; then
      local i
      for i in $(seq 1 200); do # up to 10 s
        if answers_ping "$port"; then
          echo "$port" >"$portfile"
          log "redis-server $(running_pid || echo '?') on 127.0.0.1:$port, dir $dir"
          echo "ALMANAC_TEST_REDIS_URL=redis://127.0.0.1:$port"
          return
        fi
        # Give up early if it died (e.g. the port was taken after all).
        if [ "$i" -gt 10 ] && ! running_pid >/dev/null; then break; fi
        sleep 0.05
      done
    fi
    log "attempt $attempt on port $port failed; see $logfile"
    stop_server quiet
  done
  log "could not start redis-server"
  exit 1
}

stop_server() {
  local pid
  if ! pid="$(running_pid)"; then
    [ "${1:-}" = quiet ] || log "not running"
    rm -f "$pidfile" "$portfile"
    return 0
  fi
  # SHUTDOWN over a connection works even when SIGTERM is blocked in a signal mask the
  # server inherited; SIGTERM next, SIGKILL last.
  if [ -f "$portfile" ]; then
    redis-cli -h 127.0.0.1 -p "$(cat "$portfile")" shutdown nosave >/dev/null 2>&1 || true
  fi
  local i
  for i in $(seq 1 20); do # up to 1 s
    alive "$pid" || break
    sleep 0.05
  done
  alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do # up to 5 s
    alive "$pid" || break
    sleep 0.05
  done
  if alive "$pid"; then
    log "redis-server $pid ignored SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.05
    done
  fi
  rm -f "$pidfile" "$portfile"
  [ "${1:-}" = quiet ] || log "stopped redis-server $pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop_server ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
