#!/usr/bin/env bash
# Demo: start redis-server with the RedisAI-compatible module on a free loopback port, store a tensor,
# read it back, print it, and stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."
module="$PWD/target/release/libsmartredis_ai.so"
[ -f "$module" ] || { echo "module not built: $module (run make build)" >&2; exit 1; }

port=""
for p in $(seq 26379 26979); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free loopback port found" >&2; exit 1; }
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
  --logfile "$dir/redis.log" --daemonize no --loadmodule "$module" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 500); do
  redis-cli -p "$port" PING >/dev/null 2>&1 && break
  sleep 0.01
done
cli() { redis-cli -p "$port" "$@"; }
echo "redis-server (pid $pid) on 127.0.0.1:$port with module: $(cli MODULE LIST | tr '\n' ' ')"
echo "> AI.TENSORSET demo FLOAT 2 3 VALUES 1 2 3 4 5 6"
cli AI.TENSORSET demo FLOAT 2 3 VALUES 1 2 3 4 5 6
echo "> AI.TENSORGET demo META VALUES"
cli AI.TENSORGET demo META VALUES
