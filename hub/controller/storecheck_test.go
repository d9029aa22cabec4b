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
