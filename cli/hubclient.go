package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/internal/tlsfiles"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Config is what `flotilla login` stores (mode 0600).
type Config struct {
	Hub      string `json:"hub"`
	Token    string `json:"token"`
	TLS      bool   `json:"tls,omitempty"`
	Insecure bool   `json:"insecureSkipVerify,omitempty"`
	CAFile   string `json:"caFile,omitempty"`
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
}

// hubFlags are the global connection flags.
type hubFlags struct {
	hub, token, config        string
	tls, insecure             bool
	caFile, certFile, keyFile string
}

func (f *hubFlags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.hub, "hub", "", "hub gRPC address (default: FLOTILLA_HUB, then the login config, then 127.0.0.1:7443)")
	p.StringVar(&f.token, "token", "", "admin token (default: FLOTILLA_TOKEN, then the login config)")
	p.StringVar(&f.config, "config", "", "config file (default: $XDG_CONFIG_HOME/flotilla/config.json)")
	p.BoolVar(&f.tls, "tls", false, "connect with TLS")
	p.BoolVar(&f.insecure, "insecure-skip-verify", false, "with --tls: do not verify the hub's certificate")
	p.StringVar(&f.caFile, "ca-file", "", "with --tls: CA bundle to verify the hub (default: system roots)")
	p.StringVar(&f.certFile, "cert-file", "", "with --tls: client certificate, when the hub requires one (mTLS)")
	p.StringVar(&f.keyFile, "key-file", "", "with --tls: client key (mTLS)")
}

func (f *hubFlags) configPath() (string, error) {
	if f.config != "" {
		return f.config, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "flotilla", "config.json"), nil
}

// resolve merges flags, environment and the login config.
func (f *hubFlags) resolve() (Config, error) {
	var c Config
	if p, err := f.configPath(); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			if err := json.Unmarshal(b, &c); err != nil {
				return c, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	for _, v := range []struct {
		dst  *string
		vals []string
	}{{&c.Hub, []string{f.hub, os.Getenv("FLOTILLA_HUB")}}, {&c.Token, []string{f.token, os.Getenv("FLOTILLA_TOKEN")}}} {
		for _, x := range v.vals {
			if x != "" {
				*v.dst = x
				break
			}
		}
	}
	if c.Hub == "" {
		c.Hub = "127.0.0.1:7443"
	}
	c.TLS = c.TLS || f.tls
	c.Insecure = c.Insecure || f.insecure
	for dst, v := range map[*string]string{&c.CAFile: f.caFile, &c.CertFile: f.certFile, &c.KeyFile: f.keyFile} {
		if v != "" {
			*dst = v
		}
	}
	if !c.TLS && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != "") {
		return c, errors.New("--ca-file, --cert-file and --key-file need --tls")
	}
	return c, nil
}

// client is a connection to the hub with the admin token attached.
type client struct {
	conn *grpc.ClientConn
	apps pb.ApplicationServiceClient
	acc  pb.AccountServiceClient
	prj  pb.ProjectServiceClient
	cls  pb.ClusterServiceClient
	cfg  pb.ConfigServiceClient
	sets pb.ApplicationSetServiceClient
	tok  string
	hint string // added to Unavailable errors
}

func (f *hubFlags) dial() (*client, error) {
	c, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if c.Token == "" {
		return nil, errors.New("no token: run `flotilla login`, or pass --token / FLOTILLA_TOKEN")
	}
	return dialConfig(c)
}

// dialConfig connects to the hub of c (with its token, if any).
func dialConfig(c Config) (*client, error) {
	creds := insecure.NewCredentials()
	if c.TLS {
		tc, err := tlsfiles.Client(c.CAFile, "", c.CertFile, c.KeyFile, c.Insecure)
		if err != nil {
			return nil, fmt.Errorf("--tls: %w", err)
		}
		creds = credentials.NewTLS(tc)
	}
	// Plans carry whole manifests (CRDs run to MiBs): the hub sends up to
	// 256 MiB, not gRPC's default 4.
	conn, err := grpc.NewClient(c.Hub, grpc.WithTransportCredentials(creds), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", c.Hub, err)
	}
	cl := &client{conn: conn, apps: pb.NewApplicationServiceClient(conn), prj: pb.NewProjectServiceClient(conn),
		cls: pb.NewClusterServiceClient(conn), cfg: pb.NewConfigServiceClient(conn), sets: pb.NewApplicationSetServiceClient(conn), acc: pb.NewAccountServiceClient(conn), tok: c.Token}
	if c.TLS && c.CertFile == "" {
		// A hub that wants a client certificate may close the connection
		// before its alert is read: "broken pipe" says nothing.
		cl.hint = "if the hub requires client certificates (mTLS), pass --cert-file and --key-file"
	}
	return cl, nil
}

func (c *client) ctx(parent context.Context) context.Context {
	return metadata.AppendToOutgoingContext(parent, "authorization", "Bearer "+c.tok)
}

func (c *client) Close() error { return c.conn.Close() }

// rpcErr turns a gRPC status into a plain error message.
func rpcErr(err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s", st.Code(), st.Message())
	}
	return err
}

// withClient runs fn with a hub client, closing it after.
func withClient(f *hubFlags, fn func(*client) error) error {
	c, err := f.dial()
	if err != nil {
		return err
	}
	err = fn(c)
	if cerr := c.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && c.hint != "" && strings.HasPrefix(err.Error(), codes.Unavailable.String()) {
		err = fmt.Errorf("%w (%s)", err, c.hint)
	}
	return err
}
