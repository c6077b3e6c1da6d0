#!/usr/bin/env bash
# Fails with a clear message when Node is missing or too old for the web
# app's build (Vite 7 needs Node 20.19 or newer). `make run` does not need
# Node: the built app is committed in web/dist.
set -euo pipefail
if ! command -v node >/dev/null; then
	echo "node not found: the web app's build and tests need Node 20.19+ and npm (https://nodejs.org or your distribution's nodejs package)" >&2
	exit 1
fi
v=$(node -p 'process.versions.node')
IFS=. read -r major minor _ <<<"$v"
if ((major < 20 || (major == 20 && minor < 19))); then
	echo "node $v is too old: the web app's build and tests need Node 20.19+" >&2
	exit 1
fi
