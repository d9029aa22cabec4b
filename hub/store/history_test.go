package store

import (
	"fmt"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// assignN assigns n new plans to app on cluster and returns the last
// desired state.
func assignN(t *testing.T, s *Store, app, cluster string, n int) Desired {
	t.Helper()
	var d Desired
	for i := range n {
		p := &pb.Plan{Hash: fmt.Sprintf("%s/%s/plan-%d", app, cluster, i), Application: app, Cluster: cluster}
		var err error
		if d, err = s.Assign(app, cluster, p, p.GetHash(), "rev", "test", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func historyIDs(t *testing.T, s *Store, app, cluster string) []int64 {
	t.Helper()
	h, err := s.ListHistory(app, cluster)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range h {
		ids = append(ids, e.GetId())
	}
	return ids
}

// Each target keeps the newest revisionHistoryLimit entries (10 when 0),
// trimmed in the transaction that adds one.
func TestHistoryKeepsLastN(t *testing.T) {
	s := open(t, t.TempDir())
	for _, a := range []*pb.Application{{Name: "web", RevisionHistoryLimit: 3}, {Name: "api"}} {
		if err := s.PutApplication(a, false); err != nil {
			t.Fatal(err)
		}
	}
	d := assignN(t, s, "web", "east", 7)
	if ids := historyIDs(t, s, "web", "east"); !slices.Equal(ids, []int64{5, 6, 7}) || d.HistoryID != 7 {
		t.Errorf("web (limit 3) after 7 assignments: history %v, desired #%d; want [5 6 7], #7", ids, d.HistoryID)
	}
	assignN(t, s, "api", "east", 12)
	assignN(t, s, "api", "west", 2)
	if ids := historyIDs(t, s, "api", "east"); !slices.Equal(ids, []int64{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) {
		t.Errorf("api (default limit) after 12 assignments: history %v, want 3..12", ids)
	}
	if ids := historyIDs(t, s, "api", "west"); !slices.Equal(ids, []int64{1, 2}) {
		t.Errorf("api/west: history %v, want [1 2] (another target's trimming is not its own)", ids)
	}
	// Raising the limit keeps what is there and trims at the new bound.
	if err := s.PutApplication(&pb.Application{Name: "web", RevisionHistoryLimit: 5}, true); err != nil {
		t.Fatal(err)
	}
	assignN(t, s, "web", "east", 1)
	if ids := historyIDs(t, s, "web", "east"); !slices.Equal(ids, []int64{5, 6, 7, 8}) {
		t.Errorf("web (limit 5) after one more: history %v, want [5 6 7 8]", ids)
	}
}

// The entry the desired state points at is never trimmed, even when it
// is not among the newest.
func TestTrimKeepsDesiredEntry(t *testing.T) {
	s := open(t, t.TempDir())
	if err := s.PutApplication(&pb.Application{Name: "web", RevisionHistoryLimit: 2}, false); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		hb, err := tx.Bucket(bucketHistory).CreateBucket(TargetKey("web", "east"))
		if err != nil {
			return err
		}
		for id := uint64(1); id <= 5; id++ {
			b, err := marshal(&pb.HistoryEntry{Id: int64(id)})
			if err != nil {
				return err
			}
			if err := hb.Put(itob(id), b); err != nil {
				return err
			}
		}
		return trimHistory(tx, hb, "web", 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids := historyIDs(t, s, "web", "east"); !slices.Equal(ids, []int64{1, 4, 5}) {
		t.Errorf("history %v, want [1 4 5]: the newest 2 and the desired state's #1", ids)
	}
}
