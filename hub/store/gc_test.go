package store

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// keys lists every key of the store as "bucket/key" (nested: "bucket/nested/key").
func keys(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				walk(prefix+string(k)+"/", b.Bucket(k))
				continue
			}
			out = append(out, prefix+string(k))
		}
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { walk(string(name)+"/", b); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func bucketKeys(t *testing.T, s *Store, bucket string) []string {
	t.Helper()
	var out []string
	for _, k := range keys(t, s) {
		if rest, ok := strings.CutPrefix(k, bucket+"/"); ok {
			out = append(out, rest)
		}
	}
	return out
}

// mentioning lists the keys whose path names word (an application or
// cluster name) as a path element or part of one.
func mentioning(t *testing.T, s *Store, word string) []string {
	t.Helper()
	var out []string
	for _, k := range keys(t, s) {
		if strings.Contains("/"+k+"/", "/"+word+"/") {
			out = append(out, k)
		}
	}
	return out
}

func mustPut(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// GC keeps every plan a desired state, pending plan, history entry or
// rollout references, and deletes the others; renders go when the caller
// says which keys are in use.
func TestGCKeepsReferencedPlans(t *testing.T) {
	s := open(t, t.TempDir())
	mustPut(t, s.PutApplication(&pb.Application{Name: "web", RevisionHistoryLimit: 2}, false))
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "east"}, "tok"))
	assignN(t, s, "web", "east", 4) // history keeps plan-2, plan-3; plan-3 is desired
	mustPut(t, s.PutPending("web", "east", &pb.Plan{Hash: "pending"}, Pending{PlanHash: "pending"}))
	mustPut(t, s.PutPlan(&pb.Plan{Hash: "rollout-next"}))
	mustPut(t, s.PutPlan(&pb.Plan{Hash: "rollout-prev"}))
	mustPut(t, s.PutPlan(&pb.Plan{Hash: "nobody"}))
	mustPut(t, s.PutRollout(&pb.Rollout{Application: "web", Steps: []*pb.RolloutStepStatus{{Targets: []*pb.RolloutTarget{
		{Cluster: "east", PlanHash: "rollout-next", PreviousPlanHash: "rollout-prev"}}}}}))
	mustPut(t, s.PutRender("used", &RenderRecord{Commit: "c"}))
	mustPut(t, s.PutRender("unused", &RenderRecord{Commit: "c"}))

	st, err := s.GC(GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pending", "rollout-next", "rollout-prev", "web/east/plan-2", "web/east/plan-3"}
	if got := bucketKeys(t, s, "plans"); !slices.Equal(got, want) {
		t.Errorf("plans after GC: %v, want %v", got, want)
	}
	if st.Plans != 5 || st.PlansFreed != 3 || st.BytesFreed == 0 || st.Orphans != 0 {
		t.Errorf("stats %+v, want 5 plans kept, 3 freed (plan-0, plan-1, nobody), no orphans", st)
	}
	if got := bucketKeys(t, s, "renders"); len(got) != 2 {
		t.Errorf("renders %v: without RenderKeys, GC keeps them all", got)
	}
	st, err = s.GC(GCOptions{RenderKeys: map[string]bool{"used": true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := bucketKeys(t, s, "renders"); !slices.Equal(got, []string{"used"}) || st.RendersFreed != 1 || st.PlansFreed != 0 {
		t.Errorf("renders %v, stats %+v: want [used], one render freed, no plan", got, st)
	}
}

// Deleting an application frees everything it held; GC then frees its
// plans. Other applications keep theirs.
func TestDeleteApplicationFreesAll(t *testing.T) {
	s := open(t, t.TempDir())
	for _, a := range []string{"web", "api"} {
		mustPut(t, s.PutApplication(&pb.Application{Name: a}, false))
		for _, c := range []string{"east", "west"} {
			assignN(t, s, a, c, 3)
			_, err := s.UpdateTarget(a, c, func(ts *pb.TargetStatus) { ts.Revision = "r" })
			mustPut(t, err)
			mustPut(t, s.PutPending(a, c, &pb.Plan{Hash: a + "/" + c + "/pending"}, Pending{PlanHash: a + "/" + c + "/pending"}))
		}
		mustPut(t, s.PutRollout(&pb.Rollout{Application: a}))
	}
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "east"}, "t1"))
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "west"}, "t2"))
	mustPut(t, s.DeleteApplication("web"))
	select {
	case <-s.Freed():
	default:
		t.Error("deleting an application did not signal Freed")
	}
	left := mentioning(t, s, "web")
	for _, k := range left {
		if !strings.HasPrefix(k, "plans/") {
			t.Errorf("%s survived the application", k)
		}
	}
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if left := mentioning(t, s, "web"); len(left) != 0 {
		t.Errorf("after GC, left by the deleted application: %v", left)
	}
	if got := len(bucketKeys(t, s, "plans")); got != 8 {
		t.Errorf("api keeps %d plans, want 8 (3 history + 1 pending, per cluster)", got)
	}
}

