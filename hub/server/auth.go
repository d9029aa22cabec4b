package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/store"
)

type principalKey struct{}

// Authorizer decides whether an authenticated principal may make a call
// with its request (RBAC). Its error is the call's status.
type Authorizer interface {
	Authorize(ctx context.Context, p store.Principal, method string, req any) error
}

// Auth authenticates every admin call's bearer token and has it
// authorized.
type Auth struct {
	Store *store.Store
	Authz Authorizer
	Now   func() time.Time // default time.Now
}

func (a *Auth) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// bearer returns the call's bearer token, or "".
func bearer(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	for _, v := range md.Get("authorization") {
		if t, ok := strings.CutPrefix(v, "Bearer "); ok {
			token = strings.TrimSpace(t)
		}
	}
	return token
}

// principal authenticates the bearer token of an incoming call.
func (a *Auth) principal(ctx context.Context) (store.Principal, error) {
	token := bearer(ctx)
	if token == "" {
		return store.Principal{}, status.Error(codes.Unauthenticated, "missing bearer token (authorization: Bearer TOKEN)")
	}
	p, err := a.Store.Authenticate(token, a.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Principal{}, status.Error(codes.Unauthenticated, "invalid token")
	case errors.Is(err, store.ErrExpired):
		return store.Principal{}, status.Error(codes.Unauthenticated, "token expired: log in again")
	case err != nil:
		return store.Principal{}, status.Errorf(codes.Internal, "authenticate: %v", err)
	}
	return p, nil
}

// open methods need no token: spokes authenticate in Connect; health and
// reflection are for probes and grpcurl; Login is how a token is had, and
// GetSettings says how to log in.
func open(method string) bool {
	return strings.HasPrefix(method, "/flotilla.v1.SpokeService/") || strings.HasPrefix(method, "/grpc.health.v1.") ||
		strings.HasPrefix(method, "/grpc.reflection.") || method == methodLogin || method == methodGetSettings
}

const (
	methodLogin       = "/flotilla.v1.AccountService/Login"
	methodGetSettings = "/flotilla.v1.AccountService/GetSettings"
)

// authenticate returns ctx carrying the caller, or the call's error.
func (a *Auth) authenticate(ctx context.Context) (context.Context, store.Principal, error) {
	p, err := a.principal(ctx)
	if err != nil {
		return nil, p, err
	}
	noteCaller(ctx, p)
	return withAccess(context.WithValue(ctx, principalKey{}, p)), p, nil
}

// Unary authenticates and authorizes admin calls.
func (a *Auth) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if open(info.FullMethod) {
			return h(ctx, req)
		}
		ctx, p, err := a.authenticate(ctx)
		if err != nil {
			return nil, err
		}
		if err := a.Authz.Authorize(ctx, p, info.FullMethod, req); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// Stream authenticates admin streams and authorizes each on its request
// (the first message the client sends).
func (a *Auth) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if open(info.FullMethod) {
			return h(srv, ss)
		}
		ctx, p, err := a.authenticate(ss.Context())
		if err != nil {
			return err
		}
		return h(srv, &authorizedStream{ServerStream: ss, ctx: ctx, check: func(req any) error {
			return a.Authz.Authorize(ctx, p, info.FullMethod, req)
		}})
	}
}

// authorizedStream carries the caller and authorizes the first request.
type authorizedStream struct {
	grpc.ServerStream
	ctx     context.Context
	check   func(req any) error
	checked bool
}

func (s *authorizedStream) Context() context.Context { return s.ctx }

func (s *authorizedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if !s.checked {
		s.checked = true
		return s.check(m)
	}
	return nil
}

// caller returns the authenticated principal of a call.
func caller(ctx context.Context) (store.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(store.Principal)
	return p, ok
}

func who(ctx context.Context) string {
	if p, ok := caller(ctx); ok {
		return p.Kind + ":" + p.Name
	}
	return "unknown"
}
