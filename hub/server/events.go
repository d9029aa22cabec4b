package server

import (
	"sync"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Events fans target status changes out to watchers. A slow watcher never
// blocks: it keeps only the latest status per target until it reads.
type Events struct {
	mu   sync.Mutex
	subs map[*watcher]struct{}
}

type watcher struct {
	app    string
	mu     sync.Mutex
	latest map[string]*pb.TargetStatus
	order  []string
	wake   chan struct{}
}

// NewEvents creates a broadcaster.
func NewEvents() *Events { return &Events{subs: map[*watcher]struct{}{}} }

// Publish sends t to every watcher of its application.
func (e *Events) Publish(t *pb.TargetStatus) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for w := range e.subs {
		if w.app != "" && w.app != t.GetApplication() {
			continue
		}
		key := t.GetApplication() + "/" + t.GetCluster()
		w.mu.Lock()
		if _, ok := w.latest[key]; !ok {
			w.order = append(w.order, key)
		}
		w.latest[key] = proto.Clone(t).(*pb.TargetStatus)
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (e *Events) subscribe(app string) *watcher {
	w := &watcher{app: app, latest: map[string]*pb.TargetStatus{}, wake: make(chan struct{}, 1)}
	e.mu.Lock()
	e.subs[w] = struct{}{}
	e.mu.Unlock()
	return w
}

func (e *Events) unsubscribe(w *watcher) {
	e.mu.Lock()
	delete(e.subs, w)
	e.mu.Unlock()
}

func (w *watcher) take() []*pb.TargetStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*pb.TargetStatus, 0, len(w.order))
	for _, k := range w.order {
		out = append(out, w.latest[k])
	}
	w.order, w.latest = nil, map[string]*pb.TargetStatus{}
	return out
}
