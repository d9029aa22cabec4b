package hub

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A Git server that never answers stalls only its own repository: the
// fetch times out naming the limit, and another repository's new commits
// still reach its spoke by polling.
func TestHungGitServerStallsOnlyItsRepository(t *testing.T) {
	asked := make(chan struct{}, 100)
	hung := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		<-r.Context().Done() // never answers; ends when the client gives up
	}))
	t.Cleanup(hung.Close)
	e := startWith(t, func(c *Config) {
		c.Controller.PollInterval = 300 * time.Millisecond
		c.Controller.FetchTimeout = 2 * time.Second
	})
	token, apps := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	sp.nextPlan()
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "stuck",
		Source:      &pb.ApplicationSource{RepoUrl: hung.URL + "/stuck.git", TargetRevision: "main", Path: "x"},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "shop"}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("the hung Git server was never asked")
	}
	e.commit("second", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '2'}\n"})
	deadline := time.After(30 * time.Second)
	for {
		var pa *pb.PlanAssignment
		select {
		case m, ok := <-sp.msgs:
			if !ok {
				t.Fatal("stream closed")
			}
			pa = m.GetPlan()
		case <-deadline:
			t.Fatal("web's new commit did not reach its spoke within 30s while another repository's Git server hangs")
		}
		if pa != nil && strings.Contains(fmt.Sprint(objectNames(t, pa.GetPlan())), "web 2") {
			break
		}
	}
	waitFor(t, func() bool {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "stuck"})
		return err == nil && strings.Contains(fmt.Sprint(got), "no answer within 2s (--git-fetch-timeout)")
	}, "the stuck application's error naming the fetch timeout")
}
