#!/usr/bin/env bash
# Fails when git tracks a file over 2 MiB that is not a named fixture: built
# binaries, profiles and caches do not belong in the repository.
#
#   scripts/check-sizes.sh        check every tracked file (make lint runs this)
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=$((2 * 1024 * 1024))
# Fixtures allowed over the limit, by path. Keep this list short; say why for each.
ALLOWED=()

bad=0
while IFS= read -r -d '' path; do
	[[ -f $path ]] || continue # deleted in the work tree, still in the index
	size=$(stat -c %s -- "$path")
	((size > LIMIT)) || continue
	for ok in "${ALLOWED[@]}"; do
		[[ $path == "$ok" ]] && continue 2
	done
	printf 'tracked file over 2 MiB: %s (%d bytes); build outputs are not committed (add a real fixture to ALLOWED in %s)\n' "$path" "$size" "$0" >&2
	bad=1
done < <(git ls-files -z)
exit "$bad"
