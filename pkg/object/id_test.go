package object

import "testing"

// The same object under two versions of its group is one identity;
// objects of the core group and of other kinds, names or namespaces are
// not.
func TestIDFor(t *testing.T) {
	web := IDFor("apps/v1", "Deployment", "shop", "web")
	if got := IDFor("apps/v1beta2", "Deployment", "shop", "web"); got != web {
		t.Errorf("apps/v1beta2 %v != apps/v1 %v", got, web)
	}
	for _, other := range []ID{IDFor("v1", "Deployment", "shop", "web"), IDFor("apps/v1", "StatefulSet", "shop", "web"),
		IDFor("apps/v1", "Deployment", "other", "web"), IDFor("apps/v1", "Deployment", "shop", "api"), IDFor("a/b/c", "Deployment", "shop", "web")} {
		if other == web {
			t.Errorf("%v taken for %v", other, web)
		}
	}
	if cm := IDFor("v1", "ConfigMap", "ns", "cfg"); cm.Group != "" {
		t.Errorf("core group: %v", cm)
	}
}
