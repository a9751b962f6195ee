#!/usr/bin/env bash
# The certificates test/tls/ holds for the TLS tests: a CA, a server certificate for
# 127.0.0.1 and localhost, and a client certificate, all signed by the CA and valid for a
# century, so that the tests need no openssl where they run. Run again to replace them.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/test/tls"
mkdir -p "$out"
cd "$out"
days=36500
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/O=KVIS test/CN=KVIS test CA" -out ca.crt
for name in server client; do
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key"
  openssl req -new -key "$name.key" -subj "/O=KVIS test/CN=$name" -out "$name.csr"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' \
    "$([ "$name" = server ] && echo serverAuth,clientAuth || echo clientAuth)" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" -sha256 -extfile "$name.ext" -out "$name.crt"
  rm -f "$name.csr" "$name.ext"
done
rm -f ca.srl
# A certificate no one trusts: signed by a CA of its own, which the tests never name.
openssl ecparam -name prime256v1 -genkey -noout -out other.key
openssl req -x509 -new -key other.key -sha256 -days "$days" -subj "/O=elsewhere/CN=intruder" -addext "subjectAltName=IP:127.0.0.1" -out other.crt
