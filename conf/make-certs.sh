#!/usr/bin/env bash
# Makes a test certificate authority and node certificates with openssl (for trying TLS; see docs/security.md).
#   conf/make-certs.sh DIR [NODES] [SAN]
#     DIR     where to write ca.pem, ca.key, node-N.pem, node-N.key (created; existing files are not overwritten)
#     NODES   how many node certificates, named node-1..N (default 3), or a comma-separated list of names
#             (for example node-1,node-2,node-3,app: one more certificate for an application that joins the bus)
#     SAN     subjectAltName of every node certificate (default IP:127.0.0.1,DNS:localhost)
# Keys are EC P-256, unencrypted, readable by the owner only. Certificates are valid for 365 days.
set -euo pipefail

dir="${1:?usage: conf/make-certs.sh DIR [NODES] [SAN]}"
nodes="${2:-3}"
san="${3:-IP:127.0.0.1,DNS:localhost}"
days=365

command -v openssl >/dev/null || { echo "make-certs: openssl is not installed" >&2; exit 1; }
case "$nodes" in
  ''|*[!A-Za-z0-9,_-]*) echo "make-certs: NODES must be a number or names like node-1,app, not '$nodes'" >&2; exit 2 ;;
  *[!0-9]*) names="${nodes//,/ }" ;;
  *) names="$(for i in $(seq 1 "$nodes"); do printf 'node-%s ' "$i"; done)" ;;
esac
mkdir -p "$dir"
umask 077

if [ -e "$dir/ca.pem" ] || [ -e "$dir/ca.key" ]; then
  echo "make-certs: $dir/ca.pem exists; using that CA" >&2
else
  # the CA: a self-signed certificate that may sign others
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days "$days" -subj "/CN=Kshaka test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

ext="$(mktemp)"
trap 'rm -f "$ext" "$dir"/*.csr' EXIT
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyAgreement" \
  "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=$san" > "$ext"

for name in $names; do
  if [ -e "$dir/$name.pem" ]; then echo "make-certs: $dir/$name.pem exists; kept" >&2; continue; fi
  # a key and a signing request, then the CA signs it: usable as TLS server (HTTPS, event bus) and client (event bus)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=kshaka-$name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -out "$dir/$name.pem" -days "$days" -extfile "$ext" 2>/dev/null
done
chmod 644 "$dir"/*.pem
echo "certificates in $dir: ca.pem (trust this), and .pem/.key for:" $names "(SAN $san); keep ca.key secret" >&2
