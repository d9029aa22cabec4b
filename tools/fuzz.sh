#!/usr/bin/env bash
# Runs every fuzz target of the module (each func FuzzXxx in a _test.go
# file, as `go test -list` reports it) for FUZZTIME each (default 10s).
# Seed corpora live in each package's testdata/fuzz/FuzzXxx and also run
# as ordinary tests; a failing input found here is written there: commit
# it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
# Packages with a fuzz target (tools/ holds other modules).
mapfile -t pkgs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z0-9_]' . | grep -v '^\./tools/' | xargs -r -n1 dirname | sort -u)
if [ ${#pkgs[@]} -eq 0 ]; then
	echo "fuzz: no fuzz targets"
	exit 0
fi
failed=()
for pkg in "${pkgs[@]}"; do
	mapfile -t targets < <($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in "${targets[@]}"; do
		echo "fuzz: $pkg $target for $FUZZTIME"
		if ! $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: FAILED %s\n' "${failed[@]}"
	exit 1
fi
