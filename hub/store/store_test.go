package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// open returns a store whose consistency is checked when the test ends.
func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("store inconsistent: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestCRUDAndTokens(t *testing.T) {
	s := open(t, t.TempDir())
	app := &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: "https://example.com/r.git"}}
	if err := s.PutApplication(app, false); err != nil {
		t.Fatal(err)
	}
	if err := s.PutApplication(app, false); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate create: %v", err)
	}
	if err := s.AddCluster(&pb.Cluster{Name: "east"}, "tok-east"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate("tok-east", time.Now())
	if err != nil || p.Kind != "cluster" || p.Name != "east" {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	if _, err := s.Authenticate("nope", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if err := s.RotateClusterToken("east", "tok-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate("tok-east", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("rotated token still valid")
	}
	// Tokens are stored hashed only.
	raw, err := os.ReadFile(filepath.Join(s.db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "tok-2") {
		t.Errorf("a token is stored in clear")
	}
	plan := &pb.Plan{Hash: "h1"}
	d, err := s.Assign("web", "east", plan, "c1", "abc", "tester", []InventoryItem{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "c"}}, func() *pb.HistoryEntry { return &pb.HistoryEntry{StartedAt: timestamppb.Now()} })
	if err != nil || d.Generation != 1 || d.HistoryID != 1 {
		t.Fatalf("assign: %+v %v", d, err)
	}
	d2, _ := s.Assign("web", "east", plan, "c1", "abc", "tester", nil, func() *pb.HistoryEntry { return &pb.HistoryEntry{} })
	if d2.Generation != 2 || d2.HistoryID != 2 {
		t.Errorf("second assign: %+v", d2)
	}
	if err := s.FinishHistory("web", "east", 1, func(h *pb.HistoryEntry) { h.Result = pb.OperationPhase_OPERATION_PHASE_SUCCEEDED }); err != nil {
		t.Fatal(err)
	}
	hist, _ := s.ListHistory("web", "east")
	if len(hist) != 2 || hist[0].GetResult() != pb.OperationPhase_OPERATION_PHASE_SUCCEEDED || hist[1].GetInitiatedBy() != "tester" {
		t.Errorf("history: %v", hist)
	}
	if err := s.DeleteApplication("web"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDesired("web", "east"); !errors.Is(err, ErrNotFound) {
		t.Errorf("desired state survived the application: %v", err)
	}
	if h, _ := s.ListHistory("web", ""); len(h) != 0 {
		t.Errorf("history survived the application")
	}
}

const envWriter = "FLOTILLA_STORE_WRITER_DIR"

// TestMain lets the kill -9 test re-run this binary as a busy writer.
func TestMain(m *testing.M) {
	if dir := os.Getenv(envWriter); dir != "" {
		writeForever(dir)
		return
	}
	os.Exit(m.Run())
}

func writeForever(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		app := fmt.Sprintf("app-%d", i%20)
		if err := s.PutApplication(&pb.Application{Name: app, Labels: map[string]string{"i": fmt.Sprint(i)}}, true); err != nil {
			os.Exit(1)
		}
		plan := &pb.Plan{Hash: fmt.Sprintf("plan-%d", i), Objects: map[string][]byte{"x": make([]byte, 4096)}}
		if _, err := s.Assign(app, "east", plan, "c", "rev", "w", []InventoryItem{{APIVersion: "v1", Kind: "ConfigMap", Name: "a"}}, func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); err != nil {
			os.Exit(1)
		}
		if _, err := s.UpdateTarget(app, "east", func(t *pb.TargetStatus) { t.Revision = fmt.Sprint(i) }); err != nil {
			os.Exit(1)
		}
	}
}

// TestSurvivesKill9 kills a process in the middle of writing and checks
// that the store opens, is consistent and holds only whole transactions.
func TestSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envWriter+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
			t.Fatalf("writer did not start: %q %v", buf, err)
		}
		time.Sleep(time.Duration(50+round*70) * time.Millisecond) // let it write for a while; any moment will do
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil {
			t.Fatal("writer exited cleanly; it should have been killed")
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: inconsistent after kill -9: %v", round, err)
		}
		// Every desired state points at a stored plan and its history entry
		// (written in the same transaction).
		apps, _ := s.ListApplications()
		for _, a := range apps {
			d, err := s.GetDesired(a.GetName(), "east")
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetPlan(d.PlanHash); err != nil {
				t.Errorf("round %d: %s: desired plan %s missing: %v", round, a.GetName(), d.PlanHash, err)
			}
			h, _ := s.ListHistory(a.GetName(), "east")
			if want := min(d.HistoryID, DefaultHistoryLimit); uint64(len(h)) != want || h[len(h)-1].GetId() != int64(d.HistoryID) {
				t.Errorf("round %d: %s: %d history entries, want the last %d up to #%d named by the desired state", round, a.GetName(), len(h), want, d.HistoryID)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if len(apps) == 0 {
			t.Fatalf("round %d: the writer wrote nothing before being killed", round)
		}
	}
}
