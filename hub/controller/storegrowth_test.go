package controller

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

const (
	growthApps    = 20
	growthCommits = 300
)

var growthClusters = []string{"east", "west"}

// growthApp is application i: every third keeps 3 history entries, every
// fifth waits for approval (its plans pend, and are approved now and then).
func growthApp(i int) (name string, limit int, approval bool) {
	name, limit = fmt.Sprintf("app-%02d", i), store.DefaultHistoryLimit
	if i%3 == 0 {
		limit = 3
	}
	return name, limit, i%5 == 4
}

// 300 commits to 20 applications on 2 clusters, then half the
// applications deleted: the store keeps at most each target's history
// limit, GC leaves exactly the plans and renders something references,
// the deleted applications leave nothing behind, and the file compacts.
func TestStoreStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("300 Git commits")
	}
	e := newGitEnv(t, growthClusters...)
	files := map[string]string{}
	for i := range growthApps {
		for j := range 3 {
			files[fmt.Sprintf("app-%02d/cm-%d.yaml", i, j)] = bigConfigMap(fmt.Sprint("cm-", j), "0")
		}
	}
	e.commit("initial", files)
	for i := range growthApps {
		name, limit, approval := growthApp(i)
		e.app(name, name, func(a *pb.Application) {
			if limit != store.DefaultHistoryLimit {
				a.RevisionHistoryLimit = int32(limit)
			}
			if approval {
				a.SyncPolicy.Approval = "required"
			}
		}, growthClusters...)
		e.reconcile(name)
	}
	for k := range growthCommits {
		i := k % growthApps
		name, _, approval := growthApp(i)
		change := map[string]string{fmt.Sprintf("%s/cm-%d.yaml", name, k%3): bigConfigMap(fmt.Sprint("cm-", k%3), fmt.Sprint(k))}
		if k%7 == 0 { // an object comes, the previous one goes (pruned)
			change[fmt.Sprintf("%s/extra-%d.yaml", name, k)] = bigConfigMap(fmt.Sprint("extra-", k), "x")
			change[fmt.Sprintf("%s/extra-%d.yaml", name, k-7*growthApps)] = ""
		}
		e.commit(fmt.Sprint("commit ", k), change)
		e.reconcile(name)
		if approval && (k/growthApps)%3 != 2 {
			if _, err := e.c.Approve(name, nil, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	assignments := checkHistoryBounded(t, e.st)
	t.Logf("%d commits: %d assignments", growthCommits, assignments)
	grown := usage(t, e.st)

	gc(t, e)
	checkOnlyReferenced(t, e)
	kept := usage(t, e.st)

	var deleted []string
	for i := 0; i < growthApps; i += 2 {
		name, _, _ := growthApp(i)
		if err := e.st.DeleteApplication(name); err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, name)
	}
	// checkOnlyReferenced restarted the controller: the render GC waits
	// until every application has been reconciled since (what their
	// renders read besides their sources is known only then).
	for i := 1; i < growthApps; i += 2 {
		name, _, _ := growthApp(i)
		e.reconcile(name)
	}
	gc(t, e)
	checkOnlyReferenced(t, e)
	checkNothingOf(t, e, deleted)
	halved := usage(t, e.st)
	if halved.LiveBytes()*10 > kept.LiveBytes()*6 {
		t.Errorf("live bytes %d after deleting half the applications, was %d: want about half", halved.LiveBytes(), kept.LiveBytes())
	}
	bound := halved.Buckets["pending"].Keys
	for i := 1; i < growthApps; i += 2 {
		_, limit, _ := growthApp(i)
		bound += limit * len(growthClusters)
	}
	if n := halved.Buckets["plans"].Keys; n > bound {
		t.Errorf("%d plans kept, want at most %d (each target's history limit, and pending plans)", n, bound)
	}
	// The checks above read the file with the store closed: each reopening
	// compacted it when more than half was free.
	if len(e.compactions) == 0 || e.compactions[0].After*2 > e.compactions[0].Before {
		t.Errorf("compactions %+v: want the file halved at least once", e.compactions)
	}
	t.Logf("sizes (bytes): after %d commits: file %d, live %d, free %d; after GC: live %d; after deleting half and GC: file %d, live %d, free %d",
		growthCommits, grown.FileBytes, grown.LiveBytes(), grown.FreeBytes, kept.LiveBytes(), halved.FileBytes, halved.LiveBytes(), halved.FreeBytes)
	for _, cs := range e.compactions {
		t.Logf("compacted at open: file %d → %d bytes (%d free)", cs.Before, cs.After, cs.Free)
	}
	logBuckets(t, "after the commits", grown)
	logBuckets(t, "after GC", kept)
	logBuckets(t, "after deleting half and GC", halved)
}

func bigConfigMap(name, value string) string {
	return configMap(name, value) + "  pad: \"" + strings.Repeat("x", 2048) + "\"\n"
}

// checkHistoryBounded checks every target keeps its application's limit
// at most, its newest entry being what its desired state names, and
// returns the assignments made.
func checkHistoryBounded(t *testing.T, st *store.Store) int {
	t.Helper()
	total := 0
	for i := range growthApps {
		name, limit, _ := growthApp(i)
		for _, cl := range growthClusters {
			d, err := st.GetDesired(name, cl)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, cl, err)
			}
			h, err := st.ListHistory(name, cl)
			if err != nil {
				t.Fatal(err)
			}
			total += int(d.HistoryID)
			if want := min(int(d.HistoryID), limit); len(h) != want || h[len(h)-1].GetId() != int64(d.HistoryID) {
				t.Errorf("%s/%s: %d history entries up to #%d, want %d up to #%d", name, cl, len(h), h[len(h)-1].GetId(), want, d.HistoryID)
			}
		}
	}
	return total
}

func gc(t *testing.T, e *gitEnv) {
	t.Helper()
	keys, err := e.c.RenderKeys()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.st.GC(store.GCOptions{RenderKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gc: %+v", s)
}
