package localcluster

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FailLabel, set to "true" on a Pod (or a Pod template), makes the Pod
// fail as if its container exited with code 1:
//   - restartPolicy Never or OnFailure (Jobs): the Pod runs for about a
//     second, then becomes Failed; a Job with backoffLimit 0 becomes Failed.
//   - restartPolicy Always (Deployments, StatefulSets, DaemonSets): the Pod
//     runs with its containers in CrashLoopBackOff and never becomes Ready;
//     a Deployment reports ProgressDeadlineExceeded after its
//     progressDeadlineSeconds.
//
// Annotations with the same prefix tune it (…/reason, …/message,
// …/exit-code); see stages/README.md. The label is kwok's own chaos label.
const FailLabel = "pod-container-running-failed.stage.kwok.x-k8s.io"

// FakeNodeAnnotation marks the Nodes kwok manages.
const FakeNodeAnnotation = "kwok.x-k8s.io/node"

//go:embed stages/*.yaml
var stages embed.FS

// kwokConfigHead is the KwokConfiguration. A partial configuration must set
// the parallelism options, or kwok exits.
const kwokConfigHead = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  manageNodesWithAnnotationSelector: %s=fake
  serverAddress: %s
  cidr: %s
  nodeIP: 10.0.0.1
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 8
`

// writeKwokConfig writes DIR/kwok.yaml: the configuration followed by every
// embedded Stage.
func writeKwokConfig(dir string, ports Ports) error {
	var b strings.Builder
	fmt.Fprintf(&b, kwokConfigHead, FakeNodeAnnotation, loopback(ports.Kwok), podCIDR)
	names, err := fs.Glob(stages, "stages/*.yaml")
	if err != nil {
		return fmt.Errorf("kwok config: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := stages.ReadFile(name)
		if err != nil {
			return fmt.Errorf("kwok config: %s: %w", name, err)
		}
		b.WriteString("---\n")
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "kwok.yaml"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("kwok config: %w", err)
	}
	return nil
}
