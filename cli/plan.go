package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
)

func newPlanCmd() *cobra.Command {
	var (
		f           renderFlags
		live        string
		prune       bool
		syncOptions []string
		output      string
	)
	cmd := &cobra.Command{
		Use:   "plan PATH",
		Short: "Print the ordered sync plan for a source",
		Long: `Plan renders PATH and prints the steps a spoke would run, in Argo CD's
order: phase (PreSync, Sync, PostSync, SyncFail), wave, kind, name, with
Namespaces and CRDs moved ahead of what needs them. --live holds the objects
now in the cluster (a file or directory); with --prune, those no longer in
the source are pruned in reverse wave order.`,
		Example: `  flotilla plan ./apps/shop -n shop
  flotilla plan ./apps/shop --live ./snapshot --prune --sync-option PruneLast=true -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			opts := plan.Options{Prune: prune, Namespace: f.namespace}
			for _, kv := range syncOptions {
				if err := opts.SetSyncOption(kv); err != nil {
					return err
				}
			}
			desired, err := f.render(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var liveObjs []*unstructured.Unstructured
			if live != "" {
				if liveObjs, err = readObjects(live, cmd.InOrStdin()); err != nil {
					return fmt.Errorf("--live: %w", err)
				}
			}
			p, err := plan.Compute(desired, liveObjs, opts)
			if err != nil {
				return err
			}
			return printPlan(cmd, p, output)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&live, "live", "", "objects currently in the cluster (file, directory or -)")
	cmd.Flags().BoolVar(&prune, "prune", false, "prune live objects that are no longer in the source")
	cmd.Flags().StringArrayVar(&syncOptions, "sync-option", nil, "sync option Name=value, e.g. PruneLast=true, CreateNamespace=true (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|wide|json|yaml")
	return cmd
}

func printPlan(cmd *cobra.Command, p *plan.Plan, output string) error {
	w := cmd.OutOrStdout()
	switch output {
	case "json":
		return writeJSON(w, p)
	case "yaml":
		return writeYAML(w, p)
	}
	header := []string{"STEP", "PHASE", "WAVE", "ACTION", "KIND", "NAMESPACE", "NAME"}
	if output == "wide" {
		header = append(header, "API VERSION", "DELETE POLICY", "HASH")
	}
	rows := [][]string{header}
	for i, s := range p.Steps {
		for _, a := range s.Actions {
			name := a.Name
			if name == "" {
				name = a.GenerateName + "<generated>"
			}
			row := []string{strconv.Itoa(i + 1), string(s.Phase), strconv.Itoa(s.Wave), string(a.Action), a.Kind, orDash(a.Namespace), name}
			if output == "wide" {
				pol := ""
				for j, d := range a.DeletePolicies {
					if j > 0 {
						pol += ","
					}
					pol += string(d)
				}
				h := a.Hash
				if len(h) > 12 {
					h = h[:12]
				}
				row = append(row, a.APIVersion, orDash(pol), orDash(h))
			}
			rows = append(rows, row)
		}
	}
	if err := table(w, rows); err != nil {
		return err
	}
	for _, r := range p.Extraneous {
		fmt.Fprintf(w, "not pruned: %s %s (%s)\n", r.Kind, nsName(r.Namespace, r.Name), r.Reason)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	for _, r := range p.Skipped {
		fmt.Fprintf(w, "skipped: %s %s (%s)\n", r.Kind, nsName(r.Namespace, r.Name), r.Reason)
	}
	fmt.Fprintf(w, "plan %s: %d steps\n", p.Hash[:12], len(p.Steps))
	return nil
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
