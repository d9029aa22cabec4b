package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/pkg/health"
)

type healthEntry struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Message    string `json:"message"`
}

func newHealthCmd() *cobra.Command {
	var file, output string
	cmd := &cobra.Command{
		Use:   "health -f FILE",
		Short: "Assess the health of live objects, as Argo CD does",
		Long: `Health reads live objects (e.g. kubectl get -o yaml output) and prints
Healthy, Progressing, Degraded, Suspended, Missing or Unknown with a
message for each, with Argo CD's rules for built-in kinds and kstatus-style
conditions for the rest. The exit code is 0 whatever the health.`,
		Example: `  kubectl get deploy,sts,job -n shop -o yaml | flotilla health -f - -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			if file == "" {
				return fmt.Errorf("-f FILE is required (- reads standard input)")
			}
			objs, err := readObjects(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			entries := make([]healthEntry, 0, len(objs))
			for _, u := range objs {
				r, err := health.Compute(u)
				if err != nil {
					return err
				}
				entries = append(entries, healthEntry{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(),
					Name: u.GetName(), Status: string(r.Status), Message: r.Message})
			}
			w := cmd.OutOrStdout()
			switch output {
			case "json":
				return writeJSON(w, entries)
			case "yaml":
				return writeYAML(w, entries)
			}
			rows := [][]string{{"KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE"}}
			for _, e := range entries {
				rows = append(rows, []string{e.Kind, orDash(e.Namespace), e.Name, e.Status, e.Message})
			}
			return table(w, rows)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "file or directory of live objects, or - for stdin (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|json|yaml")
	return cmd
}
