package server

import (
	"fmt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Bounds on a spoke's discovery: more kinds than any real cluster serves,
// names no longer than Kubernetes allows.
const (
	maxServedKinds   = 20000
	maxKindNameBytes = 253
)

// discovered records the kinds a cluster serves (from its Hello or a
// DiscoveryReport) and, when they changed, tells the controller, which
// plans the cluster's applications again with them.
func (s *Spokes) discovered(cluster string, kinds []*pb.ServedKind) {
	if len(kinds) == 0 {
		return // an older spoke, or discovery failed: keep what is known
	}
	if err := checkKinds(kinds); err != nil {
		s.log.Warn("discovery refused", "cluster", cluster, "err", err)
		return
	}
	changed, err := s.store.PutDiscovery(cluster, &pb.DiscoveryReport{Kinds: kinds})
	if err != nil {
		s.log.Warn("store discovery", "cluster", cluster, "err", err)
		return
	}
	if changed && s.DiscoveryChanged != nil {
		s.log.Info("served kinds changed", "cluster", cluster, "kinds", len(kinds))
		s.DiscoveryChanged(cluster)
	}
}

func checkKinds(kinds []*pb.ServedKind) error {
	if len(kinds) > maxServedKinds {
		return fmt.Errorf("%d kinds, more than the limit of %d", len(kinds), maxServedKinds)
	}
	for _, k := range kinds {
		if k.GetKind() == "" || len(k.GetKind()) > maxKindNameBytes || len(k.GetGroup()) > maxKindNameBytes {
			return fmt.Errorf("kind %q of group %q: empty or longer than %d bytes", k.GetKind(), k.GetGroup(), maxKindNameBytes)
		}
	}
	return nil
}
