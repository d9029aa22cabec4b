package server

import (
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		at    int
		op    string // fail, ok, check
		keys  []string
		wantS int // check: seconds to wait
	}
	for name, steps := range map[string][]step{
		"four failures leave the user free": {
			{0, "fail", []string{"u"}, 0}, {1, "fail", []string{"u"}, 0}, {2, "fail", []string{"u"}, 0}, {3, "fail", []string{"u"}, 0},
			{4, "check", []string{"u"}, 0},
		},
		"the fifth locks until the first is a window old": {
			{0, "fail", []string{"u"}, 0}, {10, "fail", []string{"u"}, 0}, {20, "fail", []string{"u"}, 0}, {30, "fail", []string{"u"}, 0},
			{40, "fail", []string{"u"}, 0}, {50, "check", []string{"u"}, 250}, {299, "check", []string{"u"}, 1}, {300, "check", []string{"u"}, 0},
		},
		"failures older than the window do not count": {
			{0, "fail", []string{"u"}, 0}, {1, "fail", []string{"u"}, 0}, {2, "fail", []string{"u"}, 0}, {3, "fail", []string{"u"}, 0},
			{400, "fail", []string{"u"}, 0}, {401, "check", []string{"u"}, 0},
		},
		"a success forgets the user, not the address": {
			{0, "fail", []string{"u", "a"}, 0}, {1, "fail", []string{"u", "a"}, 0}, {2, "fail", []string{"u", "a"}, 0},
			{3, "fail", []string{"u", "a"}, 0}, {4, "ok", []string{"u"}, 0}, {5, "fail", []string{"u", "a"}, 0},
			{6, "check", []string{"u"}, 0}, {6, "check", []string{"a"}, 294}, {6, "check", []string{"u", "a"}, 294},
		},
		"keys are independent": {
			{0, "fail", []string{"u"}, 0}, {1, "fail", []string{"u"}, 0}, {2, "fail", []string{"u"}, 0}, {3, "fail", []string{"u"}, 0},
			{4, "fail", []string{"u"}, 0}, {5, "check", []string{"v"}, 0},
		},
	} {
		t.Run(name, func(t *testing.T) {
			l := newLoginLimiter(DefaultLoginLimits())
			for i, s := range steps {
				switch s.op {
				case "fail":
					l.failed(at(s.at), s.keys...)
				case "ok":
					l.succeeded(s.keys[0])
				case "check":
					if got := l.retryAfter(at(s.at), s.keys...); got != time.Duration(s.wantS)*time.Second {
						t.Errorf("step %d at %ds %v: wait %v, want %ds", i, s.at, s.keys, got, s.wantS)
					}
				}
			}
		})
	}
}
