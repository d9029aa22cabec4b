package diff

import (
	"strings"
	"testing"
)

func TestMaskSecret(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"a":"c2VjcmV0"},"stringData":{"password":"hunter2"}}`
	out := string(MaskSecret([]byte(in)))
	for _, leak := range []string{"hunter2", "c2VjcmV0", "stringData"} {
		if strings.Contains(out, leak) {
			t.Errorf("masked Secret still holds %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"password":"+`) || !strings.Contains(out, `"a":"+`) {
		t.Errorf("masked Secret lost its keys: %s", out)
	}
	cm := `{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"b"}}`
	if got := string(MaskSecret([]byte(cm))); got != cm {
		t.Errorf("a ConfigMap changed: %s", got)
	}
}
