package controller

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

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

// referenced lists, through the store's API, the plans something
// references: desired states, pending plans, history entries, rollouts.
func referenced(t *testing.T, st *store.Store) map[string]bool {
	t.Helper()
	refs := map[string]bool{}
	apps, err := st.ListApplications()
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.ListPending()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		refs[p.PlanHash] = true
	}
	for _, a := range apps {
		for _, cl := range growthClusters {
			if d, err := st.GetDesired(a.GetName(), cl); err == nil {
				refs[d.PlanHash] = true
			}
		}
		h, err := st.ListHistory(a.GetName(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h {
			refs[e.GetPlanHash()] = true
		}
	}
	rollouts, err := st.ListRollouts()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rollouts {
		for _, s := range r.GetSteps() {
			for _, rt := range s.GetTargets() {
				refs[rt.GetPlanHash()], refs[rt.GetPreviousPlanHash()] = true, true
			}
		}
	}
	return refs
}

// checkOnlyReferenced checks the plans bucket holds exactly the plans
// something references and the renders bucket the renders in use.
func checkOnlyReferenced(t *testing.T, e *gitEnv) {
	t.Helper()
	refs := referenced(t, e.st)
	renders, err := e.c.RenderKeys()
	if err != nil {
		t.Fatal(err)
	}
	var plans, stored []string
	e.offline(func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			if err := tx.Bucket([]byte("plans")).ForEach(func(k, _ []byte) error { plans = append(plans, string(k)); return nil }); err != nil {
				return err
			}
			return tx.Bucket([]byte("renders")).ForEach(func(k, _ []byte) error { stored = append(stored, string(k)); return nil })
		})
	})
	for _, h := range plans {
		if !refs[h] {
			t.Errorf("plan %s is stored but nothing references it", h)
		}
	}
	delete(refs, "")
	if len(plans) != len(refs) {
		t.Errorf("%d plans stored, %d referenced", len(plans), len(refs))
	}
	for _, k := range stored {
		if !renders[k] {
			t.Errorf("render %s is stored but no application uses it", k)
		}
	}
	if len(stored) != len(renders) {
		t.Errorf("%d renders stored, %d in use", len(stored), len(renders))
	}
}

// checkNothingOf reads the whole bbolt file and fails on any record of the
// deleted applications: a key naming one, a plan or history entry of one.
func checkNothingOf(t *testing.T, e *gitEnv, deleted []string) {
	t.Helper()
	gone := map[string]bool{}
	for _, a := range deleted {
		gone[a] = true
	}
	var left []string
	e.offline(func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(bucket []byte, b *bolt.Bucket) error {
				return walkKeys(b, string(bucket), func(path string, v []byte) {
					if app, _, _ := strings.Cut(strings.TrimPrefix(path, string(bucket)+"/"), "/"); gone[app] {
						left = append(left, path)
					}
					if string(bucket) == "plans" {
						p := &pb.Plan{}
						if proto.Unmarshal(v, p) != nil || gone[p.GetApplication()] {
							left = append(left, path+" (plan of "+p.GetApplication()+")")
						}
					}
				})
			})
		})
	})
	if len(left) > 0 {
		sort.Strings(left)
		t.Errorf("the deleted applications left %d records: %v", len(left), left[:min(len(left), 10)])
	}
}

func walkKeys(b *bolt.Bucket, path string, fn func(path string, v []byte)) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return walkKeys(b.Bucket(k), path+"/"+string(k), fn)
		}
		fn(path+"/"+string(k), v)
		return nil
	})
}

func usage(t *testing.T, st *store.Store) store.Usage {
	t.Helper()
	u, err := st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func logBuckets(t *testing.T, when string, u store.Usage) {
	t.Helper()
	var names []string
	for n, b := range u.Buckets {
		if b.Keys > 0 {
			names = append(names, fmt.Sprintf("%s %d keys %d B", n, b.Keys, b.Bytes))
		}
	}
	sort.Strings(names)
	t.Logf("%s: %s", when, strings.Join(names, "; "))
}
