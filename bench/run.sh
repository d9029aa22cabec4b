#!/usr/bin/env bash
# make bench: engine benchmarks and the hub fan-out, written to
# bench/results.json and bench/RESULTS.md. Not a test: no thresholds.
# (Peer comparisons — kubectl apply --server-side, fluxcd/pkg/ssa — are
# still to come, in a separate bench module.)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
sizes=${FANOUT_SIZES:-"1000 5000 10000"}
out=bench/results.json
$GO build -o bin/flotilla-hub ./hub/cmd/flotilla-hub
engine=$($GO test -run '^$' -bench . -benchmem -count 3 ./pkg/plan ./pkg/render | grep '^Benchmark' || true)
{
	echo '{"machine": "'"$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"'", "date": "'"$(date -u +%F)"'",'
	echo ' "engine": ['
	echo "$engine" | awk 'NF {printf "%s  {\"name\": \"%s\", \"ns_per_op\": %s, \"bytes_per_op\": %s, \"allocs_per_op\": %s}", sep, $1, $3, $(NF-3), $(NF-1); sep=",\n"}'
	echo '],'
	echo ' "fanout": ['
	sep=""
	for n in $sizes; do
		r=$($GO run ./bench/fanout -hub bin/flotilla-hub -spokes "$n" -apps 5 2>/dev/null | tail -1)
		printf '%s  %s' "$sep" "$r"
		sep=$',\n'
	done
	echo '],'
	echo ' "converge": '"$($GO run ./bench/converge -commits 20 -edits 50 2>/dev/null | tail -1)"
	echo '}'
} > "$out"
echo "wrote $out"
cat "$out"
