package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const eventStreamType = "text/event-stream"

// eventStream marshals a server stream's messages as server-sent events:
// grpc-gateway wraps each message as {"result": ...} and an error as
// {"error": {"code": ..., "message": ...}}; each is one "data: JSON"
// event. An error before the stream opened is an event too.
type eventStream struct{ *runtime.JSONPb }

func (eventStream) ContentType(any) string { return eventStreamType }

// Delimiter ends an event.
func (eventStream) Delimiter() []byte { return []byte("\n\n") }

func (m eventStream) Marshal(v any) ([]byte, error) {
	_, bare := v.(*spb.Status) // an error the gateway writes whole, not as a chunk
	if bare {
		v = map[string]proto.Message{"error": v.(*spb.Status)}
	}
	b, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append([]byte("data: "), bytes.ReplaceAll(b, []byte("\n"), []byte("\ndata: "))...)
	if bare {
		b = append(b, m.Delimiter()...)
	}
	return b, nil
}

// serveEvents serves a server stream: without the HTTP server's read and
// write deadlines (they would cut it), until the client goes away or the
// hub stops; the response opens (200, headers flushed) as soon as the
// hub accepted the call, before its first message.
func serveEvents(hub context.Context, w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	rc := http.NewResponseController(w)
	err := errors.Join(rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Time{}))
	if err != nil && !errors.Is(err, http.ErrNotSupported) {
		writeError(w, http.StatusInternalServerError, status.Newf(codes.Internal, "event stream: %v", err))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(hub, cancel)()
	r = r.WithContext(ctx)
	r.Header.Set("Accept", eventStreamType) // the gateway picks eventStream
	next(&eventWriter{ResponseWriter: w}, r)
}

// eventWriter writes the head of an event stream once: after it opened,
// the status of a later error is dropped (the error is an event).
type eventWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *eventWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *eventWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *eventWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// openEventStream, a forward-response option, opens an event stream when
// the gateway starts forwarding it (m is nil then) and the hub's headers
// say that the call passed every interceptor (ServerOptions). Until then
// an error keeps its HTTP status (401, 403, 429, ...).
func openEventStream(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
	ew, ok := w.(*eventWriter)
	if !ok || m != nil || ew.wrote {
		return nil
	}
	if md, ok := runtime.ServerMetadataFromContext(ctx); !ok || len(md.HeaderMD.Get(streamOpenKey)) == 0 {
		return nil
	}
	h := ew.Header()
	h.Set("Content-Type", eventStreamType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies: do not buffer
	ew.WriteHeader(http.StatusOK)
	return http.NewResponseController(ew).Flush()
}
