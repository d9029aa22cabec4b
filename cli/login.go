package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newLoginCmd(hf *hubFlags) *cobra.Command {
	var tokenFile, username string
	var sso bool
	cmd := &cobra.Command{
		Use: "login [HUB]", Short: "Log in to a hub and store its address and token (mode 0600)", Args: cobra.MaximumNArgs(1),
		Long: `Login checks a token against the hub and saves it with the hub's address
in the CLI's config file. With --username it reads the user's password from
stdin (first line), exchanges it for a session token (the hub's
--session-duration, a day by default) and saves that. With --sso it logs in
with the hub's single sign-on provider (OIDC) by the device flow: it prints
a URL and a code on stderr, waits while you approve in a browser, and saves
the hub session the provider's ID token buys (a day at most). Else it saves
--token-file, --token or FLOTILLA_TOKEN (the admin token, or an API token).`,
		Example: `  flotilla login 127.0.0.1:7443 --token-file flotilla-hub-data/admin-token
  echo "$PASSWORD" | flotilla login hub.example.com:443 --tls --username alice
  flotilla login hub.example.com:443 --tls --sso
  flotilla login hub.example.com:443 --tls --ca-file ca.pem --token-file admin-token`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				hf.hub = args[0]
			}
			if username != "" && (tokenFile != "" || hf.token != "") {
				return fmt.Errorf("--username: not with --token or --token-file (the password makes the token)")
			}
			if sso && (username != "" || tokenFile != "" || hf.token != "") {
				return fmt.Errorf("--sso: not with --username, --token or --token-file (the SSO login makes the token)")
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
			switch {
			case username != "":
				if cfg.Token, err = passwordLogin(cmd, cfg, username); err != nil {
					return err
				}
				hf.token = cfg.Token
			case sso:
				if cfg.Token, err = ssoLogin(cmd, cfg); err != nil {
					return err
				}
				hf.token = cfg.Token
			}
			if cfg.Token == "" {
				return fmt.Errorf("no token: pass --username, --sso, --token, --token-file or FLOTILLA_TOKEN")
			}
			var who string
			// Check the credentials before saving them.
			if err := withClient(hf, func(c *client) error {
				info, err := c.acc.GetUserInfo(c.ctx(cmd.Context()), &pb.GetUserInfoRequest{})
				who = info.GetSubject()
				return rpcErr(err)
			}); err != nil {
				return fmt.Errorf("login to %s: %w", cfg.Hub, err)
			}
			path, err := saveConfig(hf, cfg)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s as %s (saved in %s)\n", cfg.Hub, who, path)
			return err
		},
	}
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "read the token (the admin token, or an API token) from this file")
	cmd.Flags().StringVar(&username, "username", "", "log in as this local user; the password is read from stdin")
	cmd.Flags().BoolVar(&sso, "sso", false, "log in with the hub's single sign-on provider (OIDC device flow: a URL and a code on stderr)")
	return cmd
}

// passwordLogin reads the password from stdin and returns a session token.
func passwordLogin(cmd *cobra.Command, cfg Config, username string) (string, error) {
	pw, err := readSecretLine(cmd.InOrStdin(), "password")
	if err != nil {
		return "", err
	}
	cfg.Token = ""
	c, err := dialConfig(cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	r, err := c.acc.Login(cmd.Context(), &pb.LoginRequest{Username: username, Password: pw})
	if err != nil {
		return "", fmt.Errorf("login as %s: %w", username, rpcErr(err))
	}
	return r.GetToken(), nil
}

// readSecretLine reads one line of in (a password), without its end.
func readSecretLine(in io.Reader, what string) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no %s on stdin", what)
	}
	return line, nil
}

// saveConfig writes cfg to the CLI's config file (0600) and returns its path.
func saveConfig(hf *hubFlags, cfg Config) (string, error) {
	var err error
	// Saved paths must work from any directory.
	for _, f := range []*string{&cfg.CAFile, &cfg.CertFile, &cfg.KeyFile} {
		if *f != "" {
			if *f, err = filepath.Abs(*f); err != nil {
				return "", err
			}
		}
	}
	path, err := hf.configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o600)
}
