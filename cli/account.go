package cli

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newAccountCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Aliases: []string{"accounts"}, Short: "Users, their passwords and tokens, and what you may do"}
	cmd.AddCommand(newAccountCreateCmd(hf), newAccountListCmd(hf), newAccountDeleteCmd(hf), newAccountPasswordCmd(hf),
		newAccountCanICmd(hf), newAccountWhoamiCmd(hf), newAccountTokenCmd(hf), newAccountRotateAdminCmd(hf))
	return cmd
}

func newAccountCreateCmd(hf *hubFlags) *cobra.Command {
	var roles []string
	cmd := &cobra.Command{
		Use: "create NAME", Short: "Create a local user; the password is read from stdin", Args: cobra.ExactArgs(1),
		Example: `  echo "$PASSWORD" | flotilla account create alice --role readonly`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readSecretLine(cmd.InOrStdin(), "password")
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				_, err := c.acc.CreateAccount(c.ctx(cmd.Context()), &pb.CreateAccountRequest{Name: args[0], Password: pw, Roles: roles})
				if err != nil {
					return rpcErr(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "account %s created\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&roles, "role", nil, "RBAC role of the user: admin, readonly, or a role of --rbac-policy (repeatable)")
	return cmd
}

func newAccountListCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "list", Short: "List local users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.acc.ListAccounts(c.ctx(cmd.Context()), &pb.ListAccountsRequest{})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeProtoJSON(cmd.OutOrStdout(), r)
				}
				rows := [][]string{{"NAME", "ROLES", "CREATED"}}
				for _, a := range r.GetAccounts() {
					rows = append(rows, []string{a.GetName(), orDash(strings.Join(a.GetRoles(), ",")), a.GetCreated().AsTime().Format(time.RFC3339)})
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}

func newAccountDeleteCmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "delete NAME", Short: "Delete a local user, ending its sessions and tokens", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				_, err := c.acc.DeleteAccount(c.ctx(cmd.Context()), &pb.DeleteAccountRequest{Name: args[0]})
				return rpcErr(err)
			})
		},
	}
}

func newAccountPasswordCmd(hf *hubFlags) *cobra.Command {
	var account string
	var revoke bool
	cmd := &cobra.Command{
		Use: "update-password", Short: "Change a password; read from stdin", Args: cobra.NoArgs,
		Long: `Update-password changes your own password, reading the current one and
then the new one from stdin (two lines), or another user's with --account
(one line: the new password; needs accounts update in the RBAC policy).`,
		Example: `  printf '%s\n%s\n' "$OLD" "$NEW" | flotilla account update-password --revoke-sessions
  echo "$NEW" | flotilla account update-password --account alice`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := bufio.NewReader(cmd.InOrStdin())
			req := &pb.UpdatePasswordRequest{Name: account, RevokeSessions: revoke}
			var err error
			if account == "" {
				if req.CurrentPassword, err = readSecretLine(in, "current password"); err != nil {
					return err
				}
			}
			if req.NewPassword, err = readSecretLine(in, "new password"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				_, err := c.acc.UpdatePassword(c.ctx(cmd.Context()), req)
				return rpcErr(err)
			})
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "the user whose password to set (default: yourself)")
	cmd.Flags().BoolVar(&revoke, "revoke-sessions", false, "end every session and token of the user")
	return cmd
}

func newAccountCanICmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "can-i ACTION RESOURCE OBJECT", Short: "Print yes or no: may you do ACTION on RESOURCE's OBJECT", Args: cobra.ExactArgs(3),
		Example: `  flotilla account can-i sync applications team-a/guestbook
  flotilla account can-i create clusters '*'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				r, err := c.acc.CanI(c.ctx(cmd.Context()), &pb.CanIRequest{Action: args[0], Resource: args[1], Object: args[2]})
				if err != nil {
					return rpcErr(err)
				}
				answer := "no"
				if r.GetAllowed() {
					answer = "yes"
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), answer)
				return err
			})
		},
	}
}

func newAccountWhoamiCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "get-user-info", Aliases: []string{"whoami"}, Short: "Who the hub says you are", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.acc.GetUserInfo(c.ctx(cmd.Context()), &pb.GetUserInfoRequest{})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeProtoJSON(cmd.OutOrStdout(), r)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Subject: %s\nIssuer: %s\nRoles: %s\nGroups: %s\n", r.GetSubject(), r.GetIssuer(),
					orDash(strings.Join(r.GetRoles(), ",")), orDash(strings.Join(r.GetGroups(), ",")))
				return err
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}

func newAccountRotateAdminCmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "rotate-admin-token", Short: "Replace the admin token; prints the new one (the old stops working)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(hf, func(c *client) error {
				r, err := c.acc.RotateAdminToken(c.ctx(cmd.Context()), &pb.RotateAdminTokenRequest{})
				if err != nil {
					return rpcErr(err)
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), r.GetToken())
				return err
			})
		},
	}
}
