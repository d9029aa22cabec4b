package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newRepoCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "repo", Aliases: []string{"repos"}, Short: "Manage Git and Helm repository credentials on the hub"}
	var user, passFile, keyFile, hostsFile, caFile, typ string
	var upsert, passStdin bool
	add := &cobra.Command{
		Use: "add URL", Short: "Store credentials for a repository (secrets are write-only)", Args: cobra.ExactArgs(1),
		Example: `  flotilla repo add https://git.example.com/apps.git --username bot --password-file token.txt
  flotilla repo add git@git.example.com:apps.git --ssh-key-file id_ed25519 --known-hosts-file known_hosts
  echo "$TOKEN" | flotilla repo add https://charts.example.com/stable --type helm --username bot --password-stdin
  flotilla repo add https://git.internal/apps.git --ca-file internal-ca.pem`,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := &pb.Repository{Url: args[0], Username: user, Type: typ}
			if passStdin && passFile != "" {
				return fmt.Errorf("--password-stdin and --password-file: give one")
			}
			read := func(f string) ([]byte, error) {
				if f == "" {
					return nil, nil
				}
				return os.ReadFile(f)
			}
			pw, err := read(passFile)
			if err != nil {
				return err
			}
			if passStdin {
				if pw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20)); err != nil {
					return fmt.Errorf("--password-stdin: %w", err)
				}
			}
			r.Password = strings.TrimSpace(string(pw))
			if r.SshPrivateKey, err = read(keyFile); err != nil {
				return err
			}
			if r.KnownHosts, err = read(hostsFile); err != nil {
				return err
			}
			if r.CaCert, err = read(caFile); err != nil {
				return fmt.Errorf("--ca-file: %w", err)
			}
			return withClient(hf, func(c *client) error {
				if _, err := pb.NewRepositoryServiceClient(c.conn).AddRepository(c.ctx(cmd.Context()), &pb.AddRepositoryRequest{Repository: r, Upsert: upsert}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "repository %s added\n", args[0])
				return err
			})
		},
	}
	add.Flags().StringVar(&user, "username", "", "HTTPS user (or SSH user, default git)")
	add.Flags().StringVar(&passFile, "password-file", "", "file holding the password or token")
	add.Flags().StringVar(&keyFile, "ssh-key-file", "", "SSH private key (PEM)")
	add.Flags().StringVar(&hostsFile, "known-hosts-file", "", "known_hosts for SSH host key checking")
	add.Flags().StringVar(&caFile, "ca-file", "", "PEM certificates to trust for the repository's TLS (a private CA), with the system's")
	add.Flags().BoolVar(&upsert, "upsert", false, "replace existing credentials")
	add.Flags().StringVar(&typ, "type", "git", "git, helm (a Helm chart repository) or oci (a registry of charts): for helm and oci, --username and the password are their basic auth")
	add.Flags().BoolVar(&passStdin, "password-stdin", false, "read the password or token from standard input")
	list := &cobra.Command{
		Use: "list", Short: "List repositories (without secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(hf, func(c *client) error {
				r, err := pb.NewRepositoryServiceClient(c.conn).ListRepositories(c.ctx(cmd.Context()), &pb.ListRepositoriesRequest{})
				if err != nil {
					return rpcErr(err)
				}
				rows := [][]string{{"URL", "TYPE", "USERNAME", "PASSWORD", "SSH KEY", "CA"}}
				for _, x := range r.GetRepositories() {
					typ := x.GetType()
					if typ == "" {
						typ = "git"
					}
					rows = append(rows, []string{x.GetUrl(), typ, orDash(x.GetUsername()), yesNo(x.GetHasPassword()), yesNo(x.GetHasSshPrivateKey()), yesNo(len(x.GetCaCert()) > 0)})
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	rm := &cobra.Command{
		Use: "remove URL", Aliases: []string{"rm"}, Short: "Forget a repository's credentials", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				if _, err := pb.NewRepositoryServiceClient(c.conn).RemoveRepository(c.ctx(cmd.Context()), &pb.RemoveRepositoryRequest{Url: args[0]}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "repository %s removed\n", args[0])
				return err
			})
		},
	}
	cmd.AddCommand(add, list, rm)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "stored"
	}
	return "-"
}
