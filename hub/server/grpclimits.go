package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GRPCLimits bound the gRPC services separately: spokes' streams carry
// plans and reports, the admin API small requests from people and tools.
type GRPCLimits struct {
	SpokeMaxMessageBytes int // one message on a spoke stream
	AdminMaxMessageBytes int // one admin request (health and reflection included)
	MaxSpokeStreams      int // spoke streams open at once
	MaxAdminCalls        int // admin calls and streams in flight at once
	MaxSendMessageBytes  int // one message the hub sends (plans, listings)
}

// DefaultGRPCLimits fit 10,000 spokes and large plans.
func DefaultGRPCLimits() GRPCLimits {
	return GRPCLimits{SpokeMaxMessageBytes: 64 << 20, AdminMaxMessageBytes: 4 << 20, MaxSpokeStreams: 10000,
		MaxAdminCalls: 256, MaxSendMessageBytes: 256 << 20}
}

// Validate refuses a limit that would refuse everything, naming its flag.
func (l GRPCLimits) Validate() error {
	for _, c := range []struct {
		flag string
		v    int
	}{{"--spoke-max-message", l.SpokeMaxMessageBytes}, {"--admin-max-message", l.AdminMaxMessageBytes},
		{"--max-spoke-streams", l.MaxSpokeStreams}, {"--max-admin-calls", l.MaxAdminCalls}, {"--max-send-message", l.MaxSendMessageBytes}} {
		if c.v < 1 {
			return fmt.Errorf("%s %d: want at least 1", c.flag, c.v)
		}
	}
	return nil
}

// limiter enforces GRPCLimits per service class.
type limiter struct {
	l             GRPCLimits
	spokes, admin chan struct{} // semaphores
}

func newLimiter(l GRPCLimits) *limiter {
	return &limiter{l: l, spokes: make(chan struct{}, l.MaxSpokeStreams), admin: make(chan struct{}, l.MaxAdminCalls)}
}

func spokeMethod(method string) bool { return strings.HasPrefix(method, "/flotilla.v1.SpokeService/") }

// acquire takes a slot of the method's class or says which limit is full.
func (lm *limiter) acquire(method string) (func(), error) {
	sem, what, flag := lm.admin, "admin calls", "--max-admin-calls"
	if spokeMethod(method) {
		sem, what, flag = lm.spokes, "spoke streams", "--max-spoke-streams"
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	default:
		return nil, status.Errorf(codes.ResourceExhausted, "%s: the hub already serves %d %s (%s)", method, cap(sem), what, flag)
	}
}

func (lm *limiter) checkSize(method string, m any) error {
	limit, flag := lm.l.AdminMaxMessageBytes, "--admin-max-message"
	if spokeMethod(method) {
		limit, flag = lm.l.SpokeMaxMessageBytes, "--spoke-max-message"
	}
	if pm, ok := m.(proto.Message); ok {
		if n := proto.Size(pm); n > limit {
			return status.Errorf(codes.ResourceExhausted, "%s: message of %d bytes, more than the limit of %d (%s)", method, n, limit, flag)
		}
	}
	return nil
}

func (lm *limiter) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		release, err := lm.acquire(info.FullMethod)
		if err != nil {
			return nil, err
		}
		defer release()
		if err := lm.checkSize(info.FullMethod, req); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

func (lm *limiter) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		release, err := lm.acquire(info.FullMethod)
		if err != nil {
			return err
		}
		defer release()
		return h(srv, &sizedStream{ServerStream: ss, lm: lm, method: info.FullMethod})
	}
}

// sizedStream checks every received message against its class's limit.
type sizedStream struct {
	grpc.ServerStream
	lm     *limiter
	method string
}

func (s *sizedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.lm.checkSize(s.method, m)
}

// maxRecv is the transport's limit: the larger class limit (each class's
// own is checked by the interceptors).
func (l GRPCLimits) maxRecv() int { return max(l.SpokeMaxMessageBytes, l.AdminMaxMessageBytes) }
