package plan

import (
	"strings"
	"testing"
)

// Options that would do nothing are refused, naming them; their default
// value (what Flotilla does anyway) is accepted.
func TestSyncOptionsNothingAcceptedAndIgnored(t *testing.T) {
	for _, kv := range []string{"ServerSideApply=true", "Validate=true", "ClientSideApplyMigration=true", "PrunePropagationPolicy=foreground",
		"Validate=false", "ClientSideApplyMigration=false"} {
		var o Options
		if err := o.SetSyncOption(kv); err != nil {
			t.Errorf("%s refused: %v", kv, err)
		}
	}
	for kv, want := range map[string]string{
		"ServerSideApply=false":      "always applies server-side",
		"SkipSchemaValidation=true":  "not a sync option",
		"SkipSchemaValidation=false": "not a sync option",
	} {
		var o Options
		err := o.SetSyncOption(kv)
		if err == nil || !strings.Contains(err.Error(), `"`+kv+`"`) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming it and saying %q", kv, err, want)
		}
	}
}
