package deploy

import (
	"strings"
	"testing"
)

// Every directory builds, and the restricted spoke binds no cluster role.
func TestBuild(t *testing.T) {
	for _, dir := range []string{Hub, Spoke, SpokeRestricted} {
		out, err := Build(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		hasCRB := strings.Contains(string(out), "kind: ClusterRoleBinding")
		if hasCRB != (dir == Spoke) {
			t.Errorf("%s: ClusterRoleBinding present = %v", dir, hasCRB)
		}
	}
}
