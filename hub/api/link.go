package api

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/test/bufconn"
)

// Metadata keys between the JSON API and the hub's gRPC server, honoured
// only on the link.
const (
	clientAddrKey = "flotilla-client-addr" // the HTTP client's address
	streamOpenKey = "flotilla-stream-open" // a server stream's request was accepted
)

// linkBuffer is the in-process connection's buffer per direction.
const linkBuffer = 1 << 20

// Link is the JSON API's in-process connection to the hub's gRPC server:
// the server serves Listener as well as its TCP listener, and Conn dials
// through it, so that every JSON call is a gRPC call through the server's
// interceptors (authentication, audit, limits, recovery).
type Link struct {
	lis  *bufconn.Listener
	conn *grpc.ClientConn
}

// NewLink makes the listener and the client connection, which connects on
// its first call. maxRecv bounds a response (the hub's --max-send-message).
func NewLink(maxRecv int) (*Link, error) {
	lis := bufconn.Listen(linkBuffer)
	conn, err := grpc.NewClient("passthrough:///flotilla-json-api",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecv)))
	if err != nil {
		return nil, errors.Join(err, lis.Close())
	}
	return &Link{lis: lis, conn: conn}, nil
}

// Listener is what the gRPC server must also serve.
func (l *Link) Listener() net.Listener { return linkListener{l.lis} }

// Conn is the client side.
func (l *Link) Conn() *grpc.ClientConn { return l.conn }

// Close closes both sides; the server's Stop closes the listener too.
func (l *Link) Close() error { return errors.Join(l.conn.Close(), l.lis.Close()) }

// ServerOptions are what the gRPC server needs for calls over the link:
// the HTTP client's address as their peer (the audit log and rate limits
// see the caller, not the link), and headers sent first on server streams
// once their request passed every interceptor (the JSON API then opens
// its event stream). Other connections are left alone.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.StatsHandler(linkPeers{}), grpc.ChainStreamInterceptor(headersFirst)}
}

// LinkCreds wraps the server's transport credentials (TLS) so that the
// link's connections, which never leave the process, skip the handshake.
func LinkCreds(c credentials.TransportCredentials) credentials.TransportCredentials {
	return linkCreds{c}
}

type linkCreds struct {
	credentials.TransportCredentials
}

func (c linkCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if _, ok := conn.(linkConn); ok {
		return conn, linkAuth{credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}, nil
	}
	return c.TransportCredentials.ServerHandshake(conn)
}

func (c linkCreds) Clone() credentials.TransportCredentials {
	return linkCreds{c.TransportCredentials.Clone()}
}

type linkAuth struct{ credentials.CommonAuthInfo }

func (linkAuth) AuthType() string { return "flotilla-link" }

// linkListener marks its connections so that the server knows them.
type linkListener struct{ *bufconn.Listener }

func (l linkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return linkConn{c}, nil
}

type linkConn struct{ net.Conn }

func (linkConn) RemoteAddr() net.Addr { return linkAddr{} }

type linkAddr struct{}

func (linkAddr) Network() string { return "flotilla-link" }
func (linkAddr) String() string  { return "flotilla-link" }

// httpAddr is an HTTP client's address, the peer of its calls.
type httpAddr string

func (httpAddr) Network() string  { return "tcp" }
func (a httpAddr) String() string { return string(a) }

// linkPeers makes the HTTP client's address the peer of a call over the
// link. TagRPC runs before every interceptor, so all of them see it.
type linkPeers struct{}

func (linkPeers) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ctx
	}
	if _, link := p.Addr.(linkAddr); !link {
		return ctx
	}
	md, _ := metadata.FromIncomingContext(ctx)
	addrs := md.Get(clientAddrKey)
	if len(addrs) == 0 {
		return ctx
	}
	client := *p
	client.Addr = httpAddr(addrs[len(addrs)-1])
	return peer.NewContext(ctx, &client)
}

func (linkPeers) HandleRPC(context.Context, stats.RPCStats)                         {}
func (linkPeers) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (linkPeers) HandleConn(context.Context, stats.ConnStats)                       {}

// headersFirst, the last stream interceptor, has a server stream over
// the link send its headers once its request was received and authorized
// (the authorization of streams judges their first message), before its
// first message.
func headersFirst(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if p, ok := peer.FromContext(ss.Context()); ok && info.IsServerStream {
		switch p.Addr.(type) {
		case linkAddr, httpAddr:
			ss = &openOnRequest{ServerStream: ss}
		}
	}
	return h(srv, ss)
}

type openOnRequest struct {
	grpc.ServerStream
	sent bool
}

func (s *openOnRequest) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil || s.sent {
		return err
	}
	s.sent = true
	return s.ServerStream.SendHeader(metadata.Pairs(streamOpenKey, "1"))
}
