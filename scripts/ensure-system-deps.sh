#!/usr/bin/env bash
# Installs the system packages the local stack and the tests need and a fresh machine of this
# kind lacks. Redis and MariaDB are expected to be installed; Kafka is served by the
# librdkafka mock cluster inside Debian's kcat; the console's browser tests drive Debian's
# chromium; the cutover tests (lib/cutover) start private ActiveMQ and memcached instances from
# Debian's packages (the services the packages would start are not used); the Adyen simulator
# of the local run and its tests makes its TLS certificate with openssl. Idempotent and quiet
# when all is present.
set -euo pipefail

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/activemq/bin/activemq.jar ] || missing+=(activemq)
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
