#!/bin/sh
# The example device: gets a device access token with curl as the Cumulocity docs do, on the
# mTLS door (8443), then, on the API door (C8Y_URL, the platform's 443), reads /user/currentUser with it, logs out, and checks that the token is refused afterwards; then
# over MQTT (8883) as thin-edge.io does: a token over s/uat, itself with 100 and a measurement
# with 200 at QoS 1, read back over REST with its token.
# Exit code 0 when every step behaved as on the platform: the pipeline's verdict.
set -eu

C8Y_URL=${C8Y_URL:-https://c8y-mock}               # the mock's API door, as this container reaches it
# The token endpoint: the base URL's host on 8443, as go-c8y derives it.
C8Y_TOKEN_URL=${C8Y_TOKEN_URL:-https://$(printf '%s' "$C8Y_URL" | sed 's#^https://\([^:/]*\).*#\1#'):8443}
DEVICE_ID=${DEVICE_ID:-qa-device-0001}              # the device certificate's CN
DEVICE_CERT=${DEVICE_CERT:-/pki/$DEVICE_ID.pem}
DEVICE_KEY=${DEVICE_KEY:-/pki/$DEVICE_ID.key}
MOCK_CA=${MOCK_CA:-/c8y-mock-certs/dev-ca.pem}      # the mock's development CA (its certs volume)
C8Y_MQTT_HOST=${C8Y_MQTT_HOST:-c8y-mock}            # the mock's MQTT door, as this container reaches it
C8Y_MQTT_PORT=${C8Y_MQTT_PORT:-8883}

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

step "device $DEVICE_ID asks $C8Y_TOKEN_URL for a device access token"
# The Cumulocity docs' command, plus --cacert so that curl trusts the mock's server certificate.
answer=$(curl -v --cert "$DEVICE_CERT" --key "$DEVICE_KEY" \
   --cacert "$MOCK_CA" \
   -H 'Accept: application/json' \
   -X POST \
   "$C8Y_TOKEN_URL/devicecontrol/deviceAccessToken") || fail "curl could not get a token (exit $?)"
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

step "over MQTT: a token on s/dat for an empty s/uat (mosquitto_rr, MQTT 3.1.1, client ID = CN)"
MQTT="-V mqttv311 -h $C8Y_MQTT_HOST -p $C8Y_MQTT_PORT --cafile $MOCK_CA --cert $DEVICE_CERT --key $DEVICE_KEY -i $DEVICE_ID"
line=$(mosquitto_rr $MQTT -t s/uat -e s/dat -n -W 10) || fail "mosquitto_rr got no answer on s/dat (exit $?)"
case "$line" in 71,*) ;; *) fail "s/dat answered '$line', expected 71,<jwt>" ;; esac
old_token=$token
token=${line#71,}
echo "device token over MQTT: $token"
[ "$token" != "$old_token" ] || fail "s/uat handed back the logged-out token"
status=$(request GET /user/currentUser -H 'Accept: application/json')
[ "$status" = 200 ] || fail "the token from MQTT got $status on /user/currentUser, expected 200"

step "over MQTT: 100 (create the device) and 200 (a measurement) at QoS 1"
mosquitto_pub $MQTT -q 1 -t s/us -m "100,QA device $DEVICE_ID,c8y_QA" || fail "100 was not acknowledged"
mosquitto_pub $MQTT -q 1 -t s/us -m '200,c8y_Temperature,T,21.5,C' || fail "200 was not acknowledged"
status=$(request GET "/identity/externalIds/c8y_Serial/$DEVICE_ID" -H 'Accept: application/json')
[ "$status" = 200 ] || fail "its c8y_Serial external ID answered $status, expected 200"
id=$(sed -n 's/.*"managedObject" *: *{[^}]*"id" *: *"\([0-9]*\)".*/\1/p' "$body_file")
[ -n "$id" ] || fail "no managed object id in $(cat "$body_file")"
status=$(request GET "/measurement/measurements?source=$id" -H 'Accept: application/json')
cat "$body_file"; echo
[ "$status" = 200 ] || fail "GET /measurement/measurements answered $status"
grep -q '"c8y_Temperature"' "$body_file" || fail "the measurement sent over MQTT is not there"
echo "device: MQTT token, 100 and 200 work"
