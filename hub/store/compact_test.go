package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("store inconsistent: %v", err)
	}
	return s
}

// A file more than half free is compacted when opened: it shrinks, and
// everything in it (bucket sequences included: history ids go on) stays.
func TestCompactAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	mustPut(t, s.PutApplication(&pb.Application{Name: "web"}, false))
	mustPut(t, s.AddCluster(&pb.Cluster{Name: "east"}, "tok"))
	for i := range 150 { // 150 plans of 16 KiB, then all but the last go
		p := &pb.Plan{Hash: fmt.Sprint("plan-", i), Objects: map[string][]byte{"x": make([]byte, 16<<10)}}
		_, err := s.Assign("web", "east", p, "c", "rev", "t", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} })
		mustPut(t, err)
	}
	if _, err := s.GC(GCOptions{}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s.Close())
	// A copy a crash left behind is removed.
	mustPut(t, os.WriteFile(filepath.Join(dir, "hub.db.compact"), []byte("partial"), 0o600))

	s = mustOpen(t, dir)
	cs := s.Compaction()
	t.Logf("compaction: %+v", cs)
	if !cs.Compacted || cs.After*2 >= cs.Before || cs.Free*2 <= cs.Before {
		t.Errorf("compaction %+v: want a compacted file under half its size", cs)
	}
	if _, err := os.Stat(filepath.Join(dir, "hub.db.compact")); !os.IsNotExist(err) {
		t.Errorf("the partial copy is still there: %v", err)
	}
	d, err := s.GetDesired("web", "east")
	mustPut(t, err)
	if _, err := s.GetPlan(d.PlanHash); err != nil || d.HistoryID != 150 {
		t.Errorf("after compaction: desired %+v, plan %v", d, err)
	}
	if _, err := s.Authenticate("tok", time.Now()); err != nil {
		t.Errorf("token lost by compaction: %v", err)
	}
	if d := assignN(t, s, "web", "east", 1); d.HistoryID != 151 {
		t.Errorf("next history id %d, want 151: the bucket sequence must survive compaction", d.HistoryID)
	}
	if ids := historyIDs(t, s, "web", "east"); len(ids) != DefaultHistoryLimit || ids[len(ids)-1] != 151 {
		t.Errorf("history %v", ids)
	}
	mustPut(t, s.Close())

	// A file that is mostly live is left alone.
	s = mustOpen(t, dir)
	if cs := s.Compaction(); cs.Compacted || cs.Before != cs.After {
		t.Errorf("second open compacted again: %+v", cs)
	}
	mustPut(t, s.Close())
}
