package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// tokenOwnerFlags name whose tokens a command acts on.
type tokenOwnerFlags struct{ account, project, role string }

func (f *tokenOwnerFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.account, "account", "", "the user (default: yourself)")
	cmd.Flags().StringVar(&f.project, "project", "", "with --role: a project role's tokens (proj:PROJECT:ROLE in the RBAC policy)")
	cmd.Flags().StringVar(&f.role, "role", "", "the project role, with --project")
}

func newAccountTokenCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Aliases: []string{"tokens"}, Short: "API tokens of users and project roles"}
	cmd.AddCommand(newTokenCreateCmd(hf), newTokenListCmd(hf), newTokenDeleteCmd(hf))
	return cmd
}

func newTokenCreateCmd(hf *hubFlags) *cobra.Command {
	var owner tokenOwnerFlags
	var expiresIn time.Duration
	var description, output string
	cmd := &cobra.Command{
		Use: "create", Short: "Issue an API token; prints it (shown once)", Args: cobra.NoArgs,
		Example: `  flotilla account token create --expires-in 720h --description ci > ci.token
  flotilla account token create --project team-a --role deployer`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			secs, err := wholeSeconds("expires-in", expiresIn)
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.acc.CreateToken(c.ctx(cmd.Context()), &pb.CreateTokenRequest{Account: owner.account, Project: owner.project,
					Role: owner.role, ExpiresInSeconds: secs, Description: description})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeProtoJSON(cmd.OutOrStdout(), r)
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), r.GetToken())
				return err
			})
		},
	}
	owner.register(cmd)
	cmd.Flags().DurationVar(&expiresIn, "expires-in", 0, "lifetime in whole seconds (e.g. 720h); 0 never expires")
	cmd.Flags().StringVar(&description, "description", "", "what the token is for")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table (the token alone)|json")
	return cmd
}

func newTokenListCmd(hf *hubFlags) *cobra.Command {
	var owner tokenOwnerFlags
	var output string
	cmd := &cobra.Command{
		Use: "list", Short: "List tokens and sessions (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.acc.ListTokens(c.ctx(cmd.Context()), &pb.ListTokensRequest{Account: owner.account, Project: owner.project, Role: owner.role})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeProtoJSON(cmd.OutOrStdout(), r)
				}
				rows := [][]string{{"ID", "SUBJECT", "KIND", "ISSUED", "EXPIRES", "DESCRIPTION"}}
				for _, t := range r.GetTokens() {
					kind, expires := "token", "never"
					if t.GetSession() {
						kind = "session"
					}
					if t.GetExpires() != nil {
						expires = t.GetExpires().AsTime().Format(time.RFC3339)
					}
					rows = append(rows, []string{t.GetId(), t.GetSubject(), kind, t.GetIssued().AsTime().Format(time.RFC3339), expires, orDash(t.GetDescription())})
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	owner.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}

func newTokenDeleteCmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "delete ID", Short: "Revoke a token or session by its id, at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				_, err := c.acc.DeleteToken(c.ctx(cmd.Context()), &pb.DeleteTokenRequest{Id: args[0]})
				return rpcErr(err)
			})
		},
	}
}
