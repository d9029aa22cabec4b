package agent_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// With the hub down the spoke keeps enforcing its last plan; when the hub
// is back it reconnects (Hello naming the plan it runs, so nothing is
// resent) and delivers the status it buffered.
func TestHubDownSelfHealStillWorks(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM)
	e.startSpoke()
	p := e.plan("offline", cm("settings", "", "original"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(p, 1)
	e.succeeded("offline", p, time.Minute)
	var acks, hellos int
	e.hub.Read(func(v fakehub.View) { acks, hellos = len(v.Acks()), len(v.Hellos()) })

	e.hub.Stop()
	rv := e.editCM("settings", "v", "edited while the hub is down")
	rec.wait(t, "revert of the edit with the hub down", 30*time.Second, reverted("settings", "v", "original", rv))

	e.hub.Restart()
	e.hub.Wait(t, "reconnection with the buffered self-heal report", time.Minute, func(v fakehub.View) bool {
		if len(v.Hellos()) <= hellos {
			return false
		}
		for _, d := range v.DriftHistory("offline") {
			if d.GetSelfHealed() {
				return true
			}
		}
		return false
	})
	e.hub.Read(func(v fakehub.View) {
		h := v.Hellos()[len(v.Hellos())-1]
		if h.GetCurrentPlans()["offline"] != p.GetHash() || h.GetCurrentGenerations()["offline"] != 1 {
			t.Errorf("Hello after reconnect: %v, want plan %s generation 1", h, p.GetHash())
		}
		if len(v.Acks()) != acks {
			t.Errorf("%d acks after reconnect, want %d: the plan was resent", len(v.Acks()), acks)
		}
	})
}

// An object another writer keeps changing back is healed at once only a
// few times, then with growing backoff: the spoke does not join a tug of
// war.
func TestSelfHealBacksOffInAFight(t *testing.T) {
	e := setup(t)
	rec := e.record(gvrCM)
	e.startSpoke()
	p := e.plan("fight", cm("contested", "", "ours"), &pb.PlanOptions{SelfHeal: true}, "")
	e.hub.Assign(p, 1)
	e.succeeded("fight", p, time.Minute)

	// The other writer: rewrites the value as soon as it sees ours.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	w, err := e.dyn.Resource(gvrCM).Namespace(e.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=contested"})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			if v, _, _ := unstructured.NestedString(u.Object, "data", "v"); v == "ours" && ctx.Err() == nil {
				if err := unstructured.SetNestedField(u.Object, "theirs", "data", "v"); err != nil {
					t.Error(err)
					return
				}
				// Conflicts are expected: the spoke may have moved on.
				if _, err := e.dyn.Resource(gvrCM).Namespace(e.ns).Update(ctx, u, metav1.UpdateOptions{FieldManager: "other-controller"}); err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "modified") {
					t.Error(err)
				}
			}
		}
	})
	start := rvOf(e.get(gvrCM, "contested"))
	e.editCM("contested", "v", "theirs")
	// Count the heals (the spoke's value coming back) as the API server
	// reports them, with when the test saw them.
	var healedAt []time.Time
	isHeal := func(ev event) bool {
		v, _, _ := unstructured.NestedString(ev.obj.Object, "data", "v")
		if ev.name == "contested" && ev.rv > start && v == "ours" {
			healedAt = append(healedAt, time.Now())
		}
		return len(healedAt) >= 5
	}
	rec.wait(t, "five heals", time.Minute, isHeal)
	// 3 heals at once, then backoff from 1s, doubling.
	gaps := make([]time.Duration, 0, 4)
	for i := 1; i < len(healedAt); i++ {
		gaps = append(gaps, healedAt[i].Sub(healedAt[i-1]).Round(time.Millisecond))
	}
	t.Logf("gaps between heals in a fight: %v", gaps)
	if gaps[0] > 500*time.Millisecond || gaps[2] < 800*time.Millisecond || gaps[3] < 1600*time.Millisecond {
		t.Fatalf("gaps between heals %v: no growing backoff in a fight", gaps)
	}
	cancel()
}
