package server

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// panicked turns a recovered panic into an Internal status naming the
// method, and logs it with its stack: the hub stays up.
func panicked(log *slog.Logger, method string, v any) error {
	panics.Inc()
	log.Error("panic in gRPC handler", "method", method, "panic", v, "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "%s: internal error (the hub logged it)", method)
}

// UnaryRecover answers Internal when a handler panics.
func UnaryRecover(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if v := recover(); v != nil {
				resp, err = nil, panicked(log, info.FullMethod, v)
			}
		}()
		return h(ctx, req)
	}
}

// StreamRecover ends a stream with Internal when its handler panics.
func StreamRecover(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = panicked(log, info.FullMethod, v)
			}
		}()
		return h(srv, ss)
	}
}
