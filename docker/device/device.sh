#!/bin/sh
# The example device: gets a device access token with curl as the Cumulocity docs do, reads
# /user/currentUser with it, logs out, and checks that the token is refused afterwards.
# Exit code 0 when every step behaved as on the platform: the pipeline's verdict.
set -eu

C8Y_URL=${C8Y_URL:-https://c8y-mock:8443}          # the mock, as this container reaches it
DEVICE_ID=${DEVICE_ID:-qa-device-0001}              # the device certificate's CN
DEVICE_CERT=${DEVICE_CERT:-/pki/$DEVICE_ID.pem}
DEVICE_KEY=${DEVICE_KEY:-/pki/$DEVICE_ID.key}
MOCK_CA=${MOCK_CA:-/c8y-mock-certs/dev-ca.pem}      # the mock's development CA (its certs volume)

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'device: FAILED: %s\n' "$*" >&2; exit 1; }

# request METHOD PATH [curl options]: with the token; the body goes to $body_file, the status to stdout.
body_file=$(mktemp)
request() {
  method=$1 path=$2
  shift 2
  curl -sS -o "$body_file" -w '%{http_code}' --cacert "$MOCK_CA" -X "$method" \
    -H "Authorization: Bearer $token" "$@" "$C8Y_URL$path"
}

step "device $DEVICE_ID asks $C8Y_URL for a device access token"
# The Cumulocity docs' command, plus --cacert so that curl trusts the mock's server certificate.
answer=$(curl -v --cert "$DEVICE_CERT" --key "$DEVICE_KEY" \
   --cacert "$MOCK_CA" \
   -H 'Accept: application/json' \
   -X POST \
   "$C8Y_URL/devicecontrol/deviceAccessToken") || fail "curl could not get a token (exit $?)"
token=$(printf '%s' "$answer" | sed -n 's/.*"accessToken" *: *"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "no accessToken in the answer: $answer"
echo "device token: $token"

step "GET /user/currentUser with the token"
status=$(request GET /user/currentUser -H 'Accept: application/json')
cat "$body_file"; echo
[ "$status" = 200 ] || fail "GET /user/currentUser answered $status, expected 200"
grep -q "\"userName\" *: *\"device_$DEVICE_ID\"" "$body_file" || fail "currentUser is not device_$DEVICE_ID"

step "POST /user/logout"
status=$(request POST /user/logout -H 'Content-Type: application/json')
[ "$status" = 200 ] || fail "POST /user/logout answered $status, expected 200"

step "GET /user/currentUser with the logged-out token"
status=$(request GET /user/currentUser -H 'Accept: application/json')
cat "$body_file"; echo
[ "$status" = 401 ] || fail "the logged-out token got $status, expected 401"

echo
echo "device: OK: token issued, currentUser is device_$DEVICE_ID, logout ended the token (401)"
