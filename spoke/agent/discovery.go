package agent

import (
	"context"
	"strings"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// discoveryInterval is how often the spoke re-reads discovery to notice
// kinds created or deleted by others (its own runs check after each run).
const discoveryInterval = 2 * time.Minute

// servedKinds reads the kinds the cluster serves and remembers them as
// what the hub was told.
func (a *Agent) servedKinds(ctx context.Context, refresh bool) ([]*pb.ServedKind, bool, error) {
	kinds, err := a.cluster.ServedKinds(ctx, refresh)
	if err != nil {
		return nil, false, err
	}
	out := make([]*pb.ServedKind, len(kinds))
	var key strings.Builder
	for i, k := range kinds {
		out[i] = &pb.ServedKind{Group: k.GroupKind.Group, Kind: k.GroupKind.Kind, Namespaced: k.Namespaced}
		key.WriteString(k.GroupKind.String())
		if k.Namespaced {
			key.WriteString("+ns")
		}
		key.WriteByte(';')
	}
	a.mu.Lock()
	changed := a.sentKinds != key.String()
	a.sentKinds = key.String()
	a.mu.Unlock()
	return out, changed, nil
}

// reportDiscovery tells the hub the kinds the cluster serves when they
// changed since it was last told (a run created a CRD, someone deleted
// one), so that plans held on a kind not served yet go on.
func (a *Agent) reportDiscovery(ctx context.Context) {
	kinds, changed, err := a.servedKinds(ctx, true)
	if err != nil {
		a.log.Warn("discovery", "err", err)
		return
	}
	if changed {
		a.log.Info("served kinds changed; telling the hub", "kinds", len(kinds))
		a.out.Put(outboxDiscovery, &pb.ConnectRequest{Msg: &pb.ConnectRequest_Discovery{Discovery: &pb.DiscoveryReport{Kinds: kinds}}})
	}
}

// watchDiscovery re-reads discovery every interval until ctx ends.
func (a *Agent) watchDiscovery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.reportDiscovery(ctx)
		}
	}
}

// outboxDiscovery is the outbox key of discovery reports (latest wins).
const outboxDiscovery = "discovery"
