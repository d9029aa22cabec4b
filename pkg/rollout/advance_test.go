package rollout

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func canary() (Rollout, Strategy) {
	r := Rollout{Application: "web", Phase: Progressing, Steps: Members([]StepSelector{{Name: "canary", Count: 1}},
		[]Cluster{{Name: "c"}, {Name: "a"}, {Name: "b"}})}
	s := Strategy{Steps: []StepSpec{{Bake: 10 * time.Minute, Pause: true}}, ProgressDeadline: 5 * time.Minute}
	return r, s
}

func pending(plan string, clusters ...string) map[string]Observed {
	out := map[string]Observed{}
	for _, c := range clusters {
		out[c] = Observed{PendingPlan: plan}
	}
	return out
}

func phases(r Rollout) string {
	var b strings.Builder
	for _, s := range r.Steps {
		b.WriteString(s.Name + "[")
		for _, t := range s.Targets {
			b.WriteString(" " + t.Cluster + ":" + targetNames[t.Phase])
		}
		b.WriteString(" ] ")
	}
	return strings.TrimSpace(b.String())
}

var targetNames = map[TargetPhase]string{TargetPending: "Pending", TargetUpdating: "Updating", TargetBaking: "Baking", TargetDone: "Done",
	TargetFailed: "Failed", TargetReverting: "Reverting", TargetReverted: "Reverted"}

// A canary step bakes for its time (no waiting: the clock is given), then
// pauses for an approval; the next step launches within maxUnavailable.
func TestCanaryBakesPausesThenGoesOn(t *testing.T) {
	r, s := canary()
	if got := phases(r); got != "canary[ a:Pending ] remaining[ b:Pending c:Pending ]" {
		t.Fatalf("members: %s", got)
	}
	d := Advance(r, s, pending("P2", "a", "b", "c"), t0)
	if !reflect.DeepEqual(d.Launch, []Launch{{Cluster: "a", Plan: "P2"}}) || !d.Wake.Equal(t0.Add(5*time.Minute+time.Millisecond)) {
		t.Fatalf("first advance: launch %v wake %v", d.Launch, d.Wake)
	}
	if r.Steps[0].Targets[0].Phase != TargetPending {
		t.Fatal("Advance changed its input")
	}
	r = d.Rollout
	t1 := t0.Add(time.Minute)
	d = Advance(r, s, map[string]Observed{"a": {Ready: true}}, t1)
	if got := phases(d.Rollout); got != "canary[ a:Baking ] remaining[ b:Pending c:Pending ]" || !d.Wake.Equal(t1.Add(10*time.Minute)) {
		t.Fatalf("ready: %s wake %v", got, d.Wake)
	}
	r = d.Rollout
	d = Advance(r, s, map[string]Observed{"a": {Ready: true}}, t1.Add(9*time.Minute))
	if got := phases(d.Rollout); got != "canary[ a:Baking ] remaining[ b:Pending c:Pending ]" {
		t.Fatalf("mid-bake: %s", got)
	}
	d = Advance(r, s, map[string]Observed{"a": {Ready: true}}, t1.Add(10*time.Minute))
	r = d.Rollout
	if r.Phase != Paused || r.Steps[0].Phase != StepAwaitingApproval || !strings.Contains(r.Message, "flotilla rollout approve web") {
		t.Fatalf("after the bake: %v %q", r.Phase, r.Message)
	}
	if d2 := Advance(r, s, pending("P2", "b", "c"), t1.Add(time.Hour)); len(d2.Launch) != 0 {
		t.Fatalf("a paused rollout launched %v", d2.Launch)
	}
	r, err := Steer(r, Approve)
	if err != nil {
		t.Fatal(err)
	}
	d = Advance(r, s, pending("P2", "b", "c"), t1.Add(time.Hour))
	if !reflect.DeepEqual(d.Launch, []Launch{{Cluster: "b", Plan: "P2"}}) {
		t.Fatalf("after approval, maxUnavailable 1: launch %v", d.Launch)
	}
	if c := d.Rollout.Steps[1].Targets[1]; c.Phase != TargetPending || c.Message != "" {
		t.Fatalf("c beyond capacity: %+v", c)
	}
}