// Removing a cluster frees its targets of every application, its
// discovery and its removals; GC then frees their plans.
func TestRemoveClusterFreesAll(t *testing.T) {
	s := open(t, t.TempDir())
	mustPut(t, s.PutApplication(&pb.Application{Name: "web"}, false))
	for _, c := range []string{"east", "west"} {
		mustPut(t, s.AddCluster(&pb.Cluster{Name: c}, "tok-"+c))
		assignN(t, s, "web", c, 2)
		_, err := s.PutDiscovery(c, &pb.DiscoveryReport{Kinds: []*pb.ServedKind{{Kind: "ConfigMap", Namespaced: true}}})
		mustPut(t, err)
		mustPut(t, s.PutRemoval(c, "gone", true))
	}
	mustPut(t, s.RemoveCluster("east"))
	if left := mentioning(t, s, "east"); len(left) != 2 || !strings.HasPrefix(left[0], "plans/") {
		t.Errorf("left by the removed cluster before GC: %v, want only its 2 plans", left)
	}
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if left := mentioning(t, s, "east"); len(left) != 0 {
		t.Errorf("left by the removed cluster after GC: %v", left)
	}
	if len(mentioning(t, s, "west")) == 0 {
		t.Error("the other cluster lost its data")
	}
}

// What a reconcile writes for an application deleted under it (or a
// cluster removed) is swept by GC.
func TestGCSweepsOrphans(t *testing.T) {
	s := open(t, t.TempDir())
	mustPut(t, s.PutApplication(&pb.Application{Name: "web"}, false))
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "east"}, "tok"))
	assignN(t, s, "web", "east", 1)
	// ghost's targets were written before it went (writes for an
	// application that is gone are refused now; older stores may hold them).
	mustPut(t, s.PutApplication(&pb.Application{Name: "ghost"}, false))
	assignN(t, s, "ghost", "east", 2)
	mustPut(t, s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketApplications).Delete([]byte("ghost")) }))
	assignN(t, s, "web", "nowhere", 1) // no such cluster
	mustPut(t, s.PutRollout(&pb.Rollout{Application: "ghost"}))
	_, err := s.SetConditions("ghost", []Condition{{Type: "ComparisonError", Message: "late"}})
	mustPut(t, err)
	mustPut(t, s.PutRemoval("nowhere", "web", true))
	mustPut(t, s.PutRemoval("east", "ghost", true)) // east's spoke must still drop ghost
	st, err := s.GC(GCOptions{})
	mustPut(t, err)
	for _, w := range []string{"ghost", "nowhere"} {
		for _, k := range mentioning(t, s, w) {
			if k != "removals/east/ghost" {
				t.Errorf("orphan %s survived GC", k)
			}
		}
	}
	if got := bucketKeys(t, s, "plans"); !slices.Equal(got, []string{"web/east/plan-0"}) {
		t.Errorf("plans %v, want only web/east's", got)
	}
	// ghost: desired + 2 history, its rollout and conditions; web/nowhere:
	// desired + 1 history; the removal of nowhere.
	if st.Orphans != 8 {
		t.Errorf("orphans %d, want 8", st.Orphans)
	}
}

// An Assign racing GC never leaves a desired state without its plan: the
// plan and its reference are written in one transaction, and GC marks
// and sweeps in one.
func TestGCRacingAssign(t *testing.T) {
	s := open(t, t.TempDir())
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "east"}, "tok"))
	const apps, rounds = 8, 40
	for i := range apps {
		mustPut(t, s.PutApplication(&pb.Application{Name: fmt.Sprint("app-", i), RevisionHistoryLimit: 1}, false))
	}
	var wg sync.WaitGroup
	wg.Add(apps)
	for i := range apps {
		go func() {
			defer wg.Done()
			for r := range rounds {
				p := &pb.Plan{Hash: fmt.Sprintf("app-%d/%d", i, r)}
				if _, err := s.Assign(fmt.Sprint("app-", i), "east", p, "c", "rev", "t", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); err != nil {
					t.Error(err)
					return
				}
				if err := s.PutPending(fmt.Sprint("app-", i), "east", &pb.Plan{Hash: p.Hash + "/pending"}, Pending{PlanHash: p.Hash + "/pending"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	assigned := make(chan struct{})
	go func() { wg.Wait(); close(assigned) }()
	gcs := 0
	for running := true; running; {
		select {
		case <-assigned:
			running = false
		default:
		}
		if _, err := s.GC(GCOptions{}); err != nil {
			t.Fatal(err)
		}
		gcs++
	}
	t.Logf("%d collections ran while assigning", gcs)
	for i := range apps {
		d, err := s.GetDesired(fmt.Sprint("app-", i), "east")
		mustPut(t, err)
		if _, err := s.GetPlan(d.PlanHash); err != nil {
			t.Errorf("app-%d: desired plan %s: %v", i, d.PlanHash, err)
		}
		pend, err := s.GetPending(fmt.Sprint("app-", i), "east")
		mustPut(t, err)
		if _, err := s.GetPlan(pend.PlanHash); err != nil {
			t.Errorf("app-%d: pending plan %s: %v", i, pend.PlanHash, err)
		}
	}
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(bucketKeys(t, s, "plans")); n != 2*apps {
		t.Errorf("%d plans after the last GC, want %d (each target's desired and pending)", n, 2*apps)
	}
}

// A reconcile or report racing an application's deletion brings none of
// its targets back: writes for an application that is gone are refused.
func TestNoTargetWithoutApplication(t *testing.T) {
	s := open(t, t.TempDir())
	mustPut(t, s.PutApplication(&pb.Application{Name: "web"}, false))
	assignN(t, s, "web", "east", 1)
	mustPut(t, s.DeleteApplication("web"))
	p := &pb.Plan{Hash: "late"}
	if _, err := s.Assign("web", "east", p, "late", "rev", "test", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Assign after the deletion: %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateTarget("web", "east", func(*pb.TargetStatus) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateTarget after the deletion: %v, want ErrNotFound", err)
	}
	for _, k := range mentioning(t, s, "web") {
		if !strings.HasPrefix(k, "plans/web/east/plan-0") { // the old plan waits for GC
			t.Errorf("written after the deletion: %s", k)
		}
	}
}
