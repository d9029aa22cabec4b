package cli

import (
	"fmt"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var jsonnetFlags = []string{"jsonnet-ext-var-str", "jsonnet-ext-var-code", "jsonnet-tla-str", "jsonnet-tla-code", "jsonnet-libs"}

// applyJsonnet writes the Jsonnet flags that were set: ext vars and TLAs
// given replace the application's (strings and code alike), as Argo CD.
func (f *dirFlags) applyJsonnet(ch func(string) bool, d *pb.DirectorySource) error {
	if !anyChanged(ch, jsonnetFlags...) {
		return nil
	}
	if d.Jsonnet == nil {
		d.Jsonnet = &pb.JsonnetSource{}
	}
	j := d.Jsonnet
	var err error
	if ch("jsonnet-ext-var-str") || ch("jsonnet-ext-var-code") {
		if j.ExtVars, err = jsonnetVars(f.extStr, f.extCode, "--jsonnet-ext-var"); err != nil {
			return err
		}
	}
	if ch("jsonnet-tla-str") || ch("jsonnet-tla-code") {
		if j.Tlas, err = jsonnetVars(f.tlaStr, f.tlaCode, "--jsonnet-tla"); err != nil {
			return err
		}
	}
	if ch("jsonnet-libs") {
		j.Libs = f.libs
	}
	return nil
}

func jsonnetVars(strs, codes []string, flag string) ([]*pb.JsonnetVar, error) {
	var out []*pb.JsonnetVar
	for _, set := range []struct {
		kvs  []string
		code bool
	}{{strs, false}, {codes, true}} {
		for _, kv := range set.kvs {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("%s %q: want NAME=VALUE", flag, kv)
			}
			out = append(out, &pb.JsonnetVar{Name: name, Value: value, Code: set.code})
		}
	}
	return out, nil
}
