package comment

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/plan"
	"github.com/polyfleet/polyfleet/internal/reconcile"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

func fleet() spec.Fleet {
	return spec.Fleet{
		Name: "acme", Region: "eu-west-1", Cluster: "c", VPCID: "vpc-1", Subnets: []string{"subnet-1"},
		LoadBalancerARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb/abc",
		ListenerPort:    443, HostedZoneID: "Z1", Domain: "nb.example.com", LogRetentionDays: 30, MaxDestroy: 3,
		Defaults: spec.Defaults{CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.2-2.12", ProxyImage: "proxy:1"},
	}
}

// planFor makes the plan that creates envs and deletes gone.
func planFor(create []string, gone ...string) plan.Plan {
	var envs []spec.Environment
	for _, n := range create {
		envs = append(envs, spec.Environment{Name: n, Owner: "o", CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.2-2.12"})
	}
	var want, have []resource.Resource
	for _, e := range desired.Build(spec.Config{Fleet: fleet(), Environments: envs}, desired.Infra{ListenerARN: "l", LoadBalancerDNS: "lb", LoadBalancerZoneID: "Z", LoadBalancerSecurityGroups: []string{"sg-1"}}) {
		want = append(want, e.Resources()...)
	}
	for _, g := range gone {
		have = append(have, resource.Resource{Kind: resource.Role, Env: g, Name: "polyfleet-acme-" + g, ID: "r", Fields: map[string]string{"path": "/polyfleet/acme/"}})
	}
	return plan.Calculate(want, have)
}

// balanced checks that <details> blocks and code fences close.
func balanced(t *testing.T, md string) {
	t.Helper()
	if o, c := strings.Count(md, "<details"), strings.Count(md, "</details>"); o != c {
		t.Errorf("%d <details> but %d </details>", o, c)
	}
	inFence := ""
	for _, line := range strings.Split(md, "\n") {
		fence := regexp.MustCompile("^(`{3,})").FindString(line)
		switch {
		case fence == "":
		case inFence == "":
			inFence = fence
		case fence == inFence && strings.TrimSpace(line) == fence:
			inFence = ""
		}
	}
	if inFence != "" {
		t.Errorf("code fence %q left open", inFence)
	}
}

func TestPlanComment(t *testing.T) {
	p := planFor([]string{"alice"}, "bob")
	got := Plan(PlanData{Fleet: "acme", Plan: p, Commit: "abc1234", Branch: "main", SummaryURL: "https://github.com/o/r/actions/runs/1"}, 0)
	m, ok := ParseMarker(got)
	if !ok || m.Kind != "plan" || m.Fleet != "acme" || m.Digest != plan.Digest(p) {
		t.Errorf("marker = %+v, %v", m, ok)
	}
	for _, want := range []string{
		"### Polyfleet plan for fleet ` acme `: 9 to add, 0 to change, 1 to destroy\n",
		"> [!CAUTION]\n> **Merging destroys 1 environment(s): ` bob `.**",
		"<details><summary>🆕 <b>alice</b>: create, 9 resource change(s)</summary>\n\n```diff\n # environment alice will be created\n+ role polyfleet-acme-alice\n+     inline_policies",
		"<details open><summary>🗑️ <b>bob</b>: delete, 1 resource change(s)</summary>",
		"+     secret_string = (sensitive)\n",
		"applied when merged into ` main `",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("comment lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "### Polyfleet plan") > strings.Index(got, "<details") {
		t.Error("the summary line must come first")
	}
	balanced(t, got)
}

func TestPlanCommentFor300EnvironmentsFits(t *testing.T) {
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("env-%03d", i))
	}
	p := planFor(names)
	full := Summary(PlanData{Fleet: "acme", Plan: p})
	if len(full) <= MaxLen {
		t.Fatalf("test plan too small to need a cut: %d characters", len(full))
	}
	got := Plan(PlanData{Fleet: "acme", Plan: p, Commit: "abc", SummaryURL: "https://github.com/o/r/actions/runs/7"}, 0)
	if n := len(got); n > MaxLen {
		t.Errorf("comment is %d characters, over %d", n, MaxLen)
	}
	if !strings.Contains(got, "more environment(s), left out to keep this comment within GitHub's limit. [The job summary](https://github.com/o/r/actions/runs/7) has the whole plan.") {
		t.Error("no pointer to the job summary")
	}
	if !strings.HasPrefix(got, "<!-- polyfleet:plan fleet=acme digest=") || !strings.Contains(got, "2700 to add") {
		t.Errorf("comment head:\n%.300s", got)
	}
	balanced(t, got)
	if shown := strings.Count(got, "<details"); shown < 10 || shown >= 300 {
		t.Errorf("%d of 300 sections shown", shown)
	}
	balanced(t, full)
}

func TestEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"},
		{"[click](https://evil.example)", "\\[click\\]\\(https://evil.example\\)"},
		{"@everyone **bold** `code`", "@\u200beveryone \\*\\*bold\\*\\* \\`code\\`"},
		{"line\nbreak", "line break"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(Escape(tt.in), tt.want); diff != "" {
			t.Errorf("Escape(%q) (-got +want):\n%s", tt.in, diff)
		}
	}
	if got := Code("a``b"); got != "``` a``b ```" {
		t.Errorf("Code = %q", got)
	}
	if got := codeBlock("", "x\n```\ny"); !strings.HasPrefix(got, "````\n") || !strings.HasSuffix(got, "\n````\n") {
		t.Errorf("codeBlock = %q", got)
	}
}

func TestErrorComment(t *testing.T) {
	errs := spec.Errors{{File: "environments/a.yml", Line: 2, Column: 1, Field: "cpus", Msg: "unknown field (allowed: cpu)"}}
	got := Plan(PlanData{Fleet: "acme", Errors: errs, Commit: "abc"}, 0)
	want := "- ` environments/a.yml ` line 2, column 1, ` cpus `: unknown field \\(allowed: cpu\\)\n"
	if !strings.Contains(got, "### ❌ Polyfleet: 1 error(s) in the environment files") || !strings.Contains(got, want) {
		t.Errorf("comment:\n%s", got)
	}
}

func TestValidateOnlyComment(t *testing.T) {
	got := Plan(PlanData{Fleet: "acme", ValidateOnly: "This pull request comes from a fork, which gets no AWS credentials.", Environments: 3, Commit: "abc"}, 0)
	if !strings.Contains(got, "validated only, not planned") || !strings.Contains(got, "No AWS call was made") {
		t.Errorf("comment:\n%s", got)
	}
}

func TestAppliedComment(t *testing.T) {
	p := planFor([]string{"alice"}, "bob")
	got := Applied(ApplyData{
		Fleet: "acme", Applied: p, Differs: true, Commit: "abc", SummaryURL: "https://run",
		Changed: map[string]bool{"alice": true},
		Access: []reconcile.Access{
			{Name: "alice", URL: "https://alice.nb.example.com", Username: "polynote", Secret: "polyfleet/acme/alice", ReadPassword: "aws secretsmanager get-secret-value --secret-id polyfleet/acme/alice"},
			{Name: "carol", URL: "https://carol.nb.example.com", Username: "polynote", Secret: "polyfleet/acme/carol"},
		},
	})
	for _, want := range []string{
		"<!-- polyfleet:apply fleet=acme -->",
		"### ✅ Polyfleet applied fleet ` acme `: 9 added, 0 changed, 1 destroyed",
		"> [!IMPORTANT]\n> What was applied differs from the last plan shown on this pull request",
		"| alice | https://alice.nb.example.com | ` polynote ` | in Secrets Manager, secret ` polyfleet/acme/alice ` |",
		"aws secretsmanager get-secret-value --secret-id polyfleet/acme/alice",
		"Destroyed: ` bob `.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("comment lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "carol") {
		t.Error("an environment this merge did not change is listed")
	}
	balanced(t, got)
}

func TestMarkerRoundTrip(t *testing.T) {
	for _, m := range []Marker{{Kind: "plan", Fleet: "acme", Digest: "0123abcd"}, {Kind: "drift", Fleet: "a-b"}} {
		got, ok := ParseMarker("text before\n" + m.String() + "\nafter")
		if !ok || got != m {
			t.Errorf("ParseMarker(%q) = %+v, %v", m.String(), got, ok)
		}
	}
	if _, ok := ParseMarker("<!-- something else -->"); ok {
		t.Error("found a marker that is not ours")
	}
}
