#!/usr/bin/env bash
# Register custom search attributes on a Temporal namespace, then check their
# types. Safe to run on every deployment.
#
# Usage: register-search-attributes.sh NAME=TYPE [NAME=TYPE ...]
#   TYPE is a Temporal search attribute type: Keyword, Text, Int, Double,
#   Bool, Datetime or KeywordList.
#
# Environment:
#   TEMPORAL_ADDRESS    host:port of the Temporal frontend (required)
#   TEMPORAL_NAMESPACE  namespace to register the attributes on (required)
#   REGISTER_ATTEMPTS   tries per attribute, 2 seconds apart (default 30)
#
# Needs the `temporal` CLI and jq, both part of the temporalio/admin-tools
# image. Exits 0 when every attribute exists with the requested type.

set -euo pipefail

address="${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is missing: set it to the host:port of the Temporal frontend}"
namespace="${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE is missing: set it to the namespace the workers use}"
attempts="${REGISTER_ATTEMPTS:-30}"
retry_delay_seconds=2

log() {
    printf '%s register-search-attributes: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# Reduce "Keyword", "KeywordList" and the JSON enum names such as
# "INDEXED_VALUE_TYPE_KEYWORD_LIST" to one comparable spelling.
normalize_type() {
    local type="${1#INDEXED_VALUE_TYPE_}"
    type="${type//_/}"
    printf '%s' "${type,,}"
}

# Create one attribute, retrying while the server or namespace is not ready.
# "already exists" counts as success. A clash with an existing attribute of
# another type fails at once, because retrying cannot fix it.
register() {
    local name="$1" type="$2" output attempt
    for ((attempt = 1; attempt <= attempts; attempt++)); do
        if output=$(temporal operator search-attribute create \
            --address "$address" --namespace "$namespace" \
            --name "$name" --type "$type" 2>&1); then
            log "registered $name ($type) on namespace $namespace"
            return 0
        fi
        if [[ "${output,,}" == *"different type"* ]]; then
            log "failed to register $name ($type) on namespace $namespace: $output"
            return 1
        fi
        if [[ "${output,,}" == *"already exists"* ]]; then
            log "$name is already registered on namespace $namespace"
            return 0
        fi
        log "attempt $attempt of $attempts to register $name failed: $output"
        if ((attempt < attempts)); then
            sleep "$retry_delay_seconds"
        fi
    done
    log "failed to register $name ($type) after $attempts attempts;" \
        "check that Temporal is up at $address and that namespace $namespace exists"
    return 1
}

if (($# == 0)); then
    echo "usage: $0 NAME=TYPE [NAME=TYPE ...]" >&2
    exit 2
fi

for pair in "$@"; do
    if [[ ! "$pair" =~ ^[A-Za-z][A-Za-z0-9_]*=[A-Za-z]+$ ]]; then
        echo "invalid argument '$pair': expected NAME=TYPE, for example CaseStage=Keyword" >&2
        exit 2
    fi
done

for pair in "$@"; do
    register "${pair%%=*}" "${pair#*=}"
done

# A server with SQL visibility skips a name that is already registered without
# comparing types (OperatorHandler.addSearchAttributesSQL in the Temporal
# server), so read the attributes back and fail on a type clash.
listing=$(temporal operator search-attribute list \
    --address "$address" --namespace "$namespace" --output json)
status=0
for pair in "$@"; do
    name="${pair%%=*}"
    expected="${pair#*=}"
    actual=$(jq -r --arg name "$name" '.customAttributes[$name] // ""' <<<"$listing")
    if [[ "$(normalize_type "$actual")" != "$(normalize_type "$expected")" ]]; then
        log "search attribute $name on namespace $namespace has type '${actual:-missing}'," \
            "expected $expected; a registered type cannot be changed, so use a new name"
        status=1
    fi
done
if ((status == 0)); then
    log "all $# search attributes are registered on namespace $namespace"
fi
exit "$status"
