#!/usr/bin/env bash
# `npm run deploy:iam -- --project <id> [--dry-run]`: the service account the push functions run as (those of
# the registry of push kinds, functions/src/push/kinds/functions.ts, and sendPushSlice), and exactly the roles
# they need (docs/deploy.md "IAM" says why each one). Idempotent: run it before the first deploy (creates the
# account and its project roles) and again after it (the queues' and the functions' own bindings exist only
# once deployed). --dry-run prints the gcloud commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."

REGION="us-central1"                  # the functions' region (functions/src/params.ts REGION)

project=""
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project="${2:-}"; shift 2 ;;
    --project=*) project="${1#--project=}"; shift ;;
    --dry-run) dry_run=true; shift ;;
    *) echo "deploy-iam: unknown argument $1 (usage: --project <id> [--dry-run])" >&2; exit 2 ;;
  esac
done
if [ -z "$project" ]; then
  project="${GOOGLE_CLOUD_PROJECT:-${CLOUDSDK_CORE_PROJECT:-}}"
fi
if [ -z "$project" ] && ! $dry_run && command -v gcloud >/dev/null 2>&1; then
  project="$(gcloud config get-value project 2>/dev/null || true)"
fi
if [ -z "$project" ]; then
  echo "deploy-iam: no project: pass --project <id> (npm run deploy:iam -- --project <id>)" >&2
  exit 2
fi
case "$project" in
  demo-*) echo "deploy-iam: $project is an emulator-only demo project; pass your real project id" >&2; exit 2 ;;
esac

# The account is the PUSH_SERVICE_ACCOUNT param's production value, so the functions and this script agree.
account="$(sed -n 's/^PUSH_SERVICE_ACCOUNT=//p' functions/.env | tail -n 1)"
if [ -z "$account" ]; then
  echo "deploy-iam: functions/.env has no PUSH_SERVICE_ACCOUNT" >&2
  exit 2
fi
case "$account" in
  *@) email="${account}${project}.iam.gserviceaccount.com" ;;
  *@*) email="$account" ;;
  *) echo "deploy-iam: PUSH_SERVICE_ACCOUNT=$account is not 'name@' or an email" >&2; exit 2 ;;
esac
member="serviceAccount:${email}"

# The push functions, from the registry (scripts/push-functions.mjs builds functions/ first if need be), so a
# kind added there is bound here with no edit. Task-queue functions: firebase-tools names each queue after its
# function, and Cloud Tasks invokes each with the enqueuer's OIDC token. Event triggers: invoked by Eventarc as
# their own service account. Any of them may enqueue: a trigger its slices (the comment trigger also its
# window's digest), the digest task the slices of a large digest.
listing="$(node scripts/push-functions.mjs)"
TASK_FUNCTIONS=()
TRIGGER_FUNCTIONS=()
while read -r name type; do
  case "$type" in
    task) TASK_FUNCTIONS+=("$name") ;;
    event) TRIGGER_FUNCTIONS+=("$name") ;;
    *) echo "deploy-iam: unexpected line from scripts/push-functions.mjs: $name $type" >&2; exit 1 ;;
  esac
done <<< "$listing"
if [ ${#TASK_FUNCTIONS[@]} -eq 0 ] || [ ${#TRIGGER_FUNCTIONS[@]} -eq 0 ]; then
  echo "deploy-iam: scripts/push-functions.mjs listed no task-queue function or no trigger" >&2
  exit 1
fi

run() {
  if $dry_run; then
    printf '%q ' "$@" | sed 's/ $//'
    echo
  else
    echo "+ $*" >&2
    "$@" >/dev/null
  fi
}

# Whether a resource exists yet. A dry run lists every command: the account as missing, the deployed
# resources as present.
exists() {
  "$@" >/dev/null 2>&1
}

echo "# project ${project}, service account ${email}, region ${REGION}" >&2

# 1. The account itself (deploy needs it to exist: the functions are created to run as it).
if $dry_run || ! exists gcloud iam service-accounts describe "$email" --project "$project"; then
  run gcloud iam service-accounts create "${email%%@*}" --project "$project" \
    --display-name "Push delivery (the push kinds' functions and sendPushSlice)"
fi

# 2. Project roles: what the push functions' code does (project-wide is the narrowest these roles come in).
run gcloud projects add-iam-policy-binding "$project" --member "$member" --role roles/datastore.user --condition=None
run gcloud projects add-iam-policy-binding "$project" --member "$member" --role roles/firebasecloudmessaging.admin --condition=None
run gcloud projects add-iam-policy-binding "$project" --member "$member" --role roles/eventarc.eventReceiver --condition=None

# 3. Acting as itself: firebase-admin puts the enqueuing function's own account in each task's OIDC token.
run gcloud iam service-accounts add-iam-policy-binding "$email" --project "$project" \
  --member "$member" --role roles/iam.serviceAccountUser

# 4. Bindings on deployed resources: the queue, and each function's Cloud Run service.
pending=()
for queue in "${TASK_FUNCTIONS[@]}"; do
  if $dry_run || exists gcloud tasks queues describe "$queue" --location "$REGION" --project "$project"; then
    run gcloud tasks queues add-iam-policy-binding "$queue" --location "$REGION" --project "$project" \
      --member "$member" --role roles/cloudtasks.enqueuer
  else
    pending+=("queue $queue")
  fi
done
for function in "${TASK_FUNCTIONS[@]}" "${TRIGGER_FUNCTIONS[@]}"; do
  if $dry_run || exists gcloud functions describe "$function" --region "$REGION" --project "$project"; then
    # roles/run.invoker on the function's Cloud Run service.
    run gcloud functions add-invoker-policy-binding "$function" --region "$REGION" --project "$project" \
      --member "$member"
  else
    pending+=("function $function")
  fi
done

if [ ${#pending[@]} -gt 0 ]; then
  echo "deploy-iam: not deployed yet: ${pending[*]}. Run 'npm run deploy', then 'npm run deploy:iam' again." >&2
else
  echo "deploy-iam: done" >&2
fi
