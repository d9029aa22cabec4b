package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Upstream manifests (testdata/realworld, see its README) sync and stay
// Synced: no false drift from what the API server stores differently
// (defaults inside atomic lists, empty lists, stringData, dropped zero
// values), Jobs collected by their TTL, 150 KB CRDs with their custom
// resources in one application. Health is what a local cluster can give:
// an Ingress and a LoadBalancer Service wait for controllers it does not
// run, and a StatefulSet for volumes of a storage class it lacks; none of
// them holds its sync.
func TestRealWorldManifests(t *testing.T) {
	e := suite(t)
	files := map[string]string{}
	root := filepath.Join("testdata", "realworld")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.newRepo(t, files)
	// Resources that stay Progressing here, by application.
	progressing := map[string]map[string]bool{
		"sock-shop":           {"Ingress/front-end-ingress": true},
		"ingress-nginx":       {"Service/ingress-nginx-controller": true},
		"prometheus-operator": {},
		"statefulset":         {"StatefulSet/web": true},
	}
	names := map[string]string{}
	for dir := range progressing {
		c := e.clusters[0].Name
		if dir == "ingress-nginx" {
			c = e.clusters[1].Name // its admission webhook would judge sock-shop's Ingress
		}
		names[dir] = uniq("rw-" + dir)
		e.createApp(t, names[dir], "--repo", r.url, "--path", dir, "--dest-cluster", c, "--dest-namespace", e.namespace(t, "rw"),
			"--auto-sync", "--prune", "--self-heal")
	}
	for dir, slow := range progressing {
		app := names[dir]
		if res := e.flotilla(t, "app", "wait", app, "--sync", "--timeout", "2m"); res.code != 0 {
			t.Errorf("%s\n%s", res, e.appGet(t, app))
			continue
		}
		eventually(t, time.Minute, dir+": every resource Synced and settled", func() (bool, string) {
			v := e.appGet(t, app)
			if len(v.Targets) != 1 || v.Targets[0].phase() != "Succeeded" || v.Targets[0].Sync != "Synced" {
				return false, v.String()
			}
			var off []string
			for _, rs := range v.Targets[0].Resources {
				want := "Healthy"
				if slow[rs.Kind+"/"+rs.Name] {
					want = "Progressing"
				}
				if rs.Sync != "Synced" || rs.Health != want {
					off = append(off, rs.Kind+"/"+rs.Name+": "+rs.Sync+" "+rs.Health+" "+rs.Message)
				}
			}
			return len(off) == 0, strings.Join(off, "\n")
		})
		if d := e.flotilla(t, "app", "diff", app, "--color", "never"); d.code != 0 {
			t.Errorf("%s: app diff shows differences:\n%s", dir, d)
		}
	}
	// ingress-nginx's admission Jobs finished and were deleted by their TTL.
	v := e.appGet(t, names["ingress-nginx"])
	for _, job := range []string{"ingress-nginx-admission-create", "ingress-nginx-admission-patch"} {
		rs, ok := v.Targets[0].resource("Job", job)
		if !ok || !strings.Contains(rs.Message, "ttlSecondsAfterFinished") {
			t.Errorf("Job %s: %+v, want finished and deleted after ttlSecondsAfterFinished", job, rs)
		}
	}
}
