package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newExportCmd(hf *hubFlags) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every project, application (rollout strategy included), ApplicationSet and cluster's labels as YAML",
		Long: `export writes the hub's configuration as Flotilla documents that
flotilla apply -f takes back: projects, cluster labels, applications (with
their rollout strategies) and ApplicationSets. What Git declares (app of
apps, ApplicationSets, the configuration repository) is left out, since Git
holds it already, unless --all.`,
		Example: "  flotilla export > hub.yaml && flotilla apply -f hub.yaml --dry-run",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withClient(hf, func(c *client) error {
				docs, err := exportDocs(cmd, c, all)
				if err != nil {
					return err
				}
				return writeDocs(cmd.OutOrStdout(), docs...)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include what Git declares")
	return cmd
}

func exportDocs(cmd *cobra.Command, c *client, all bool) ([]map[string]any, error) {
	ctx := c.ctx(cmd.Context())
	keep := func(m *pb.ManagedBy) bool { return all || m.GetKind() == "" }
	var docs []map[string]any
	prj, err := c.prj.ListProjects(ctx, &pb.ListProjectsRequest{})
	if err != nil {
		return nil, rpcErr(err)
	}
	for _, p := range prj.GetProjects() {
		if keep(p.GetManagedBy()) {
			docs = append(docs, manifest.ProjectDocument(p))
		}
	}
	cls, err := c.cls.ListClusters(ctx, &pb.ListClustersRequest{})
	if err != nil {
		return nil, rpcErr(err)
	}
	for _, cl := range cls.GetClusters() {
		if len(cl.GetLabels()) > 0 {
			docs = append(docs, clusterDocument(cl))
		}
	}
	apps, err := c.apps.ListApplications(ctx, &pb.ListApplicationsRequest{})
	if err != nil {
		return nil, rpcErr(err)
	}
	for _, a := range apps.GetApplications() {
		if keep(a.GetApplication().GetManagedBy()) {
			docs = append(docs, manifest.ApplicationDocument(a.GetApplication()))
		}
	}
	sets, err := c.sets.ListApplicationSets(ctx, &pb.ListApplicationSetsRequest{})
	if err != nil {
		return nil, rpcErr(err)
	}
	for _, s := range sets.GetApplicationSets() {
		if keep(s.GetManagedBy()) {
			docs = append(docs, manifest.ApplicationSetDocument(s))
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("nothing to export")
	}
	return docs, nil
}

// clusterDocument is a Cluster document: a registered cluster's labels.
func clusterDocument(cl *pb.Cluster) map[string]any {
	labels := map[string]any{}
	for k, v := range cl.GetLabels() {
		labels[k] = v
	}
	return map[string]any{"apiVersion": manifest.APIVersion, "kind": "Cluster",
		"metadata": map[string]any{"name": cl.GetName(), "labels": labels}}
}
