#!/usr/bin/env bash
# Installs everything e2e/run.sh needs: Debian's redis-server and
# redis-tools, the Python client stacks from Debian packages (no PyPI), the
# Node packages from e2e/node/package-lock.json, the Go modules of e2e/go.
# Idempotent, and quick when everything is already there: apt is asked only
# for missing packages, npm ci runs only when the lockfile changed.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"

APT_PACKAGES=(
  redis-server redis-tools
  python3 python3-redis python3-hiredis python3-django python3-django-redis
  python3-channels-redis python3-celery
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e setup: apt-get install ${missing[*]}"
  as_root apt-get update -qq
  # A redis-server service the package may start is left alone: the suite
  # starts the servers it tests itself, on free ports.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "e2e setup: node (>= 20) and npm are needed on PATH" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "e2e setup: node $(node --version) is too old; the Node packages need >= 20" >&2
  exit 1
fi

stamp="$E2E_DIR/node/node_modules/.e2e-lock.sha256"
want="$(sha256sum "$E2E_DIR/node/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "e2e setup: npm ci in e2e/node"
  (cd "$E2E_DIR/node" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

(cd "$E2E_DIR/go" && go mod download)

echo "e2e setup: ready ($(redis-server --version | cut -d' ' -f1-3), node $(node --version), $(go version | cut -d' ' -f3))"
