package server

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Audit records every mutating admin call in the store and the log.
type Audit struct {
	pb.UnimplementedAuditServiceServer
	Store     *store.Store
	Log       *slog.Logger
	Retention store.AuditRetention

	// anonymous bounds the entries unauthenticated callers may add to the
	// store, so that they cannot push real entries out of the retention
	// window (beyond it their calls are still logged).
	anonymous *rate.Limiter
	once      sync.Once
}

// Anonymous entries stored: a burst, then one a second.
const (
	anonymousBurst = 100
	anonymousRate  = 1
)

// callInfo carries who a call's token authenticated from the auth
// interceptor back out to the audit interceptor around it.
type callInfo struct{ principal string }

type callInfoKey struct{}

func noteCaller(ctx context.Context, p store.Principal) {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		ci.principal = p.Kind + ":" + p.Name
	}
}

// mutating reports whether an admin method changes anything: every method
// of the admin services but reads (Get, List, Watch, Diff), so that a new
// RPC is audited unless it is plainly a read.
func mutating(method string) bool {
	if open(method) || !strings.HasPrefix(method, "/flotilla.v1.") {
		return false
	}
	name := method[strings.LastIndex(method, "/")+1:]
	for _, read := range []string{"Get", "List", "Watch", "Diff"} {
		if strings.HasPrefix(name, read) {
			return false
		}
	}
	return true
}

// Unary records mutating calls: who, what, when, result.
func (a *Audit) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !mutating(info.FullMethod) {
			return h(ctx, req)
		}
		ci := &callInfo{principal: "unauthenticated"}
		start := time.Now()
		resp, err := h(context.WithValue(ctx, callInfoKey{}, ci), req)
		a.record(ctx, ci.principal, info.FullMethod, req, start, err)
		return resp, err
	}
}

func (a *Audit) record(ctx context.Context, who, method string, req any, start time.Time, err error) {
	st := status.Convert(err)
	kind, name := auditObject(method, req)
	e := &pb.AuditEntry{Time: timestamppb.Now(), Principal: who, Method: method, Kind: kind, Name: name,
		Code: st.Code().String(), Message: redactText(st.Message()), DurationMs: time.Since(start).Milliseconds()}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		e.Peer = p.Addr.String()
	}
	a.once.Do(func() { a.anonymous = rate.NewLimiter(anonymousRate, anonymousBurst) })
	if who == "unauthenticated" && !a.anonymous.Allow() {
		auditDropped.Inc()
		a.Log.Info("audit", "principal", e.Principal, "method", e.Method, "kind", e.Kind, "name", e.Name,
			"code", e.Code, "durationMs", e.DurationMs, "peer", e.Peer, "stored", false)
		return
	}
	a.Log.Info("audit", "principal", e.Principal, "method", e.Method, "kind", e.Kind, "name", e.Name,
		"code", e.Code, "message", e.Message, "durationMs", e.DurationMs, "peer", e.Peer)
	if err := a.Store.AppendAudit(e, a.Retention); err != nil {
		a.Log.Error("audit entry not stored", "method", method, "name", name, "err", err)
	}
}

// serviceKinds names the object kind each admin service is about.
var serviceKinds = map[string]string{"ApplicationService": "application", "ProjectService": "project",
	"ClusterService": "cluster", "RepositoryService": "repository", "RolloutService": "rollout",
	"ApplicationSetService": "applicationset", "ConfigService": "config"}

// auditObject names the object a request is about: its name (or url)
// field, or that of its one top-level message (CreateApplication's
// application). Nothing else of the request is kept: secrets stay out.
func auditObject(method string, req any) (kind, name string) {
	svc := strings.TrimPrefix(method[:max(strings.LastIndex(method, "/"), 0)], "/flotilla.v1.")
	kind = serviceKinds[svc]
	m, ok := req.(proto.Message)
	if !ok {
		return kind, ""
	}
	r := m.ProtoReflect()
	if n := nameField(r); n != "" {
		return kind, n
	}
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && r.Has(f) {
			if n := nameField(r.Get(f).Message()); n != "" {
				return kind, n
			}
		}
	}
	return kind, ""
}

func nameField(m protoreflect.Message) string {
	for _, key := range []protoreflect.Name{"name", "url"} {
		if f := m.Descriptor().Fields().ByName(key); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			if v := m.Get(f).String(); v != "" {
				return redactText(v)
			}
		}
	}
	return ""
}

// userinfo matches the credentials of a URL (https://user:pass@host).
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@`)

// redactText removes URL credentials and bounds the length.
func redactText(s string) string {
	s = userinfo.ReplaceAllString(s, "${1}REDACTED@")
	if len(s) > 1024 {
		s = s[:1024] + "…"
	}
	return s
}

// ListAuditEntries implements AuditService.
func (a *Audit) ListAuditEntries(_ context.Context, r *pb.ListAuditEntriesRequest) (*pb.ListAuditEntriesResponse, error) {
	limit := int(r.GetLimit())
	switch {
	case limit < 0 || limit > maxAuditList:
		return nil, invalid("limit %d: want 0 (100) to %d", limit, maxAuditList)
	case limit == 0:
		limit = 100
	}
	f := store.AuditFilter{Limit: limit, Principal: r.GetPrincipal(), Kind: r.GetKind(), Name: r.GetName(), Method: r.GetMethod(), FailedOnly: r.GetFailedOnly()}
	if r.GetSince() != nil {
		if err := r.GetSince().CheckValid(); err != nil {
			return nil, invalid("since: %v", err)
		}
		f.Since = r.GetSince().AsTime()
	}
	es, err := a.Store.ListAudit(f)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "audit log: %v", err)
	}
	return &pb.ListAuditEntriesResponse{Entries: es}, nil
}

const maxAuditList = 10000
