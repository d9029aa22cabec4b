package object

import (
	"testing"
)

// fuzzLimits keep one input cheap; the properties hold at any limits.
func fuzzLimits() Limits {
	return Limits{MaxFileBytes: 1 << 20, MaxDocuments: 100, MaxNodes: 20000, MaxDepth: 50}
}

// FuzzDecode: any bytes decode to objects or an error (never a panic, and
// never more nodes than the limit), and what decodes encodes to YAML that
// decodes again to the same objects.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n",
		"apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
		"a: &a [1,2]\nb: [*a,*a]\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"dg=="}}`,
		"---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {x: y}\n",
	} {
		f.Add("f.yaml", []byte(s))
	}
	f.Fuzz(func(t *testing.T, file string, data []byte) {
		objs, err := Decode(file, data, fuzzLimits())
		if err != nil {
			return
		}
		out, err := EncodeYAML(objs)
		if err != nil {
			t.Fatalf("decoded objects do not encode: %v", err)
		}
		again, err := Decode("again.yaml", out, Limits{MaxDocuments: len(objs) + 1, MaxNodes: 1 << 30, MaxDepth: 1 << 10})
		if err != nil {
			t.Fatalf("encoded objects do not decode: %v\n%s", err, out)
		}
		if len(again) != len(objs) {
			t.Fatalf("%d objects decoded, %d after a round trip", len(objs), len(again))
		}
		for i := range objs {
			if objs[i].GetName() != again[i].GetName() || objs[i].GetKind() != again[i].GetKind() {
				t.Fatalf("object %d: %s/%s became %s/%s", i, objs[i].GetKind(), objs[i].GetName(), again[i].GetKind(), again[i].GetName())
			}
		}
	})
}
