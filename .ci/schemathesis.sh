#!/usr/bin/env bash
# Fuzz the API against its own OpenAPI schema: every operation, as each kind of caller.
#
# On the embedded default (SQLite in a temporary directory, DEBUG=true, tasks in-process): migrate,
# seed the demo, create one API key per role below with the operator command, start the app
# (gunicorn, one process) on a free port, then run schemathesis over /api/schema/ once per key.
# Fails on a 5xx, an undocumented status code, a body, content type or header that contradicts
# the schema. Deterministic (fixed seed), bounded (FUZZ_EXAMPLES per operation and phase), no input.
#
#   .ci/schemathesis.sh            (or: make fuzz)
#   FUZZ_EXAMPLES=50 FUZZ_ROLES=admin .ci/schemathesis.sh      a deeper run, one role
#   FUZZ_ARGS="--include-path-regex /plans/" .ci/schemathesis.sh    more schemathesis options
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
EXAMPLES=${FUZZ_EXAMPLES:-5}
SEED=${FUZZ_SEED:-20260101}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
# Who calls, and which operations (a path regex; empty: all of them). The program admin reaches
# every staff operation but the few that belong to finance (money, closing quarters) and to the
# executive (signing plans off); the partner admin reaches the portal side of them all.
RUNS=(
  "admin|"
  "partner_admin|"
  "finance|/(mdf-claims|rebate-statements)/\{id\}/(approve|pay|reject)/|/rebate-programs/\{id\}/close/|/fiscal-quarters/"
  "executive|/plans/\{id\}/sign-off/"
)
export PRM_FUZZ_TENANT=acme

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The embedded default, in the temporary directory: nothing of the developer's own data is touched.
unset DATABASE_URL DATABASE_OWNER_URL REDIS_URL
export DEBUG=true DATABASE_URL="sqlite:///$work/fuzz.sqlite3" MEDIA_ROOT="$work/media" LOG_LEVEL=WARNING

echo "== Demo data ($work)"
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo >/dev/null 2>&1

partner_id=$($PY manage.py shell -v 0 -c "
from prm.models import Membership, Tenant
from prm.tenancy import tenant_context
with tenant_context(Tenant.objects.get(slug='$PRM_FUZZ_TENANT')):
    print(Membership.objects.filter(role='partner_admin').order_by('pk').first().partner_id)
")
declare -A keys
ROLES=${FUZZ_ROLES:-$(printf '%s\n' "${RUNS[@]}" | cut -d'|' -f1 | tr '\n' ' ')}
for role in $ROLES; do
  partner=()
  [[ $role == partner_* ]] && partner=(--partner "$partner_id")
  keys[$role]=$($PY manage.py create_api_key --tenant "$PRM_FUZZ_TENANT" --role "$role" \
    "${partner[@]}" --name "schemathesis ($role)" 2>/dev/null)
done

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
echo "== App at $base"
# One worker, one thread: SQLite takes one writer at a time, and answers stay reproducible. No
# request-line limit: gunicorn's own (4 KB, an HTML 414) belongs to the server in front, not the API.
# No control socket: its default path is shared by every gunicorn of the user (CI, a `make run`).
.venv/bin/gunicorn prm.wsgi --bind "127.0.0.1:$port" --workers 1 --threads 1 --timeout 60 \
  --limit-request-line 0 --no-control-socket \
  --access-logfile /dev/null --error-logfile "$work/server.log" &
server_pid=$!  # schemathesis waits for it (--wait-for-schema)

status=0
for run in "${RUNS[@]}"; do
  role=${run%%|*} paths=${run#*|}
  [[ " $ROLES " == *" $role "* ]] || continue
  only=()
  [[ -n $paths ]] && only=(--include-path-regex "$paths")
  echo "== schemathesis as the $role key (${paths:-all operations}; $EXAMPLES examples, seed $SEED)"
  .venv/bin/schemathesis --config-file .ci/schemathesis.toml run "$base/api/schema/" \
    --url "$base" \
    --header "Authorization: Bearer ${keys[$role]}" \
    --checks "$CHECKS" \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --generation-database none \
    --no-color \
    --wait-for-schema 30 \
    "${only[@]}" ${FUZZ_ARGS:-} </dev/null || status=1
done
if ((status)); then
  echo "== Server log (last lines)"
  tail -n 50 "$work/server.log" || true
fi
exit $status
