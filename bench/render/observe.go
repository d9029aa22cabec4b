package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// observer counts what the simulated spoke and a WatchApplications stream
// see of the hub.
type observer struct {
	mu        sync.Mutex
	last      time.Time       // of the last plan or update
	messages  int             // from WatchApplications streams, snapshots included
	plans     int             // plans received by the spoke
	hashes    map[string]bool // distinct plans received
	planned   map[string]bool // applications with a plan
	succeeded map[string]bool // applications whose last status is Succeeded
	updated   map[string]bool // applications with a status update since mark
}

func newObserver() *observer {
	return &observer{last: time.Now(), hashes: map[string]bool{}, planned: map[string]bool{}, succeeded: map[string]bool{}, updated: map[string]bool{}}
}

// plan is the simulated spoke's callback.
func (o *observer) plan(p *pb.Plan) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = time.Now()
	o.plans++
	o.hashes[p.GetHash()] = true
	o.planned[p.GetApplication()] = true
}

// watch follows every application's target updates until the stream ends.
func (o *observer) watch(stream pb.ApplicationService_WatchApplicationsClient) {
	for {
		m, err := stream.Recv()
		if err != nil {
			return
		}
		t := m.GetTarget()
		o.mu.Lock()
		o.last = time.Now()
		o.messages++
		o.updated[t.GetApplication()] = true
		o.succeeded[t.GetApplication()] = t.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
		o.mu.Unlock()
	}
}

// mark forgets the updates seen so far.
func (o *observer) mark() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.updated = map[string]bool{}
}

// watched returns the messages the watches received.
func (o *observer) watched() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.messages
}

// waitWatched polls until the watches received n messages.
func (o *observer) waitWatched(ctx context.Context, what string, n int) error {
	for {
		got := o.watched()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %d of %d messages", what, got, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// received returns the plans received, and how many were distinct.
func (o *observer) received() (plans, distinct int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.plans, len(o.hashes)
}

// quiet waits until neither a plan nor an update came for d: the hub has
// worked through the spoke's reports (each one publishes an update) and
// has no unacked plan left to resend.
func (o *observer) quiet(ctx context.Context, d time.Duration) error {
	for {
		o.mu.Lock()
		idle := time.Since(o.last)
		o.mu.Unlock()
		if idle >= d {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hub not quiet for %s", d)
		case <-time.After(d - idle):
		}
	}
}

// count returns how many applications are true in the set.
func count(set map[string]bool) int {
	n := 0
	for _, ok := range set {
		if ok {
			n++
		}
	}
	return n
}

// waitFor polls until the set picked from the observer holds n
// applications.
func (o *observer) waitFor(ctx context.Context, what string, n int, set func(*observer) map[string]bool) error {
	for {
		o.mu.Lock()
		got := count(set(o))
		o.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %d of %d applications", what, got, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func planned(o *observer) map[string]bool   { return o.planned }
func succeeded(o *observer) map[string]bool { return o.succeeded }
func updated(o *observer) map[string]bool   { return o.updated }