func TestAdvanceTable(t *testing.T) {
	updating := func(cluster, plan, prev string, since time.Time) Target {
		return Target{Cluster: cluster, Phase: TargetUpdating, Plan: plan, PreviousPlan: prev, UpdatedAt: since}
	}
	one := func(ts ...Target) Rollout {
		return Rollout{Application: "web", Phase: Progressing, Steps: []Step{{Name: "all", Phase: StepRunning, Targets: ts}}}
	}
	revert := Strategy{MaxUnavailable: 3, Revert: true}
	for _, tc := range []struct {
		name    string
		r       Rollout
		s       Strategy
		obs     map[string]Observed
		now     time.Time
		phases  string
		phase   Phase
		message string
		launch  []Launch
		revert  []RevertRequest
	}{
		{name: "a failure halts and asks to revert the updated targets",
			r: one(updating("a", "P2", "P1", t0), Target{Cluster: "b", Phase: TargetDone, Plan: "P2"}, updating("c", "P2", "", t0),
				Target{Cluster: "d", Phase: TargetPending}),
			s: revert, obs: map[string]Observed{"a": {Failed: true, Why: "Degraded: Deployment web"}}, now: t0.Add(time.Minute),
			phases: "all[ a:Failed b:Done c:Updating d:Pending ]", phase: Halted,
			message: "halted at all: a: Degraded: Deployment web; reverting the updated targets",
			revert:  []RevertRequest{{Cluster: "a", Plan: "P1"}}},
		{name: "without revert, a failure halts only",
			r: one(updating("a", "P2", "P1", t0)), s: Strategy{}, obs: map[string]Observed{"a": {Failed: true, Why: "sync failed: boom"}},
			now: t0, phases: "all[ a:Failed ]", phase: Halted, message: "halted at all: a: sync failed: boom"},
		{name: "past the progress deadline fails",
			r: one(updating("a", "P2", "P1", t0)), s: Strategy{ProgressDeadline: time.Minute}, obs: map[string]Observed{"a": {Why: "OutOfSync, Progressing"}},
			now: t0.Add(61 * time.Second), phases: "all[ a:Failed ]", phase: Halted,
			message: "halted at all: a: not Synced and Healthy within the progress deadline 1m0s: OutOfSync, Progressing"},
		{name: "within the deadline it waits",
			r: one(updating("a", "P2", "P1", t0)), s: Strategy{ProgressDeadline: time.Minute}, obs: map[string]Observed{"a": {Why: "syncing"}},
			now: t0.Add(59 * time.Second), phases: "all[ a:Updating ]", phase: Progressing},
		{name: "a baking target that turns unready updates again",
			r: one(Target{Cluster: "a", Phase: TargetBaking, Plan: "P2", HealthySince: t0}), obs: map[string]Observed{"a": {Why: "Degraded? no: Progressing"}},
			now: t0.Add(time.Second), phases: "all[ a:Updating ]", phase: Progressing},
		{name: "holds keep targets pending with the reason; no pending plan is done",
			r:   one(Target{Cluster: "a", Phase: TargetPending}, Target{Cluster: "b", Phase: TargetPending}, Target{Cluster: "c", Phase: TargetPending}),
			s:   Strategy{MaxUnavailable: 3},
			obs: map[string]Observed{"a": {PendingPlan: "P2", Hold: "sync window: deny"}, "b": {}, "c": {PendingPlan: "P2"}},
			now: t0, phases: "all[ a:Pending b:Done c:Updating ]", phase: Progressing, launch: []Launch{{Cluster: "c", Plan: "P2"}}},
		{name: "every target done completes the last step",
			r: one(Target{Cluster: "a", Phase: TargetBaking, Plan: "P2", HealthySince: t0}), obs: map[string]Observed{"a": {Ready: true}},
			now: t0, phases: "all[ a:Done ]", phase: Completed, message: "every step succeeded"},
		{name: "a reverting target ready is reverted; the revert is done",
			r: Rollout{Application: "web", Phase: Halted, Message: "halted at all: a: x; reverting the updated targets",
				Steps: []Step{{Name: "all", Phase: StepFailed, Targets: []Target{{Cluster: "a", Phase: TargetReverting, PreviousPlan: "P1", UpdatedAt: t0}}}}},
			s: revert, obs: map[string]Observed{"a": {Ready: true}}, now: t0.Add(time.Minute),
			phases: "all[ a:Reverted ]", phase: Halted, message: "halted at all: a: x; reverting the updated targets; revert done"},
		{name: "a revert past the deadline fails",
			r: Rollout{Application: "web", Phase: Halted, Message: "halted",
				Steps: []Step{{Name: "all", Phase: StepFailed, Targets: []Target{{Cluster: "a", Phase: TargetReverting, PreviousPlan: "P1", UpdatedAt: t0}}}}},
			s: revert, obs: map[string]Observed{"a": {Why: "Progressing"}}, now: t0.Add(11 * time.Minute),
			phases: "all[ a:Failed ]", phase: Halted, message: "halted; revert done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Advance(tc.r, tc.s, tc.obs, tc.now)
			if got := phases(d.Rollout); got != tc.phases {
				t.Errorf("targets %s, want %s", got, tc.phases)
			}
			if d.Rollout.Phase != tc.phase || (tc.message != "" && d.Rollout.Message != tc.message) {
				t.Errorf("rollout %v %q, want %v %q", d.Rollout.Phase, d.Rollout.Message, tc.phase, tc.message)
			}
			if !reflect.DeepEqual(d.Launch, tc.launch) || !reflect.DeepEqual(d.Revert, tc.revert) {
				t.Errorf("launch %v revert %v, want %v %v", d.Launch, d.Revert, tc.launch, tc.revert)
			}
		})
	}
}

