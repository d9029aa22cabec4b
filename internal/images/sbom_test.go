package images

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

func TestSourceDateEpoch(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "1700000000": 1700000000} {
		got, err := SourceDateEpoch(in)
		if err != nil || got.Unix() != want {
			t.Errorf("SourceDateEpoch(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := SourceDateEpoch("yesterday"); err == nil {
		t.Error("SourceDateEpoch(yesterday): no error")
	}
}

// TestSBOMModules: the main module described, its dependencies (replaced
// ones as their replacement) with versions and h1 sums as SHA256 checksums.
func TestSBOMModules(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Path:      "example.com/m/cmd/x",
		Main:      debug.Module{Path: "example.com/m", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "example.com/a", Version: "v1.2.3", Sum: "h1:" + base64.StdEncoding.EncodeToString(make([]byte, 32))},
			{Path: "example.com/b", Version: "v0.1.0", Replace: &debug.Module{Path: "example.com/c", Version: "v0.2.0"}},
		},
	}
	o := testOptions(t, "x")
	b, err := json.Marshal(sbomDocument(o, bi, "00"))
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range doc.Packages {
		got = append(got, fmt.Sprintf("%s@%s %v", p.Name, p.VersionInfo, p.Checksums))
	}
	want := []string{"example.com/m@v1.0.0 []", "example.com/a@v1.2.3 [{SHA256 " + strings.Repeat("0", 64) + "}]", "example.com/c@v0.2.0 []"}
	if doc.SPDXVersion != "SPDX-2.3" || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s packages:\n%s\nwant:\n%s", doc.SPDXVersion, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := doc.Relationships; len(r) != 3 || r[0].Type != "DESCRIBES" || r[2].Type != "DEPENDS_ON" {
		t.Errorf("relationships %+v", r)
	}
}
