package agent

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// clusterHandler adds the cluster's name (known once the hub welcomed the
// spoke) to every record, under the fixed key "cluster".
type clusterHandler struct {
	slog.Handler
	name *atomic.Pointer[string]
}

// withCluster wraps log's handler; set the name with the returned func.
func withCluster(log *slog.Logger) (*slog.Logger, func(string)) {
	name := &atomic.Pointer[string]{}
	return slog.New(&clusterHandler{Handler: log.Handler(), name: name}), func(n string) { name.Store(&n) }
}

func (h *clusterHandler) Handle(ctx context.Context, r slog.Record) error {
	if n := h.name.Load(); n != nil && *n != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("cluster", *n))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *clusterHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &clusterHandler{Handler: h.Handler.WithAttrs(attrs), name: h.name}
}

func (h *clusterHandler) WithGroup(name string) slog.Handler {
	return &clusterHandler{Handler: h.Handler.WithGroup(name), name: h.name}
}
