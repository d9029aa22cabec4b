#!/usr/bin/env bash
# Regenerates e2e/k8sbin/kube/go.mod (and kubectl/go.mod) for another Kubernetes release: requires
# k8s.io/kubernetes VERSION and replaces every k8s.io/* module its go.mod
# lists at v0.0.0 (the staging modules) with v0.MINOR.PATCH. k8s.io/utils and
# k8s.io/kube-openapi are not staging modules and are left alone.
# Then update localcluster.KubernetesVersion (a test checks they agree).
#
# Usage: e2e/k8sbin/bump-kubernetes.sh v1.37.2
set -euo pipefail

version=${1:?usage: $0 vMAJOR.MINOR.PATCH}
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "$0: want v1.MINOR.PATCH, got $version" >&2; exit 2; }
staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=${GO:-go}

gomod=$(cd "$here/kube" && GOWORK=off $GO mod download -json "k8s.io/kubernetes@$version" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f "$gomod" ]] || { echo "$0: cannot download the go.mod of k8s.io/kubernetes@$version" >&2; exit 1; }
mapfile -t staged < <(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$gomod" | sort -u)
[[ ${#staged[@]} -gt 0 ]] || { echo "$0: no staging modules found in $gomod" >&2; exit 1; }

# The control-plane module (kube) and kubectl's (a benchmark peer) share
# the same requirements; each builds its own package list (tools.go).
for mod in kube kubectl; do
	{
		if [[ $mod == kube ]]; then
			echo '// Build module for the Kubernetes control-plane binaries used by e2e/localcluster.'
		else
			echo '// Build module for kubectl, used only by the benchmarks (bench/peers) as a peer.'
		fi
		echo '// Kept out of the main module so k8s.io/kubernetes never enters its graph.'
		echo '// Regenerate with e2e/k8sbin/bump-kubernetes.sh VERSION; build with e2e/k8sbin/build.sh.'
		echo "module github.com/flotilla-gitops/flotilla/e2e/k8sbin/$mod"
		echo
		echo "go $(awk '$1 == "go" { print $2; exit }' "$here/kube/go.mod")"
		echo
		echo "require k8s.io/kubernetes $version"
		echo
		echo 'replace ('
		for m in "${staged[@]}"; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
		echo ')'
	} >"$here/$mod/go.mod.new"
	mv "$here/$mod/go.mod.new" "$here/$mod/go.mod"
	(cd "$here/$mod" && GOWORK=off GOFLAGS=-mod=mod $GO mod tidy)
done
echo "kube/go.mod, kubectl/go.mod: k8s.io/kubernetes $version, ${#staged[@]} staging modules at $staging." >&2
echo "Now set KubernetesVersion = \"$version\" in e2e/localcluster/binaries.go and run e2e/k8sbin/build.sh." >&2
