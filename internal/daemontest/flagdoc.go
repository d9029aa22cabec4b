package daemontest

import (
	"regexp"
	"strings"
)

// usageFlag matches a flag's line in a Go flag set's usage ("  -name type").
var usageFlag = regexp.MustCompile(`(?m)^  -([a-z0-9][a-z0-9.-]*)`)

// Undocumented returns the flags of a flag set's usage text that doc does
// not name as `--flag` (the test binary's own -test.* flags aside).
func Undocumented(usage, doc string) []string {
	var out []string
	for _, m := range usageFlag.FindAllStringSubmatch(usage, -1) {
		if strings.HasPrefix(m[1], "test.") {
			continue
		}
		if !strings.Contains(doc, "`--"+m[1]+"`") {
			out = append(out, m[1])
		}
	}
	return out
}
