package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ErrNotConnected is returned when a request needs a spoke that is not
// connected.
var ErrNotConnected = errors.New("spoke not connected")

// featureLiveDiff is the Hello feature of spokes that answer LiveDiff.
const featureLiveDiff = "live-diff"

// liveDiffIDs numbers LiveDiff requests across the hub's life, so an
// answer to a request of an earlier stream never matches a new one.
var liveDiffIDs atomic.Uint64

// liveDiffs are the LiveDiff requests a connection waits answers for.
type liveDiffs struct {
	mu      sync.Mutex
	waiting map[uint64]chan *pb.LiveDiffResult
}

func (l *liveDiffs) add() (uint64, chan *pb.LiveDiffResult) {
	id := liveDiffIDs.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting == nil {
		l.waiting = map[uint64]chan *pb.LiveDiffResult{}
	}
	ch := make(chan *pb.LiveDiffResult, 1)
	l.waiting[id] = ch
	return id, ch
}

func (l *liveDiffs) remove(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.waiting, id)
}

// answer hands a result to its waiter; answers nobody waits for are dropped.
func (l *liveDiffs) answer(r *pb.LiveDiffResult) {
	l.mu.Lock()
	ch := l.waiting[r.GetId()]
	delete(l.waiting, r.GetId())
	l.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// LiveDiff asks a cluster's spoke what syncing p would change there: the
// spoke compares the plan with its live objects and changes nothing. It
// fails with ErrNotConnected when the spoke is not connected, and when the
// stream ends or ctx is done before the answer.
func (s *Spokes) LiveDiff(ctx context.Context, cluster string, p *pb.Plan) ([]*pb.DriftedResource, error) {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("cluster %q: %w", cluster, ErrNotConnected)
	}
	if !slices.Contains(c.hello.GetFeatures(), featureLiveDiff) {
		return nil, fmt.Errorf("cluster %q: spoke %s does not compare plans with live objects (upgrade it)", cluster, c.hello.GetAgentVersion())
	}
	id, ch := c.diffs.add()
	defer c.diffs.remove(id)
	c.queue(fmt.Sprintf("diff/%d", id), &pb.ConnectResponse{Msg: &pb.ConnectResponse_LiveDiff{LiveDiff: &pb.LiveDiffRequest{Id: id, Plan: p}}})
	select {
	case r := <-ch:
		if r.GetError() != "" {
			return nil, fmt.Errorf("cluster %q: %s", cluster, r.GetError())
		}
		return r.GetResources(), nil
	case <-c.done:
		return nil, fmt.Errorf("cluster %q: %w (stream ended before the answer)", cluster, ErrNotConnected)
	case <-ctx.Done():
		return nil, fmt.Errorf("cluster %q: no answer from the spoke: %w", cluster, ctx.Err())
	}
}
