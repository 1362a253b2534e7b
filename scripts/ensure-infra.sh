#!/usr/bin/env bash
# Make sure RabbitMQ (with its management API) — and, with --postgres, PostgreSQL, with
# --redis, Redis —
# answer on localhost; with --chromium, that Debian's Chromium is installed (the
# portal's browser tests drive it; no tool ever downloads a browser of its own). Starts locally installed servers that are stopped; otherwise
# stops with a message saying how to get one. Used by `make run`, `make test`, .ci/run.
set -euo pipefail

want_pg=0
want_redis=0
want_chromium=0
for arg in "$@"; do
  case "$arg" in
    --postgres) want_pg=1 ;;
    --redis) want_redis=1 ;;
    --chromium) want_chromium=1 ;;
  esac
done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds
  for _ in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 1; done
  return 1
}

if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "ensure-infra: starting the local RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached || true
    wait_port 5672 90 || { echo "ensure-infra: RabbitMQ did not come up on :5672" >&2; exit 1; }
  else
    cat >&2 <<'MSG'
ensure-infra: RabbitMQ is not reachable on 127.0.0.1:5672 and is not installed here.
  Debian/Ubuntu:  apt-get install rabbitmq-server && rabbitmq-server -detached
  or point DOUDI_AMQP_URI at a RabbitMQ you have (and DOUDI_RABBIT_API at its management API).
MSG
    exit 1
  fi
fi

if ! port_open 15672; then
  if command -v rabbitmq-plugins >/dev/null 2>&1; then
    echo "ensure-infra: enabling the RabbitMQ management plugin"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
    wait_port 15672 60 || { echo "ensure-infra: management API did not come up on :15672" >&2; exit 1; }
  else
    echo "ensure-infra: the RabbitMQ management API (:15672) is needed: rabbitmq-plugins enable rabbitmq_management" >&2
    exit 1
  fi
fi

# RabbitMQ's own metrics (queue depths) on :15692, which the alert rules use
# and tests/test_monitoring.py scrapes
if ! port_open 15692 && command -v rabbitmq-plugins >/dev/null 2>&1; then
  echo "ensure-infra: enabling the RabbitMQ prometheus plugin"
  rabbitmq-plugins enable rabbitmq_prometheus >/dev/null
  wait_port 15692 60 || echo "ensure-infra: the prometheus plugin did not come up on :15692" >&2
fi

if [[ $want_pg == 1 ]] && ! port_open 5432; then
  if [[ -d /etc/postgresql ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure-infra: starting the local PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    wait_port 5432 60 || { echo "ensure-infra: PostgreSQL did not come up on :5432" >&2; exit 1; }
  else
    echo "ensure-infra: PostgreSQL is not reachable on 127.0.0.1:5432 (apt-get install postgresql)" >&2
    exit 1
  fi
fi

# Redis: the gateway's shared login rate limit (DOUDI_RATE_LIMIT_STORAGE) in the tests
if [[ $want_redis == 1 ]] && ! port_open 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "ensure-infra: starting the local Redis"
    if [[ -f /etc/redis/redis.conf ]]; then redis-server /etc/redis/redis.conf --daemonize yes >/dev/null || true
    else redis-server --daemonize yes --bind 127.0.0.1 --port 6379 >/dev/null || true; fi
    wait_port 6379 30 || { echo "ensure-infra: Redis did not come up on :6379" >&2; exit 1; }
  else
    echo "ensure-infra: Redis is not reachable on 127.0.0.1:6379 (apt-get install redis-server)" >&2
    exit 1
  fi
fi

# Chromium, and a Chinese font so pages and screenshots show characters, not boxes
if [[ $want_chromium == 1 ]] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "ensure-infra: installing Debian's chromium and fonts-wqy-microhei (portal browser tests)"
    apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }
  fi
  command -v chromium >/dev/null 2>&1 || { echo "ensure-infra: chromium is needed for the portal's tests (apt-get install chromium)" >&2; exit 1; }
fi