func TestRevertResults(t *testing.T) {
	r := Rollout{Steps: []Step{{Targets: []Target{{Cluster: "a", Phase: TargetFailed, Message: "Degraded"}, {Cluster: "b", Phase: TargetDone, Message: "healthy"}}}}}
	Reverted(&r, "a", "P1-rechecked", t0)
	NotReverted(&r, "b", errors.New("project refuses it now"))
	a, b := r.Steps[0].Targets[0], r.Steps[0].Targets[1]
	if a.Phase != TargetReverting || a.PreviousPlan != "P1-rechecked" || a.Message != "reverting to plan P1-rechecked after: Degraded" || !a.UpdatedAt.Equal(t0) {
		t.Errorf("reverted: %+v", a)
	}
	if b.Phase != TargetDone || b.Message != "healthy (not reverted: project refuses it now)" {
		t.Errorf("not reverted: %+v", b)
	}
}

func TestSteer(t *testing.T) {
	r, _ := canary()
	halted := r.clone()
	halted.Phase = Halted
	halted.Steps[0].Targets[0].Phase = TargetFailed
	for _, tc := range []struct {
		name  string
		r     Rollout
		act   Action
		phase Phase
		err   bool
	}{
		{"pause a progressing rollout", r, Pause, Paused, false},
		{"resume what the user did not pause", r, Resume, 0, true},
		{"approve without a waiting step", r, Approve, 0, true},
		{"resume a halted rollout retries its step", halted, Resume, Progressing, false},
		{"abort a halted rollout", halted, Abort, Aborted, false},
		{"unknown command", r, Action("jump"), 0, true},
	} {
		n, err := Steer(tc.r, tc.act)
		if (err != nil) != tc.err || (!tc.err && n.Phase != tc.phase) {
			t.Errorf("%s: %v %v", tc.name, n.Phase, err)
		}
	}
	n, _ := Steer(halted, Resume)
	if tg := n.Steps[0].Targets[0]; tg.Phase != TargetPending || tg.Message != "retrying after resume" {
		t.Errorf("resume after a halt: %+v", tg)
	}
	if halted.Steps[0].Targets[0].Phase != TargetFailed {
		t.Error("Steer changed its input")
	}
}

