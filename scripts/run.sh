#!/usr/bin/env bash
# Quick start: installs what is missing, builds in release mode, starts a redis-server on
# loopback (data/redis/), loads fixtures/ into tenant "demo", prints a token and three curl
# calls, then runs `almanac serve` in the foreground (Ctrl-C stops it and the redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${ALMANAC_DATA:-data}"
PORT="${ALMANAC_PORT:-8080}"
REDIS_PORT="${ALMANAC_REDIS_PORT:-6379}"

scripts/install-deps.sh
echo "building (release)..." >&2
swift build -c release --product almanac >&2
BIN="$(swift build -c release --show-bin-path)/almanac"

mkdir -p "$DATA/redis"
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$PWD/$DATA/redis" --pidfile "$PWD/$DATA/redis/redis.pid" --logfile "$PWD/$DATA/redis/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  STARTED_REDIS=1
fi
stop_redis() {
  if [ "${STARTED_REDIS:-0}" = 1 ] && [ -f "$DATA/redis/redis.pid" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$DATA/redis/redis.pid")" 2>/dev/null || true
  fi
}
trap stop_redis EXIT

if [ ! -f "$DATA/demo-client.json" ]; then
  echo "loading fixtures into tenant 'demo'..." >&2
  "$BIN" import products fixtures/products_2k.ndjson --tenant demo --data "$DATA" >/dev/null
  for f in fixtures/events_*.ndjson; do
    [ -f "$f" ] && "$BIN" import events "$f" --tenant demo --data "$DATA" >/dev/null
  done
  "$BIN" client create --data "$DATA" --tenant demo --name demo \
    --scopes "catalogue:read catalogue:write events:read events:write admin" > "$DATA/demo-client.json"
fi
CLIENT_ID=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_id'])" "$DATA/demo-client.json")
CLIENT_SECRET=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['client_secret'])" "$DATA/demo-client.json")

"$BIN" serve --data "$DATA" --port "$PORT" --redis "redis://127.0.0.1:$REDIS_PORT" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; stop_redis' EXIT INT TERM
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.1; done

TOKEN=$(curl -sf "http://127.0.0.1:$PORT/v1/auth/token" -d grant_type=client_credentials \
  -d client_id="$CLIENT_ID" -d client_secret="$CLIENT_SECRET" | python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])")

# A week of (synthetic) search history for the console's analytics page, once per data directory.
if [ ! -f "$DATA/demo-searches.done" ]; then
  python3 scripts/demo_searches.py "http://127.0.0.1:$PORT" "$TOKEN" && touch "$DATA/demo-searches.done"
fi

cat <<TXT

Almanac is running on http://127.0.0.1:$PORT (tenant "demo", data in $DATA/).
Client credentials: $DATA/demo-client.json. A token valid for 15 minutes:

export TOKEN=$TOKEN

The console: http://127.0.0.1:$PORT/console
  client id:     $CLIENT_ID
  client secret: $CLIENT_SECRET

Try:
  curl -s "http://127.0.0.1:$PORT/v1/products/search?q=openssl+library&facets=brand,category&limit=3" -H "Authorization: Bearer \$TOKEN"
  curl -s "http://127.0.0.1:$PORT/v1/products/search?q=pyhton&filter=price+%3C+5000&highlight=true&limit=3" -H "Authorization: Bearer \$TOKEN"
  curl -s -X PUT "http://127.0.0.1:$PORT/v1/products/kettle-1?wait=true" -H "Authorization: Bearer \$TOKEN" \\
       -H 'Content-Type: application/json' -d '{"title":"Electric kettle","price":2999,"currency":"EUR"}'

Press Ctrl-C to stop.
TXT
wait $SERVER
