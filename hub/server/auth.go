package server

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/store"
)

type principalKey struct{}

// principal authenticates the bearer token of an incoming call.
func principal(ctx context.Context, st *store.Store) (store.Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	for _, v := range md.Get("authorization") {
		if t, ok := strings.CutPrefix(v, "Bearer "); ok {
			token = strings.TrimSpace(t)
		}
	}
	if token == "" {
		return store.Principal{}, status.Error(codes.Unauthenticated, "missing bearer token (authorization: Bearer TOKEN)")
	}
	p, err := st.Authenticate(token)
	if errors.Is(err, store.ErrNotFound) {
		return store.Principal{}, status.Error(codes.Unauthenticated, "invalid token")
	} else if err != nil {
		return store.Principal{}, status.Errorf(codes.Internal, "authenticate: %v", err)
	}
	return p, nil
}

// open methods need no admin token: spokes authenticate in Connect; health
// and reflection are for probes and grpcurl.
func open(method string) bool {
	return strings.HasPrefix(method, "/flotilla.v1.SpokeService/") || strings.HasPrefix(method, "/grpc.health.v1.") ||
		strings.HasPrefix(method, "/grpc.reflection.")
}

func adminOnly(ctx context.Context, st *store.Store, method string) (context.Context, error) {
	if open(method) {
		return ctx, nil
	}
	p, err := principal(ctx, st)
	if err != nil {
		return nil, err
	}
	noteCaller(ctx, p)
	if p.Kind != "admin" {
		return nil, status.Error(codes.PermissionDenied, "admin token required")
	}
	return context.WithValue(ctx, principalKey{}, p), nil
}

// UnaryAuth requires an admin token on admin calls.
func UnaryAuth(st *store.Store) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, err := adminOnly(ctx, st, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamAuth requires an admin token on admin streams.
func StreamAuth(st *store.Store) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if _, err := adminOnly(ss.Context(), st, info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

func who(ctx context.Context) string {
	if p, ok := ctx.Value(principalKey{}).(store.Principal); ok {
		return p.Kind + ":" + p.Name
	}
	return "unknown"
}