func TestMembers(t *testing.T) {
	cs := []Cluster{{Name: "eu-2", Labels: map[string]string{"region": "eu"}}, {Name: "us-1", Labels: map[string]string{"region": "us"}},
		{Name: "eu-1", Labels: map[string]string{"region": "eu"}}, {Name: "us-2", Labels: map[string]string{"region": "us"}}, {Name: "ap-1"}}
	steps := Members([]StepSelector{{Name: "one eu", Selector: map[string]string{"region": "eu"}, Count: 1}, {Percent: 50}, {Selector: map[string]string{"region": "us"}}}, cs)
	var got []string
	for _, s := range steps {
		var names []string
		for _, t := range s.Targets {
			names = append(names, t.Cluster)
		}
		got = append(got, s.Name+"="+strings.Join(names, ","))
	}
	want := "one eu=eu-1 step 2=ap-1,eu-2 step 3=us-1,us-2"
	if strings.Join(got, " ") != want {
		t.Errorf("members %v, want %s", got, want)
	}
}

// A step that finishes without a pause asks to be decided again at once:
// the next step's targets were not observed yet.
func TestFinishedStepDecidesAgainAtOnce(t *testing.T) {
	r := Rollout{Application: "web", Phase: Progressing, Steps: []Step{
		{Name: "one", Phase: StepRunning, Targets: []Target{{Cluster: "a", Phase: TargetBaking, HealthySince: t0}}},
		{Name: "two", Phase: StepPending, Targets: []Target{{Cluster: "b", Phase: TargetPending}}}}}
	d := Advance(r, Strategy{}, map[string]Observed{"a": {Ready: true}}, t0.Add(time.Second))
	if d.Rollout.Step != 1 || !d.Wake.Equal(t0.Add(time.Second)) {
		t.Fatalf("step %d wake %v, want step 1 and a wake now", d.Rollout.Step, d.Wake)
	}
}

// A launch the hub could not carry out is pending again, to go at the
// next decision, with why.
func TestLaunchFailed(t *testing.T) {
	r, s := canary()
	d := Advance(r, s, pending("P2", "a", "b", "c"), t0)
	LaunchFailed(&d.Rollout, "a", errors.New("store: disk full"))
	a := d.Rollout.Steps[0].Targets[0]
	if a.Phase != TargetPending || a.Plan != "" || a.Message != "launch failed: store: disk full" {
		t.Fatalf("after a failed launch: %+v", a)
	}
	if d2 := Advance(d.Rollout, s, pending("P2", "a", "b", "c"), t0.Add(time.Second)); !reflect.DeepEqual(d2.Launch, []Launch{{Cluster: "a", Plan: "P2"}}) {
		t.Fatalf("the next decision launches %v, want a again", d2.Launch)
	}
}

// A cluster that joins after the rollout completed gets the revision in a
// step of its own; one already in the rollout is not added twice.
func TestAddTargets(t *testing.T) {
	r := Rollout{Application: "web", Phase: Completed, Step: 1, Steps: []Step{{Name: "all", Phase: StepSucceeded,
		Targets: []Target{{Cluster: "a", Phase: TargetDone}}}}}
	if AddTargets(&r, []string{"a"}) {
		t.Fatal("a cluster already in the rollout was added")
	}
	if !AddTargets(&r, []string{"a", "c", "b"}) || r.Phase != Progressing || r.Step != 1 || phases(r) != "all[ a:Done ] joined[ b:Pending c:Pending ]" {
		t.Fatalf("after joining: %v step %d %s", r.Phase, r.Step, phases(r))
	}
	d := Advance(r, Strategy{MaxUnavailable: 2}, pending("P1", "b", "c"), t0)
	if len(d.Launch) != 2 {
		t.Fatalf("joined clusters launched %v", d.Launch)
	}
}
