package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

func testFleet() spec.Fleet {
	return spec.Fleet{
		Name: "acme", Region: "eu-west-1", Cluster: "notebooks", VPCID: "vpc-1",
		Subnets:          []string{"subnet-b", "subnet-a"},
		LoadBalancerARN:  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/lb/abc",
		ListenerPort:     443,
		HostedZoneID:     "Z1",
		Domain:           "nb.example.com",
		LogRetentionDays: 30,
		Defaults:         spec.Defaults{CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.1", ProxyImage: "proxy:1"},
	}
}

func want(envs ...spec.Environment) []resource.Resource {
	cfg := spec.Config{Fleet: testFleet(), Environments: envs}
	var out []resource.Resource
	for _, e := range desired.Build(cfg, desired.Infra{ListenerARN: "listener-1", LoadBalancerDNS: "lb.aws", LoadBalancerZoneID: "ZLB", LoadBalancerSecurityGroups: []string{"sg-lb"}}) {
		out = append(out, e.Resources()...)
	}
	return out
}

func env(name string) spec.Environment {
	return spec.Environment{Name: name, Owner: name, CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.1"}
}

// exist turns desired resources into what discovery would report once they
// have been created: references resolved to IDs.
func exist(rs []resource.Resource) []resource.Resource {
	refs := map[string]map[resource.Kind]string{}
	for _, r := range rs {
		if refs[r.Env] == nil {
			refs[r.Env] = map[resource.Kind]string{}
		}
		refs[r.Env][r.Kind] = "id-" + r.Kind.String() + "-" + r.Env
	}
	out := make([]resource.Resource, len(rs))
	for i, r := range rs {
		a := r
		a.ID, a.Ref = refs[r.Env][r.Kind], refs[r.Env][r.Kind]
		a.Fields = map[string]string{}
		for k, v := range r.Fields {
			v = resource.ResolveRefs(v, func(k resource.Kind) string { return refs[r.Env][k] })
			if v == desired.KnownAfterApply {
				v = "17"
			}
			a.Fields[k] = v
		}
		out[i] = a
	}
	return out
}

type changeSummary struct {
	Env, Kind, Action string
	Fields            []string
}

func summarizeChanges(p Plan) []changeSummary {
	var out []changeSummary
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			cs := changeSummary{Env: e.Name, Kind: c.Kind.String(), Action: string(c.Action)}
			for _, f := range c.Fields {
				cs.Fields = append(cs.Fields, f.Field+": "+f.Before+" -> "+f.After)
			}
			out = append(out, cs)
		}
	}
	return out
}

