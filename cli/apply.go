package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// maxApplyBytes bounds what `flotilla apply` reads (the hub refuses larger
// messages anyway).
const maxApplyBytes = 64 << 20

func newApplyCmd(hf *hubFlags) *cobra.Command {
	var files, selector []string
	var dryRun, prune, force bool
	var output string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update the Applications, AppProjects, ApplicationSets and Cluster labels the files declare",
		Long: `apply takes YAML or JSON documents, Flotilla's kinds (flotilla.dev/v1alpha1:
Application, Project, ApplicationSet, Cluster) or Argo CD's unchanged
(argoproj.io/v1alpha1: Application, AppProject, ApplicationSet), and creates
or updates each one on the hub, as kubectl apply does. Each document is
accepted or refused on its own; the exit code is non-zero when any was
refused, with one line per refused document. A directory is read
recursively (*.yaml, *.yml, *.json).`,
		Example: `  flotilla apply -f apps/
  flotilla apply -f guestbook.yaml --dry-run
  kustomize build config | flotilla apply -f - --prune -l team=a`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			if len(files) == 0 {
				return errors.New("-f: required (a file, a directory or -)")
			}
			sel, err := parseKV(selector, "--selector")
			if err != nil {
				return err
			}
			if prune && len(sel) == 0 {
				return errors.New("--prune: needs -l KEY=VALUE, so that only what carries those labels can be deleted")
			}
			docs, err := readDocuments(files, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cfg.Apply(c.ctx(cmd.Context()), &pb.ApplyRequest{Documents: docs, DryRun: dryRun, Prune: prune, PruneSelector: sel, Force: force})
				if err != nil {
					return rpcErr(err)
				}
				return printApply(cmd, r.GetResults(), output, dryRun)
			})
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "file, directory or - (stdin); repeatable")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would change; change nothing")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete what the API declared, matches -l and the files no longer hold")
	cmd.Flags().StringSliceVarP(&selector, "selector", "l", nil, "KEY=VALUE labels of what --prune may delete; repeatable")
	cmd.Flags().BoolVar(&force, "force", false, "change objects declared in Git anyway (Git puts them back at its next change)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|json")
	return cmd
}

// readDocuments reads every file named (directories recursively, - for in).
func readDocuments(paths []string, in io.Reader) ([]*pb.ApplyDocument, error) {
	var out []*pb.ApplyDocument
	total := 0
	add := func(name string, b []byte) error {
		if total += len(b); total > maxApplyBytes {
			return fmt.Errorf("%s: more than %d MiB to apply at once", name, maxApplyBytes>>20)
		}
		out = append(out, &pb.ApplyDocument{File: name, Content: string(b)})
		return nil
	}
	for _, p := range paths {
		if p == "-" {
			b, err := io.ReadAll(io.LimitReader(in, maxApplyBytes+1))
			if err != nil {
				return nil, fmt.Errorf("stdin: %w", err)
			}
			if err := add("<stdin>", b); err != nil {
				return nil, err
			}
			continue
		}
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if err := add(f, b); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// printApply prints one line per result (and the diffs of a dry run); it
// fails when any document was refused.
func printApply(cmd *cobra.Command, results []*pb.ApplyResult, output string, dryRun bool) error {
	refused := 0
	for _, r := range results {
		if r.GetAction() == "refused" {
			refused++
		}
	}
	if output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), results); err != nil {
			return err
		}
	} else {
		printApplyTable(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, dryRun)
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d documents refused", refused, len(results))
	}
	return nil
}

func printApplyTable(out, errOut io.Writer, results []*pb.ApplyResult, dryRun bool) {
	suffix := ""
	if dryRun {
		suffix = " (dry run)"
	}
	for _, r := range results {
		what := strings.ToLower(r.GetKind()) + "/" + r.GetName()
		if r.GetAction() == "refused" {
			if r.GetFile() != "" && strings.HasPrefix(r.GetError(), r.GetFile()) {
				fmt.Fprintln(errOut, r.GetError()) // names its file, document and field already
			} else {
				fmt.Fprintf(errOut, "%s: %s\n", where(r), r.GetError())
			}
			continue
		}
		fmt.Fprintf(out, "%s %s%s\n", what, r.GetAction(), suffix)
		for _, w := range r.GetWarnings() {
			fmt.Fprintf(out, "  warning: %s\n", w)
		}
		if dryRun && r.GetDiff() != "" {
			fmt.Fprint(out, indent(r.GetDiff(), "  "))
		}
	}
}

// where names a refused document: its file and index when known.
func where(r *pb.ApplyResult) string {
	w := strings.ToLower(r.GetKind()) + "/" + r.GetName()
	if r.GetKind() == "" {
		w = "document"
	}
	if r.GetFile() != "" {
		w = fmt.Sprintf("%s (%s, document %d)", w, r.GetFile(), r.GetIndex()+1)
	}
	return w
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}
