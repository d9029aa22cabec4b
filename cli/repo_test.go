package cli

import (
	"strings"
	"testing"
)

// repo add --type helm|oci with the password on standard input; what
// cannot be is refused naming it.
func TestRepoAddTypes(t *testing.T) {
	g, _ := startHub(t)
	out, errOut, code := run(t, "s3cret\n", append(g, "repo", "add", "https://charts.example.com/stable", "--type", "helm", "--username", "bot", "--password-stdin")...)
	if code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("helm: exit %d %s%s", code, out, errOut)
	}
	must := mustRun(t, g)
	must("repo", "add", "oci://registry.example.com/charts", "--type", "oci", "--username", "bot", "--password-file", writeTemp(t, "tok"))
	list := must("repo", "list")
	for _, want := range []string{"https://charts.example.com/stable  helm  bot", "oci://registry.example.com/charts  oci"} {
		if !strings.Contains(strings.Join(strings.Fields(list), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("repo list lacks %q:\n%s", want, list)
		}
	}
	for args, want := range map[string]string{
		"oci://x/y --type helm":                          "type helm: want a http URL",
		"https://x/y --type oci":                         "type oci: want a oci:// URL",
		"https://x/y --type svn":                         `type "svn": want git, helm or oci`,
		"https://x/y --password-stdin --password-file f": "give one",
	} {
		_, errOut, code := run(t, "", append(g, append([]string{"repo", "add"}, strings.Fields(args)...)...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("repo add %s: exit %d %q, want %q", args, code, errOut, want)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/f"
	writeFile(t, p, content)
	return p
}
