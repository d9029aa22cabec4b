package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
)

type diffEntry struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Missing    bool   `json:"missing,omitempty"`
	Extra      bool   `json:"extra,omitempty"`
	Diff       string `json:"diff,omitempty"`
}

func newDiffCmd() *cobra.Command {
	var desired, live, ignoreFile, output, color string
	cmd := &cobra.Command{
		Use:   "diff --desired F --live F",
		Short: "Compare desired objects with live ones, as a sync would see them",
		Long: `Diff pairs desired and live objects by group, kind, namespace and name and
shows what applying would change, ignoring server defaults, status and
server-set metadata. --ignore-differences takes Argo CD ignoreDifferences
rules (jsonPointers, jqPathExpressions, managedFieldsManagers) as YAML.
Exit code: 0 in sync, 1 differences found, 2 error (as kubectl diff).`,
		Example: `  flotilla render ./apps/web > desired.yaml
  kubectl get -f desired.yaml -o yaml > live.yaml
  flotilla diff --desired desired.yaml --live live.yaml --ignore-differences ignore.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := runDiff(cmd, desired, live, ignoreFile, output, color)
			if err != nil && err != errDiffFound {
				return &exitError{code: ExitUsage, err: err}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&desired, "desired", "", "desired objects: file, directory or - (required)")
	cmd.Flags().StringVar(&live, "live", "", "live objects: file, directory or - (required)")
	cmd.Flags().StringVar(&ignoreFile, "ignore-differences", "", "YAML list of ignoreDifferences rules")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text|json|yaml")
	cmd.Flags().StringVar(&color, "color", "auto", "colour the text diff: auto|always|never")
	return cmd
}

func runDiff(cmd *cobra.Command, desiredF, liveF, ignoreFile, output, color string) error {
	if err := outputFormat(output, "text", "json", "yaml"); err != nil {
		return err
	}
	if desiredF == "" || liveF == "" {
		return fmt.Errorf("--desired and --live are both required")
	}
	if desiredF == "-" && liveF == "-" {
		return fmt.Errorf("--desired and --live cannot both read standard input")
	}
	var opts diff.Options
	if ignoreFile != "" {
		b, err := os.ReadFile(ignoreFile)
		if err != nil {
			return err
		}
		if opts.Ignore, err = diff.LoadIgnoreRules(b); err != nil {
			return fmt.Errorf("%s: %w", ignoreFile, err)
		}
	}
	desired, err := readObjects(desiredF, cmd.InOrStdin())
	if err != nil {
		return err
	}
	live, err := readObjects(liveF, cmd.InOrStdin())
	if err != nil {
		return err
	}
	results, err := diff.CompareAll(cmd.Context(), desired, live, opts)
	if err != nil {
		return err
	}
	entries := make([]diffEntry, 0, len(results))
	outOfSync := false
	for _, r := range results {
		entries = append(entries, diffEntry{APIVersion: r.APIVersion, Kind: r.ID.Kind, Namespace: r.ID.Namespace, Name: r.ID.Name,
			Status: string(r.Status), Missing: r.Missing, Extra: r.Extra, Diff: r.Diff})
		outOfSync = outOfSync || r.Status != diff.Synced
	}
	w := cmd.OutOrStdout()
	switch output {
	case "json":
		err = writeJSON(w, entries)
	case "yaml":
		err = writeYAML(w, entries)
	default:
		paint := color == "always" || (color == "auto" && isTerminal(w))
		for _, e := range entries {
			if e.Diff == "" {
				continue
			}
			if paint {
				fmt.Fprint(w, diff.Colorize(e.Diff))
			} else {
				fmt.Fprint(w, e.Diff)
			}
		}
	}
	if err != nil {
		return err
	}
	if outOfSync {
		return errDiffFound
	}
	return nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
