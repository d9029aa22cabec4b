package server

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestPanicAnswersInternal(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	const method = "/flotilla.v1.RolloutService/ApproveRollout"
	_, err := UnaryRecover(log)(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) {
		var steps []int
		return steps[3], nil // index out of range
	})
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), method) {
		t.Errorf("unary: %v, want Internal naming %s", err, method)
	}
	err = StreamRecover(log)(nil, nil, &grpc.StreamServerInfo{FullMethod: method}, func(any, grpc.ServerStream) error { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Errorf("stream: %v, want Internal", err)
	}
	if !strings.Contains(logged.String(), "index out of range") || !strings.Contains(logged.String(), "boom") {
		t.Errorf("log lacks the panics:\n%s", logged.String())
	}
}
