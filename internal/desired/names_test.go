package desired

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNamesFor(t *testing.T) {
	got := NamesFor("acme", "alice", "nb.example.com")
	want := Names{
		Role: "polyfleet-acme-alice", RolePath: "/polyfleet/acme/", Secret: "polyfleet/acme/alice",
		LogGroup: "/polyfleet/acme/alice", Family: "polyfleet-acme-alice", TargetGroup: "pf-acme-alice",
		SecurityGroup: "polyfleet-acme-alice", Service: "polyfleet-acme-alice",
		Host: "alice.nb.example.com", OwnershipTXT: "_polyfleet.alice.nb.example.com",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("NamesFor (-got +want):\n%s", diff)
	}
}

// The longest fleet and environment names still fit every AWS limit, and
// two that share a long prefix still get different names.
func TestLongNamesFitAndStayUnique(t *testing.T) {
	fleet := strings.Repeat("f", 15)
	a := NamesFor(fleet, strings.Repeat("a", 39)+"x", "nb.example.com")
	b := NamesFor(fleet, strings.Repeat("a", 39)+"y", "nb.example.com")
	for _, c := range []struct {
		what  string
		a, b  string
		limit int
	}{
		{"role", a.Role, b.Role, 64},
		{"target group", a.TargetGroup, b.TargetGroup, 32},
	} {
		if len(c.a) > c.limit || len(c.b) > c.limit {
			t.Errorf("%s names %q, %q exceed %d characters", c.what, c.a, c.b, c.limit)
		}
		if c.a == c.b {
			t.Errorf("%s names collide: %q", c.what, c.a)
		}
		if strings.HasSuffix(c.a, "-") || strings.Contains(c.a, "--") {
			t.Errorf("%s name %q is malformed", c.what, c.a)
		}
	}
}

func TestFit(t *testing.T) {
	if got := Fit("short", 32); got != "short" {
		t.Errorf("Fit(short) = %q", got)
	}
	long := "pf-" + strings.Repeat("x", 40)
	got := Fit(long, 32)
	if len(got) != 32 || !strings.HasPrefix(got, "pf-xxx") || Fit(long, 32) != got {
		t.Errorf("Fit(long) = %q (%d characters), want 32, stable", got, len(got))
	}
}

func TestPreferredPriority(t *testing.T) {
	none := func(int) bool { return false }
	p := PreferredPriority("acme", "alice", none)
	if p < MinPriority || p > MaxPriority || PreferredPriority("acme", "alice", none) != p {
		t.Fatalf("priority %d not stable or out of range", p)
	}
	if q := PreferredPriority("acme", "alice", func(n int) bool { return n == p }); q == p || q < MinPriority || q > MaxPriority {
		t.Errorf("taken priority %d given again (%d)", p, q)
	}
	if PreferredPriority("acme", "alice", func(int) bool { return true }) != 0 {
		t.Error("a full listener must give 0")
	}
}
