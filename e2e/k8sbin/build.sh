#!/usr/bin/env bash
# Builds the binaries that e2e/localcluster runs (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from Go modules and caches
# them outside the repository, keyed by the pinned Kubernetes version:
#
#   ${FLOTILLA_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/k8s}/<k8s version>/
#
# A binary is rebuilt only when it is missing or its stamp (module version,
# hash of its build module's go.mod and go.sum, link flags) changed; a new Go
# toolchain alone does not rebuild. Safe to run concurrently: builds are
# serialised by a lock. The last line of stdout is the directory. Cold, on
# 2 cores with empty Go caches: about 8 minutes (kube-apiserver 5).
#
# Usage: e2e/k8sbin/build.sh [--print-dir | --check] [name...]
#   --print-dir  only print the directory, build nothing
#   --check      build nothing; list the binaries that need a build on stderr
#                and exit 3 if there are any (0 when all are up to date)
#   name...      build only these (default: all but kubectl, which only
#                the benchmarks use)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=${GO:-go}

modversion() { # module go.mod path -> required version
	awk -v m="$2" '($1 == m) { print $2; exit } ($1 == "require" && $2 == m) { print $3; exit }' "$1"
}

k8s_version=$(modversion "$here/kube/go.mod" k8s.io/kubernetes)
etcd_version=$(modversion "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)
kwok_version=$(modversion "$here/kwok/go.mod" sigs.k8s.io/kwok)
for v in "$k8s_version" "$etcd_version" "$kwok_version"; do
	[[ -n "$v" ]] || { echo "build.sh: cannot read a pinned version from $here/*/go.mod" >&2; exit 1; }
done

root=${FLOTILLA_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/k8s}
dir=$root/$k8s_version

mode=build
case "${1:-}" in
--print-dir)
	echo "$dir"
	exit 0
	;;
--check)
	mode=check
	shift
	;;
esac

all=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
# Built only when named: kubectl is a benchmark peer (bench/peers), not part
# of the test clusters.
extra=(kubectl)
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${all[@]}")

# version_ldflags PKG: the -X flags that stamp a Kubernetes version package.
minor=${k8s_version#v*.}
minor=${minor%%.*}
major=${k8s_version#v}
major=${major%%.*}
version_ldflags() {
	printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
		"$1" "$k8s_version" "$1" "$major" "$1" "$minor" "$1"
}
kube_ldflags="-s -w $(version_ldflags k8s.io/component-base/version)$(version_ldflags k8s.io/client-go/pkg/version)"

# spec NAME -> "MODULE_DIR PACKAGE VERSION LDFLAGS"
spec() {
	case "$1" in
	kube-apiserver | kube-controller-manager | kube-scheduler)
		echo "kube|k8s.io/kubernetes/cmd/$1|$k8s_version|$kube_ldflags" ;;
	kubectl) echo "kubectl|k8s.io/kubernetes/cmd/$1|$k8s_version|$kube_ldflags" ;;
	etcd) echo "etcd|go.etcd.io/etcd/server/v3|$etcd_version|-s -w" ;;
	kwok) echo "kwok|sigs.k8s.io/kwok/cmd/kwok|$kwok_version|-s -w" ;;
	*) echo "build.sh: unknown binary $1 (want one of: ${all[*]} ${extra[*]})" >&2; return 1 ;;
	esac
}

# stamp NAME: what the cached binary must have been built from. The Go
# version is not part of it: a toolchain upgrade alone does not rebuild.
stamp() {
	IFS='|' read -r mod pkg version ldflags <<<"$(spec "$1")"
	echo "$version $(cat "$here/$mod/go.mod" "$here/$mod/go.sum" | sha256sum | cut -c1-16) $(printf '%s' "$ldflags" | sha256sum | cut -c1-16)"
}
fresh() { [[ -x "$dir/$1" && -f "$dir/.stamp/$1" && "$(cat "$dir/.stamp/$1")" == "$(stamp "$1")" ]]; }

if [[ $mode == check ]]; then
	stale=()
	for name in "${names[@]}"; do
		fresh "$name" || stale+=("$name")
	done
	if [[ ${#stale[@]} -gt 0 ]]; then
		echo "build.sh: needs a build in $dir: ${stale[*]}" >&2
		exit 3
	fi
	echo "$dir"
	exit 0
fi

mkdir -p "$dir/.stamp"
exec 9>"$dir/.lock"
if command -v flock >/dev/null; then
	flock 9
fi

for name in "${names[@]}"; do
	fresh "$name" && continue
	IFS='|' read -r mod pkg version ldflags <<<"$(spec "$name")"
	echo "build.sh: building $name $version into $dir" >&2
	start=$SECONDS
	(cd "$here/$mod" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
		$GO build -trimpath -ldflags "$ldflags" -o "$dir/.$name.tmp" "$pkg")
	mv -f "$dir/.$name.tmp" "$dir/$name"
	stamp "$name" >"$dir/.stamp/$name"
	echo "build.sh: built $name in $((SECONDS - start))s" >&2
done
echo "$dir"
