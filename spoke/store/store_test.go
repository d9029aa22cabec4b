package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// open returns a store in a temporary directory whose consistency is
// checked when the test ends (bbolt's btesting pattern).
func open(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("store inconsistent: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, dir
}

func TestTargetLifecycle(t *testing.T) {
	s, _ := open(t)
	if _, _, err := s.Target("web"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing target: %v, want ErrNotFound", err)
	}
	run := Run{Phase: Running, StartedAt: time.Unix(10, 0).UTC()}
	if err := s.PutTarget(Target{App: "web", PlanHash: "p1", Generation: 1, Run: run}, []byte("plan-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTarget(Target{App: "api", PlanHash: "p1", Generation: 3, Run: run}, []byte("plan-1")); err != nil {
		t.Fatal(err)
	}
	run.Step = 2
	run.Hooks = map[string]Hook{"0/0": {Name: "pre-x1", Phase: Succeeded}}
	if err := s.SaveRun("web", "p1", 1, run); err != nil {
		t.Fatal(err)
	}
	got, plan, err := s.Target("web")
	if err != nil {
		t.Fatal(err)
	}
	if string(plan) != "plan-1" || !reflect.DeepEqual(got.Run, run) {
		t.Fatalf("target %+v plan %q, want run %+v", got, plan, run)
	}
	// A newer plan supersedes runs of the old one.
	if err := s.PutTarget(Target{App: "web", PlanHash: "p2", Generation: 2, Run: Run{Phase: Running}}, []byte("plan-2")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRun("web", "p1", 1, run); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("stale run saved: %v, want ErrSuperseded", err)
	}
	if err := s.SaveRun("web", "p2", 1, run); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("run of an older generation saved: %v, want ErrSuperseded", err)
	}
	// A sync of the same plan starts a new run; the old one can no longer
	// save (runs are told apart by their start).
	old := Run{Phase: Running, StartedAt: time.Unix(20, 0).UTC()}
	if err := s.StartRun("web", "p2", 2, old); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun("web", "p2", 2, Run{Phase: Running, StartedAt: time.Unix(30, 0).UTC()}); err != nil {
		t.Fatal(err)
	}
	old.Step = 3
	if err := s.SaveRun("web", "p2", 2, old); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("run replaced by a new sync saved: %v, want ErrSuperseded", err)
	}
	ts, err := s.Targets()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].App != "api" || ts[1].App != "web" || ts[1].PlanHash != "p2" {
		t.Fatalf("targets %+v", ts)
	}
	if err := s.DeleteTarget("api"); err != nil {
		t.Fatal(err)
	}
	// Check (in cleanup) proves p1, now unused, was dropped.
}

func TestInventory(t *testing.T) {
	s, _ := open(t)
	cm := func(name string) Ref { return Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: name} }
	dep := Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "web"}
	if err := s.UpdateInventory("web", []Ref{cm("a"), dep, cm("b")}, nil); err != nil {
		t.Fatal(err)
	}
	newer := dep
	newer.APIVersion = "apps/v1beta2" // same identity: replaced in place
	if err := s.UpdateInventory("web", []Ref{newer, cm("c")}, []Ref{cm("a")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Inventory("web")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{newer, cm("b"), cm("c")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("inventory %v, want %v", got, want)
	}
	if err := s.UpdateInventory("web", nil, want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Inventory("web"); err != nil || len(got) != 0 {
		t.Fatalf("emptied inventory %v, %v", got, err)
	}
}

func TestReopenKeepsState(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutTarget(Target{App: "web", PlanHash: "p1", Generation: 7, Run: Run{Phase: Failed, Message: "boom"}}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _, err := s.Target("web")
	if err != nil || got.Generation != 7 || got.Run.Message != "boom" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
