#!/usr/bin/env bash
# Set up everything Journeyscope needs on a fresh machine; safe to run again (it skips what is done).
#   scripts/setup.sh        runtime: a virtualenv in .venv with journeyscope installed
#   scripts/setup.sh dev    + test tools (pytest, pm4py oracle, pyspark...) and the system
#                           packages the tests use (Debian chromium, ffmpeg, poppler-utils),
#                           and the Node test tools in tests/tools (mermaid, for its parser)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-runtime}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi

extras=""
[ "$mode" = dev ] && extras="[dev]"
stamp=".venv/.installed-${mode}"
want="$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing journeyscope${extras}"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
  echo "$want" > "$stamp"
fi

if [ "$mode" = dev ]; then
  missing=""
  command -v chromium >/dev/null || missing="$missing chromium"
  command -v ffmpeg >/dev/null || missing="$missing ffmpeg"
  command -v pdftoppm >/dev/null || missing="$missing poppler-utils"
  # (no `fc-list | grep -q`: grep's early exit kills fc-list, and pipefail calls that a miss)
  [ -n "$(fc-list 'Noto Sans Hebrew' 2>/dev/null)" ] || missing="$missing fonts-noto-core"
  command -v java >/dev/null || missing="$missing openjdk-17-jre-headless"
  command -v npm >/dev/null || missing="$missing nodejs npm"
  if [ -n "$missing" ]; then
    echo "== installing system packages:$missing"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
      sudo apt-get update -qq
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
  fi
  # mermaid's own parser and renderer, for the tests of the Mermaid export (tests/tools)
  lock="tests/tools/package-lock.json"
  if [ ! -f tests/tools/node_modules/.installed ] || [ "$lock" -nt tests/tools/node_modules/.installed ]; then
    echo "== installing the Node test tools (mermaid, jsdom) into tests/tools"
    (cd tests/tools && npm ci --no-audit --no-fund --silent)
    touch tests/tools/node_modules/.installed
  fi
fi
