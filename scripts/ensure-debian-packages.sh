#!/usr/bin/env bash
# Makes sure the Debian packages the tests drive are installed: Chromium (browser tests), sipp
# (package sip-tester) and sipsak (interop peers), dnsmasq-base (the dnsmasq binary without its
# system service: the RFC 3263 tests start their own DNS server on a loopback port) and kamailio
# (digest interop; its service is kept from starting), redis-server and redis-tools (apps/server's
# shared registrations; the tests start their own on loopback ports, and a Redis Cluster with
# redis-cli --cluster create), baresip-core (a real softphone), openssl (test certificates for the
# TLS examples of @sipts/sip), tcpdump and tshark (the web inspector's capture fixtures are made
# with them and checked against tshark's SIP dissector), kamailio-websocket-modules (kamailio as
# a SIP-over-WebSocket peer in those captures), kamailio-tls-modules (kamailio as a TLS peer of the
# server and of createStack), sipvicious (svwar and svcrack: apps/server's user-enumeration and
# password-guessing tests) and linphone-cli (linphonec, a softphone that answers SHA-256 challenges).
# Exits 0 when all are there; otherwise installs the missing ones with apt-get, which needs root.
set -euo pipefail

# binary → Debian package
declare -A needs=(
  [/usr/bin/chromium]=chromium
  [/usr/bin/sipp]=sip-tester
  [/usr/bin/sipsak]=sipsak
  [/usr/sbin/dnsmasq]=dnsmasq-base
  [/usr/sbin/kamailio]=kamailio
  [/usr/bin/redis-server]=redis-server
  [/usr/bin/redis-cli]=redis-tools
  [/usr/bin/baresip]=baresip-core
  [/usr/bin/openssl]=openssl
  [/usr/bin/tcpdump]=tcpdump
  [/usr/bin/tshark]=tshark
  [/usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so]=kamailio-websocket-modules
  [/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so]=kamailio-tls-modules
  [/usr/bin/svwar]=sipvicious
  [/usr/bin/linphonec]=linphone-cli
)

missing=()
for bin in "${!needs[@]}"; do
  [ -e "$bin" ] || missing+=("${needs[$bin]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ensure-debian-packages: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-debian-packages: error: installing packages needs root. Run as root, or:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-packages: error: apt-get not found; install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Packages with a system service (kamailio) must not start it: the tests start their own
# instances on loopback ports. Debian asks /usr/sbin/policy-rc.d before starting a service.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q "${missing[@]}"

# `-e`, as in the check above: the kamailio modules are shared objects without the execute bit.
for bin in "${!needs[@]}"; do
  if [ ! -e "$bin" ]; then
    echo "ensure-debian-packages: error: $bin is still missing after apt-get install." >&2
    exit 1
  fi
done
