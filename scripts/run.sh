#!/usr/bin/env bash
# `make run`: the whole suite on this machine — RabbitMQ from the machine, SQLite
# files under var/ — in one process group; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
scripts/ensure-infra.sh
mkdir -p var
$UV run doudi-rabbit apply --definitions deploy/rabbitmq/definitions.json
for svc in eligibility institutions funding services-log; do
  $UV run doudi-service migrate "$svc" >/dev/null
done
# the gateway's database, the first administrator, the demonstration townships
# and villages, and the staff portal's build
$UV run doudi-gateway-admin ensure-admin --password-file var/admin-password.txt
$UV run doudi-gateway-admin seed-divisions
scripts/build-portal.sh
echo
echo "doudi: staff portal on http://127.0.0.1:${DOUDI_GATEWAY_PORT:-8000}/  (log in as admin; password in var/admin-password.txt)"
echo "doudi: gateway API docs: /api/v1/docs, readiness: /readyz"
echo "doudi: Ctrl-C stops the suite"
echo
export DOUDI_LOG_FORMAT=${DOUDI_LOG_FORMAT:-console}
PROCFILE=Procfile
if [[ -n "${SIMULATE:-}" && "${SIMULATE}" != "0" ]]; then
  # department simulators as one more process (SIMULATE_RATE/_SEED/_BAD_SHARE/_JURISDICTION)
  PROCFILE=var/Procfile.simulate
  cp Procfile "$PROCFILE"
  echo "simulate: doudi-dept simulate all --listen --count 0 --rate ${SIMULATE_RATE:-2}" \
    "--seed ${SIMULATE_SEED:-1} --bad-share ${SIMULATE_BAD_SHARE:-0.02}" \
    "--jurisdiction ${SIMULATE_JURISDICTION:-341502}" >> "$PROCFILE"
  echo "doudi: department simulators on (see departments/README.md)"
fi
exec $UV run honcho --no-colour start -f "$PROCFILE" -d .
