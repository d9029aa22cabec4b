package server

import (
	"errors"
	"regexp"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Admin serves the admin API.
type Admin struct {
	pb.UnimplementedApplicationServiceServer
	pb.UnimplementedProjectServiceServer
	pb.UnimplementedClusterServiceServer
	Core *Core
	Ctrl *controller.Controller
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func grpcErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, store.ErrExists):
		return status.Error(codes.AlreadyExists, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.FailedPrecondition, err.Error())
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func validateApp(a *pb.Application) error {
	switch {
	case a == nil:
		return invalid("application is required")
	case !dnsName.MatchString(a.GetName()) || len(a.GetName()) > 63:
		return invalid("application name %q: want a DNS label (a-z, 0-9, '-', at most 63)", a.GetName())
	case a.GetSource().GetRepoUrl() == "":
		return invalid("application %s: source.repoUrl is required", a.GetName())
	case len(a.GetDestination().GetClusters()) == 0 && len(a.GetDestination().GetClusterSelector()) == 0:
		return invalid("application %s: destination needs clusters or a clusterSelector", a.GetName())
	}
	if err := validateHistoryLimit(a); err != nil {
		return err
	}
	if err := validateSyncPolicy(a); err != nil {
		return err
	}
	if err := validateKustomize(a); err != nil {
		return err
	}
	var opts plan.Options
	for k, v := range a.GetSyncPolicy().GetOptions() {
		if err := opts.SetSyncOption(k + "=" + v); err != nil {
			return invalid("application %s: syncPolicy.options: %v", a.GetName(), err)
		}
	}
	return nil
}
