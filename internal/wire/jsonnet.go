package wire

import (
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// JsonnetFromPB converts a directory's Jsonnet settings, each value passed
// through expand (cluster references); nil is none.
func JsonnetFromPB(j *pb.JsonnetSource, expand func(string) string) render.JsonnetOptions {
	vars := func(in []*pb.JsonnetVar) []render.JsonnetVar {
		var out []render.JsonnetVar
		for _, v := range in {
			out = append(out, render.JsonnetVar{Name: v.GetName(), Value: expand(v.GetValue()), Code: v.GetCode()})
		}
		return out
	}
	return render.JsonnetOptions{ExtVars: vars(j.GetExtVars()), TLAs: vars(j.GetTlas()), Libs: j.GetLibs()}
}
