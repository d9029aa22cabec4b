package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Config is what `flotilla login` stores (mode 0600).
type Config struct {
	Hub      string `json:"hub"`
	Token    string `json:"token"`
	TLS      bool   `json:"tls,omitempty"`
	Insecure bool   `json:"insecureSkipVerify,omitempty"`
}

// hubFlags are the global connection flags.
type hubFlags struct {
	hub, token, config string
	tls, insecure      bool
}

func (f *hubFlags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.hub, "hub", "", "hub gRPC address (default: FLOTILLA_HUB, then the login config, then 127.0.0.1:7443)")
	p.StringVar(&f.token, "token", "", "admin token (default: FLOTILLA_TOKEN, then the login config)")
	p.StringVar(&f.config, "config", "", "config file (default: $XDG_CONFIG_HOME/flotilla/config.json)")
	p.BoolVar(&f.tls, "tls", false, "connect with TLS")
	p.BoolVar(&f.insecure, "insecure-skip-verify", false, "with --tls: do not verify the hub's certificate")
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
	return c, nil
}

// client is a connection to the hub with the admin token attached.
type client struct {
	conn *grpc.ClientConn
	apps pb.ApplicationServiceClient
	prj  pb.ProjectServiceClient
	cls  pb.ClusterServiceClient
	tok  string
}

func (f *hubFlags) dial() (*client, error) {
	c, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if c.Token == "" {
		return nil, errors.New("no token: run `flotilla login`, or pass --token / FLOTILLA_TOKEN")
	}
	creds := insecure.NewCredentials()
	if c.TLS {
		creds = credentials.NewClientTLSFromCert(nil, "")
		if c.Insecure {
			creds = credentials.NewTLS(insecureTLS())
		}
	}
	conn, err := grpc.NewClient(c.Hub, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", c.Hub, err)
	}
	return &client{conn: conn, apps: pb.NewApplicationServiceClient(conn), prj: pb.NewProjectServiceClient(conn),
		cls: pb.NewClusterServiceClient(conn), tok: c.Token}, nil
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
	return err
}
