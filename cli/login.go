package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newLoginCmd(hf *hubFlags) *cobra.Command {
	var tokenFile string
	cmd := &cobra.Command{
		Use: "login [HUB]", Short: "Store the hub address and admin token (mode 0600)", Args: cobra.MaximumNArgs(1),
		Example: `  flotilla login 127.0.0.1:7443 --token-file flotilla-hub-data/admin-token
  flotilla login hub.example.com:443 --tls --ca-file ca.pem --token-file admin-token`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				hf.hub = args[0]
			}
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return err
				}
				hf.token = strings.TrimSpace(string(b))
			}
			cfg, err := hf.resolve()
			if err != nil {
				return err
			}
			if cfg.Token == "" {
				return fmt.Errorf("no token: pass --token, --token-file or FLOTILLA_TOKEN")
			}
			// Check the credentials before saving them.
			if err := withClient(hf, func(c *client) error {
				_, err := c.prj.ListProjects(c.ctx(cmd.Context()), &pb.ListProjectsRequest{})
				return rpcErr(err)
			}); err != nil {
				return fmt.Errorf("login to %s: %w", cfg.Hub, err)
			}
			// Saved paths must work from any directory.
			for _, f := range []*string{&cfg.CAFile, &cfg.CertFile, &cfg.KeyFile} {
				if *f != "" {
					if *f, err = filepath.Abs(*f); err != nil {
						return err
					}
				}
			}
			path, err := hf.configPath()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s (saved in %s)\n", cfg.Hub, path)
			return err
		},
	}
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "read the admin token from this file")
	return cmd
}
