package conn

import (
	"slices"
	"strings"
	"sync"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Outbox is the spoke's queue of messages to the hub, coalescing per key:
// a message replaces the unsent one of its key (latest wins, queued last:
// nothing is sent ahead of a message queued before it, so a drift report
// made after a sync ended arrives after that sync's result), so a flapping
// object cannot flood the stream,
// and what was not sent stays queued across reconnects. Keys are
// "<kind>/<application>" (progress/web, health/web, drift/web, ack/web).
type Outbox struct {
	mu      sync.Mutex
	order   []string
	pending map[string]*pb.ConnectRequest
	wake    chan struct{}
}

// NewOutbox returns an empty outbox.
func NewOutbox() *Outbox {
	return &Outbox{pending: map[string]*pb.ConnectRequest{}, wake: make(chan struct{}, 1)}
}

type entry struct {
	key string
	msg *pb.ConnectRequest
}

// Put queues m under key, replacing an unsent message of that key.
func (o *Outbox) Put(key string, m *pb.ConnectRequest) {
	o.mu.Lock()
	o.requeueLocked(key)
	o.pending[key] = m
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Merge queues the message fn returns for key; fn receives the unsent
// message of that key, or nil, so a report can fold in what the message it
// replaces said (a self-heal that must not be lost to coalescing).
func (o *Outbox) Merge(key string, fn func(unsent *pb.ConnectRequest) *pb.ConnectRequest) {
	o.mu.Lock()
	old := o.pending[key]
	o.requeueLocked(key)
	o.pending[key] = fn(old)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// requeueLocked moves key to the end of the order (adding it if new).
func (o *Outbox) requeueLocked(key string) {
	if _, ok := o.pending[key]; ok {
		for i, k := range o.order {
			if k == key {
				o.order = append(o.order[:i], o.order[i+1:]...)
				break
			}
		}
	}
	o.order = append(o.order, key)
}

// Drop removes the unsent messages whose key starts with prefix (acks
// name a stream's sequence numbers and mean nothing on the next stream).
func (o *Outbox) Drop(prefix string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	kept := o.order[:0]
	for _, k := range o.order {
		if strings.HasPrefix(k, prefix) {
			delete(o.pending, k)
			continue
		}
		kept = append(kept, k)
	}
	o.order = kept
}

// Remove removes the unsent messages of exactly these keys.
func (o *Outbox) Remove(keys ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	gone := map[string]bool{}
	for _, k := range keys {
		if _, ok := o.pending[k]; ok {
			gone[k] = true
			delete(o.pending, k)
		}
	}
	o.order = slices.DeleteFunc(o.order, func(k string) bool { return gone[k] })
}

// Len is the number of unsent messages.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.order)
}

// take removes and returns every unsent message, in order.
func (o *Outbox) take() []entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]entry, 0, len(o.order))
	for _, k := range o.order {
		out = append(out, entry{k, o.pending[k]})
	}
	o.order, o.pending = nil, make(map[string]*pb.ConnectRequest, len(out))
	return out
}

// putBack requeues messages that could not be sent, ahead of newer keys,
// unless a newer message of the same key was queued meanwhile.
func (o *Outbox) putBack(es []entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var front []string
	for _, e := range es {
		if _, newer := o.pending[e.key]; newer {
			continue
		}
		o.pending[e.key] = e.msg
		front = append(front, e.key)
	}
	o.order = append(front, o.order...)
}
