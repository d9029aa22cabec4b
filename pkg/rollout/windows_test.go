package rollout

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustWindows(t *testing.T, specs ...WindowSpec) []Window {
	t.Helper()
	ws, err := ParseWindows(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestParseWindowNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		spec WindowSpec
		want string
	}{
		{WindowSpec{Kind: "maybe", Schedule: "0 * * * *", Duration: "1h", Applications: []string{"*"}}, "kind"},
		{WindowSpec{Kind: "allow", Schedule: "every day", Duration: "1h", Applications: []string{"*"}}, "schedule"},
		{WindowSpec{Kind: "allow", Schedule: "0 * * * *", Duration: "soon", Applications: []string{"*"}}, "duration"},
		{WindowSpec{Kind: "allow", Schedule: "0 * * * *", Duration: "-1h", Applications: []string{"*"}}, "duration"},
		{WindowSpec{Kind: "deny", Schedule: "0 * * * *", Duration: "1h", TimeZone: "Mars/Olympus", Applications: []string{"*"}}, "timeZone"},
		{WindowSpec{Kind: "deny", Schedule: "0 * * * *", Duration: "1h"}, "applies to nothing"},
	} {
		_, err := ParseWindows([]WindowSpec{{Kind: "allow", Schedule: "0 0 * * *", Duration: "1h", Clusters: []string{"*"}}, tc.spec})
		if err == nil || !strings.Contains(err.Error(), "syncWindows[1]") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error naming syncWindows[1] and %q", tc.spec, err, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	// Every day 22:00 UTC for 2h; business hours 09:00-17:00 Mon-Fri.
	nightDeny := WindowSpec{Kind: "deny", Schedule: "0 22 * * *", Duration: "2h", Applications: []string{"*"}}
	nightDenyManual := nightDeny
	nightDenyManual.ManualSync = true
	business := WindowSpec{Kind: "allow", Schedule: "0 9 * * 1-5", Duration: "8h", Clusters: []string{"prod-*"}}
	businessManual := business
	businessManual.ManualSync = true
	parisDeny := WindowSpec{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Namespaces: []string{"payments"}, TimeZone: "Europe/Paris"}
	app := Subject{Application: "web", Namespace: "default", Cluster: "prod-eu"}
	for _, tc := range []struct {
		name    string
		windows []WindowSpec
		s       Subject
		manual  bool
		now     string
		allowed bool
		reason  string // substring of the reason when refused
		recheck string // "" when no window matches
	}{
		{"no windows", nil, app, false, "2026-12-04T23:00:00Z", true, "", ""},
		{"deny active", []WindowSpec{nightDeny}, app, false, "2026-12-04T23:00:00Z", false, "until 2026-12-05T00:00:00Z", "2026-12-05T00:00:00Z"},
		{"deny active at its first minute", []WindowSpec{nightDeny}, app, false, "2026-12-04T22:00:00Z", false, "deny window", "2026-12-05T00:00:00Z"},
		{"deny over at its end", []WindowSpec{nightDeny}, app, false, "2026-12-05T00:00:00Z", true, "", "2026-12-05T22:00:00Z"},
		{"deny inactive", []WindowSpec{nightDeny}, app, false, "2026-12-04T12:00:00Z", true, "", "2026-12-04T22:00:00Z"},
		{"deny holds manual sync", []WindowSpec{nightDeny}, app, true, "2026-12-04T23:00:00Z", false, "deny window", "2026-12-05T00:00:00Z"},
		{"deny with manualSync lets manual through", []WindowSpec{nightDenyManual}, app, true, "2026-12-04T23:00:00Z", true, "", "2026-12-05T00:00:00Z"},
		{"deny with manualSync holds automated", []WindowSpec{nightDenyManual}, app, false, "2026-12-04T23:00:00Z", false, "deny window", "2026-12-05T00:00:00Z"},
		{"manual needs every active deny to allow it", []WindowSpec{nightDenyManual, nightDeny}, app, true, "2026-12-04T23:00:00Z", false, "deny window", "2026-12-05T00:00:00Z"},
		{"allow active (Friday)", []WindowSpec{business}, app, false, "2026-12-04T10:00:00Z", true, "", "2026-12-04T17:00:00Z"},
		{"outside allow (Saturday)", []WindowSpec{business}, app, false, "2026-12-05T10:00:00Z", false, "next opens at 2026-12-07T09:00:00Z", "2026-12-07T09:00:00Z"},
		{"outside allow, manual without manualSync", []WindowSpec{business}, app, true, "2026-12-05T10:00:00Z", false, "outside every allow window", "2026-12-07T09:00:00Z"},
		{"outside allow, manual with manualSync", []WindowSpec{businessManual}, app, true, "2026-12-05T10:00:00Z", true, "", "2026-12-07T09:00:00Z"},
		{"allow for other clusters does not hold", []WindowSpec{business}, Subject{Application: "web", Cluster: "dev"}, false, "2026-12-05T10:00:00Z", true, "", ""},
		{"deny beats an active allow", []WindowSpec{business, {Kind: "deny", Schedule: "0 10 * * *", Duration: "30m", Applications: []string{"web"}}}, app, false, "2026-12-04T10:10:00Z", false, "deny window", "2026-12-04T10:30:00Z"},
		{"time zone: 22:00 Paris is 21:00 UTC", []WindowSpec{parisDeny}, Subject{Application: "pay", Namespace: "payments"}, false, "2026-12-04T21:30:00Z", false, "Europe/Paris", "2026-12-04T22:00:00Z"},
		{"time zone: 22:30 UTC is after the Paris window", []WindowSpec{parisDeny}, Subject{Application: "pay", Namespace: "payments"}, false, "2026-12-04T22:30:00Z", true, "", "2026-12-05T21:00:00Z"},
		{"namespace glob does not match", []WindowSpec{parisDeny}, Subject{Application: "pay", Namespace: "web"}, false, "2026-12-04T21:30:00Z", true, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Decide(mustWindows(t, tc.windows...), tc.s, tc.manual, at(tc.now))
			if v.Allowed != tc.allowed {
				t.Fatalf("allowed = %v (%s), want %v", v.Allowed, v.Reason, tc.allowed)
			}
			if !tc.allowed && !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", v.Reason, tc.reason)
			}
			if tc.allowed && v.Reason != "" {
				t.Errorf("allowed with reason %q", v.Reason)
			}
			want := time.Time{}
			if tc.recheck != "" {
				want = at(tc.recheck)
			}
			if !v.Recheck.Equal(want) {
				t.Errorf("recheck %v, want %v", v.Recheck, want)
			}
		})
	}
}
