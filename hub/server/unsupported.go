package server

import (
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// unsupportedApp names the first field of a that the hub does not act on
// yet; the API refuses it rather than store a setting that does nothing.
// Every field of an Application takes effect now: a new field the hub does
// not act on yet belongs here.
func unsupportedApp(_ *pb.Application) string {
	return ""
}