func TestCalculate(t *testing.T) {
	bigger := env("bob")
	bigger.CPU, bigger.Memory = 2048, 4096
	stopped := env("bob")
	stopped.Stopped = true
	newImage := env("bob")
	newImage.Image = "polynote/polynote:0.6.0"

	withVPC := func(rs []resource.Resource, kind resource.Kind, field, value string) []resource.Resource {
		for i := range rs {
			if rs[i].Kind == kind {
				rs[i].Fields[field] = value
			}
		}
		return rs
	}
	foreignDNS := func(rs []resource.Resource) []resource.Resource {
		return append(rs, resource.Resource{Kind: resource.DNSRecord, Env: "carol", Name: "carol.nb.example.com", ID: "carol.nb.example.com A", Foreign: true})
	}

	tests := []struct {
		name        string
		want, have  []resource.Resource
		wantChanges []changeSummary
		wantSummary Summary
		wantActions map[string]Action
	}{
		{
			name:        "nothing declared, nothing there",
			wantSummary: Summary{},
		},
		{
			name: "up to date",
			want: want(env("alice")), have: exist(want(env("alice"))),
			wantActions: map[string]Action{"alice": NoOp},
		},
		{
			name: "cpu and memory change updates the task definition and the service",
			want: want(env("alice"), bigger), have: exist(want(env("alice"), env("bob"))),
			wantChanges: []changeSummary{
				{"bob", "task-definition", "update", []string{"cpu: 1024 -> 2048", "memory: 2048 -> 4096"}},
				{"bob", "service", "update", []string{"task_definition: id-task-definition-bob -> (known after apply)"}},
			},
			wantSummary: Summary{Change: 2},
			wantActions: map[string]Action{"alice": NoOp, "bob": Update},
		},
		{
			name: "image change: new revision, service follows",
			want: want(newImage), have: exist(want(env("bob"))),
			wantChanges: []changeSummary{
				{"bob", "task-definition", "update", []string{"polynote.image: polynote/polynote:0.5.1 -> polynote/polynote:0.6.0"}},
				{"bob", "service", "update", []string{"task_definition: id-task-definition-bob -> (known after apply)"}},
			},
			wantSummary: Summary{Change: 2},
			wantActions: map[string]Action{"bob": Update},
		},
		{
			name: "stopped sets desired count 0",
			want: want(stopped), have: exist(want(env("bob"))),
			wantChanges: []changeSummary{{"bob", "service", "update", []string{"desired_count: 1 -> 0"}}},
			wantSummary: Summary{Change: 1},
			wantActions: map[string]Action{"bob": Update},
		},
		{
			name: "immutable field replaces, and what uses it is replaced too",
			want: want(env("alice")), have: withVPC(exist(want(env("alice"))), resource.TargetGroup, "vpc", "vpc-old"),
			wantChanges: []changeSummary{
				{"alice", "target-group", "replace", []string{"vpc: vpc-old -> vpc-1"}},
				{"alice", "listener-rule", "replace", []string{"target_group: id-target-group-alice -> (known after apply)"}},
				{"alice", "service", "replace", []string{"load_balancer: id-target-group-alice -> proxy:8080 -> (known after apply) -> proxy:8080"}},
			},
			wantSummary: Summary{Add: 3, Destroy: 3},
			wantActions: map[string]Action{"alice": Update},
		},
		{
			name: "replaced role only gives the task definition a new revision",
			want: want(env("alice")), have: withVPC(exist(want(env("alice"))), resource.Role, "path", "/old/"),
			wantChanges: []changeSummary{
				{"alice", "role", "replace", []string{"path: /old/ -> /polyfleet/acme/"}},
				{"alice", "task-definition", "update", []string{"execution_role: id-role-alice -> (known after apply)"}},
				{"alice", "service", "update", []string{"task_definition: id-task-definition-alice -> (known after apply)"}},
			},
			wantSummary: Summary{Add: 1, Change: 2, Destroy: 1},
			wantActions: map[string]Action{"alice": Update},
		},
		{
			name: "removed file deletes all nine",
			want: nil, have: exist(want(env("alice"))),
			wantSummary: Summary{Destroy: 9},
			wantActions: map[string]Action{"alice": Delete},
		},
		{
			name:        "new environment creates all nine",
			want:        want(env("alice")),
			wantSummary: Summary{Add: 9},
			wantActions: map[string]Action{"alice": Create},
		},
		{
			name: "foreign DNS record is a conflict, never a change",
			want: want(env("carol")), have: foreignDNS(nil),
			wantSummary: Summary{Add: 8},
			wantActions: map[string]Action{"carol": Update},
		},
		{
			name: "foreign record elsewhere is ignored",
			want: nil, have: foreignDNS(nil),
		},
		{
			name: "drift in a managed field is an update",
			want: want(env("alice")), have: withVPC(exist(want(env("alice"))), resource.TargetGroup, "health_check.matcher", "200-399"),
			wantChanges: []changeSummary{{"alice", "target-group", "update", []string{"health_check.matcher: 200-399 -> 200"}}},
			wantSummary: Summary{Change: 1},
			wantActions: map[string]Action{"alice": Update},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Calculate(tt.want, tt.have)
			if diff := cmp.Diff(got.Summary, tt.wantSummary); diff != "" {
				t.Errorf("summary (-got +want):\n%s", diff)
			}
			if tt.wantChanges != nil {
				if diff := cmp.Diff(summarizeChanges(got), tt.wantChanges); diff != "" {
					t.Errorf("changes (-got +want):\n%s", diff)
				}
			}
			actions := map[string]Action{}
			for _, e := range got.Environments {
				actions[e.Name] = e.Action
			}
			if diff := cmp.Diff(actions, tt.wantActions, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("environment actions (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCalculateIsDeterministic(t *testing.T) {
	w := want(env("c"), env("a"), env("b"))
	first := Calculate(w, nil)
	for i := 0; i < 20; i++ {
		if diff := cmp.Diff(Calculate(w, nil), first, cmpopts.IgnoreFields(Environment{}, "Refs")); diff != "" {
			t.Fatalf("run %d differs:\n%s", i, diff)
		}
	}
}

func TestWriteText(t *testing.T) {
	bigger := env("bob")
	bigger.CPU, bigger.Memory = 2048, 4096
	p := Calculate(want(bigger, env("new")), exist(want(env("bob"), env("old"))))
	var b bytes.Buffer
	if err := WriteText(&b, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{
		"# environment bob will be updated\n  ~ task-definition polyfleet-acme-bob (new revision)\n      ~ cpu    = \"1024\" -> \"2048\"\n      ~ memory = \"2048\" -> \"4096\"\n",
		"# environment new will be created\n  + role polyfleet-acme-new\n",
		"      + secret_string = (sensitive)\n",
		"# environment old will be DESTROYED\n",
		"      + priority     = (known after apply)\n",
		"Plan: 9 to add, 2 to change, 9 to destroy.\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text plan lacks %q; got:\n%s", s, out)
		}
	}
	if !strings.HasSuffix(out, "Plan: 9 to add, 2 to change, 9 to destroy.\n") {
		t.Errorf("text plan must end with the summary; got:\n%s", out)
	}
}

func TestWriteJSON(t *testing.T) {
	p := Calculate(want(env("alice")), exist(want(env("alice"), env("gone"))))
	var b bytes.Buffer
	if err := WriteJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary      map[string]int
		Environments []struct {
			Name, Action string
			Changes      []struct{ Resource, Action string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("plan JSON does not parse: %v\n%s", err, b.String())
	}
	if diff := cmp.Diff(got.Summary, map[string]int{"add": 0, "change": 0, "destroy": 9}); diff != "" {
		t.Errorf("summary (-got +want):\n%s", diff)
	}
	if len(got.Environments) != 2 || got.Environments[0].Action != "no-op" || got.Environments[1].Action != "delete" || got.Environments[1].Changes[0].Resource != "role" {
		t.Errorf("environments = %+v", got.Environments)
	}
}

func TestGuardDestroy(t *testing.T) {
	p := Calculate(want(env("a")), exist(want(env("a"), env("b"), env("c"))))
	if diff := cmp.Diff(p.Destroyed(), []string{"b", "c"}); diff != "" {
		t.Errorf("Destroyed (-got +want):\n%s", diff)
	}
	if err := GuardDestroy(p, 2); err != nil {
		t.Errorf("GuardDestroy(2) = %v, want nil", err)
	}
	err := GuardDestroy(p, 1)
	if !errors.Is(err, ErrDestroyGuard) || !strings.Contains(err.Error(), "destroys 2 environments (b, c)") {
		t.Errorf("GuardDestroy(1) = %v", err)
	}
}
