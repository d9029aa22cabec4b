#!/usr/bin/env bash
# make bench: every benchmark, each figure side by side with its peer or
# limit measured in the same run, written to bench/results.json and
# bench/RESULTS.md (tables from the JSON, then bench/FINDINGS.md). Not a
# test: no thresholds. About 25 minutes on 2 cores with warm caches.
#
# BENCH_RUNS (default 3) sets the repetitions; FANOUT_SIZES the spoke
# counts; BENCH_PROFILES a directory for CPU profiles (default
# bench/profiles, not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
runs=${BENCH_RUNS:-3}
sizes=${FANOUT_SIZES:-"1000 5000 10000"}
profiles=${BENCH_PROFILES:-bench/profiles}
out=bench/results.json
mkdir -p bin "$profiles"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
step() { echo "--- $* ($((SECONDS - start)) s)" >&2; }

step build
$GO build -o bin/flotilla-hub ./hub/cmd/flotilla-hub
$GO build -o bin/flotilla-spoke ./spoke/cmd/flotilla-spoke
k8s=$(e2e/k8sbin/build.sh | tail -1)
e2e/k8sbin/build.sh kubectl >/dev/null
(cd bench/peers && GOWORK=off $GO build -o ../../bin/bench-apply ./apply)

step "engine (go test -bench)"
$GO test -run '^$' -bench . -benchmem -count 3 ./pkg/plan ./pkg/render | grep '^Benchmark' |
	awk '{printf "%s{\"name\": \"%s\", \"ns_per_op\": %s, \"bytes_per_op\": %s, \"allocs_per_op\": %s}", sep, $1, $3, $(NF-3), $(NF-1); sep=",\n"}' >"$tmp/engine.json"

step "apply throughput: Flotilla, kubectl, flux-ssa, client-go"
bin/bench-apply -objects 1000 -runs "$runs" -kubectl "$k8s/kubectl" -profile-dir "$profiles" | tail -1 >"$tmp/apply.json"

step "fan-out: $sizes spokes"
sep=""
for n in $sizes; do
	printf '%s' "$sep" >>"$tmp/fanout.json"
	$GO run ./bench/fanout -hub bin/flotilla-hub -spokes "$n" -apps 5 -runs "$runs" | tail -1 | tr -d '\n' >>"$tmp/fanout.json"
	sep=$',\n'
done

step "commit to converged, self-heal"
$GO run ./bench/converge -commits 20 -edits 50 | tail -1 >"$tmp/converge.json"

step "render: 1,000 Kustomize + 200 Helm apps"
$GO run ./bench/render -hub bin/flotilla-hub -kustomize 1000 -helm 200 -runs "$runs" -cpuprofile "$profiles/render" | tail -1 >"$tmp/render.json"

step "spoke footprint: 5,000 objects"
$GO run ./bench/footprint -hub bin/flotilla-hub -spoke bin/flotilla-spoke -objects 5000 -idle 30s -runs "$runs" | tail -1 >"$tmp/footprint.json"

step done
{
	echo "{\"machine\": \"$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $($GO env GOVERSION)\","
	echo " \"date\": \"$(date -u +%F)\", \"duration\": \"$(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s\","
	echo " \"engine\": [$(cat "$tmp/engine.json")],"
	echo " \"apply\": $(cat "$tmp/apply.json"),"
	echo " \"fanout\": [$(cat "$tmp/fanout.json")],"
	echo " \"converge\": $(cat "$tmp/converge.json"),"
	echo " \"render\": $(cat "$tmp/render.json"),"
	echo " \"footprint\": $(cat "$tmp/footprint.json")"
	echo "}"
} >"$out"
$GO run ./bench/report -in "$out" -findings bench/FINDINGS.md >bench/RESULTS.md
echo "wrote $out and bench/RESULTS.md in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s; CPU profiles in $profiles" >&2
