package server

import (
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// unsupportedApp names the first field of a that the hub does not act on
// yet; the API refuses it rather than store a setting that does nothing.
func unsupportedApp(a *pb.Application) string {
	k := a.GetSource().GetKustomize()
	switch {
	case k.GetNamePrefix() != "" || k.GetNameSuffix() != "" || len(k.GetCommonLabels()) > 0 || len(k.GetImages()) > 0 ||
		k.GetNamespace() != "" || len(k.GetCommonAnnotations()) > 0 || len(k.GetPatches()) > 0 || len(k.GetReplicas()) > 0:
		return "source.kustomize"
	}
	return ""
}
