package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validFleet = `name: acme
region: eu-west-1
cluster: notebooks
vpc_id: vpc-0123abcd
subnets: [subnet-0a, subnet-0b]
load_balancer_arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/notebooks/0123456789abcdef
listener_port: 443
hosted_zone_id: Z0123ABC
domain: notebooks.example.com
defaults:
  cpu: 1024
  memory: 2048
  image: polynote/polynote:0.5.1
  proxy_image: ghcr.io/polyfleet/proxy:1.0.0
`

func mustFleet(t *testing.T) Fleet {
	t.Helper()
	f, err := ParseFleet("fleet.yml", []byte(validFleet))
	if err != nil {
		t.Fatalf("ParseFleet(valid) = %v", err)
	}
	return f
}

func TestParseFleetValid(t *testing.T) {
	got := mustFleet(t)
	want := Fleet{
		Name: "acme", Region: "eu-west-1", Cluster: "notebooks", VPCID: "vpc-0123abcd",
		Subnets:          []string{"subnet-0a", "subnet-0b"},
		LoadBalancerARN:  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/notebooks/0123456789abcdef",
		ListenerPort:     443,
		HostedZoneID:     "Z0123ABC",
		Domain:           "notebooks.example.com",
		LogRetentionDays: 30,
		MaxDestroy:       3,
		Defaults:         Defaults{CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.1", ProxyImage: "ghcr.io/polyfleet/proxy:1.0.0"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("ParseFleet mismatch (-got +want):\n%s", diff)
	}
	if got.Account() != "123456789012" || got.Partition() != "aws" {
		t.Errorf("Account, Partition = %q, %q", got.Account(), got.Partition())
	}
}

func TestParseFleetErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"unknown key", func(s string) string { return s + "colour: blue\n" }, []string{"fleet.yml:15:1: colour: unknown field"}},
		{"bad name", func(s string) string { return strings.Replace(s, "name: acme", "name: Acme_Corp", 1) }, []string{`fleet.yml:1:7: name: "Acme_Corp" must match`}},
		{"missing defaults field", func(s string) string {
			return strings.Replace(s, "  proxy_image: ghcr.io/polyfleet/proxy:1.0.0\n", "", 1)
		}, []string{"fleet.yml:11:3: defaults.proxy_image: is required"}},
		{"wrong type", func(s string) string { return strings.Replace(s, "listener_port: 443", "listener_port: https", 1) }, []string{`fleet.yml:7:16: listener_port: must be a whole number, not "https"`}},
		{"bad fargate default", func(s string) string { return strings.Replace(s, "memory: 2048", "memory: 1000", 1) }, []string{"fleet.yml:12:11: defaults.memory: memory 1000 does not fit cpu 1024"}},
		{"latest tag", func(s string) string { return strings.Replace(s, "polynote:0.5.1", "polynote:latest", 1) }, []string{"fleet.yml:13:10: defaults.image: \"polynote/polynote:latest\" uses the moving tag latest"}},
		{"region mismatch", func(s string) string { return strings.Replace(s, "region: eu-west-1", "region: us-east-1", 1) }, []string{"fleet.yml:6:20: load_balancer_arn: is in region eu-west-1"}},
		{"bad retention", func(s string) string { return s + "log_retention_days: 31\n" }, []string{"fleet.yml:15:21: log_retention_days: 31 is not a CloudWatch Logs retention"}},
		{"missing required", func(s string) string { return strings.Replace(s, "cluster: notebooks\n", "", 1) }, []string{"fleet.yml:1:1: cluster: is required"}},
		{"empty", func(string) string { return "" }, []string{"fleet.yml: is empty"}},
		{"not yaml", func(string) string { return "name: [unclosed\n" }, []string{"fleet.yml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFleet("fleet.yml", []byte(tt.edit(validFleet)))
			if err == nil {
				t.Fatal("ParseFleet succeeded, want an error")
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), err)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseEnvironment(t *testing.T) {
	fleet := mustFleet(t)
	tests := []struct {
		name    string
		file    string
		src     string
		want    Environment
		wantErr []string
	}{
		{
			name: "defaults", file: "environments/alice.yml", src: "owner: alice\n",
			want: Environment{Name: "alice", File: "environments/alice.yml", Owner: "alice", CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.1"},
		},
		{
			name: "overrides", file: "environments/bob.yaml", src: "owner: bob-smith\ncpu: 2048\nmemory: 8192\nimage: polynote/polynote:0.6.0\nstopped: true\n",
			want: Environment{Name: "bob", File: "environments/bob.yaml", Owner: "bob-smith", CPU: 2048, Memory: 8192, Image: "polynote/polynote:0.6.0", Stopped: true},
		},
		{name: "missing owner", file: "e/a.yml", src: "cpu: 1024\n", wantErr: []string{"e/a.yml:1:1: owner: is required"}},
		{name: "empty file", file: "e/a.yml", src: "", wantErr: []string{"e/a.yml:1:1: owner: is required"}},
		{name: "unknown key", file: "e/a.yml", src: "owner: a\ncpus: 2\n", wantErr: []string{"e/a.yml:2:1: cpus: unknown field (allowed: cpu, image, memory, owner, stopped)"}},
		{name: "bad memory", file: "e/a.yml", src: "owner: a\ncpu: 256\nmemory: 4096\n", wantErr: []string{"e/a.yml:3:9: memory: memory 4096 does not fit cpu 256 on Fargate; use 512, 1024 or 2048"}},
		{name: "bad cpu", file: "e/a.yml", src: "owner: a\ncpu: 3000\n", wantErr: []string{"e/a.yml:2:6: cpu: cpu 3000 is not a Fargate size"}},
		{name: "memory step", file: "e/a.yml", src: "owner: a\ncpu: 8192\nmemory: 20000\n", wantErr: []string{"e/a.yml:3:9: memory: memory 20000 does not fit cpu 8192 on Fargate; use 16384 to 61440 in steps of 4096"}},
		{name: "bad name", file: "e/Alice_1.yml", src: "owner: a\n", wantErr: []string{`e/Alice_1.yml: environment name "Alice_1" (the file name) must be a DNS label`}},
		{name: "long name", file: "e/" + strings.Repeat("a", 41) + ".yml", src: "owner: a\n", wantErr: []string{"e/" + strings.Repeat("a", 41) + ".yml: environment name"}},
		{name: "bad type", file: "e/a.yml", src: "owner: a\nstopped: maybe\n", wantErr: []string{`e/a.yml:2:10: stopped: must be true or false, not "maybe"`}},
		{name: "owner list", file: "e/a.yml", src: "owner: [a, b]\n", wantErr: []string{"e/a.yml:1:8: owner: must be a string"}},
		{name: "repeated key", file: "e/a.yml", src: "owner: a\nowner: b\n", wantErr: []string{"e/a.yml:2:1: owner: "}},
		{name: "not a mapping", file: "e/a.yml", src: "- owner: a\n", wantErr: []string{"e/a.yml:1:1: must be a mapping", "e/a.yml:1:1: owner: is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnvironment(tt.file, []byte(tt.src), fleet)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ParseEnvironment: %v", err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("mismatch (-got +want):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatal("ParseEnvironment succeeded, want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wantErr) {
				t.Fatalf("got errors:\n%s\nwant %d", err, len(tt.wantErr))
			}
			for i := range lines {
				if !strings.HasPrefix(lines[i], tt.wantErr[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, lines[i], tt.wantErr[i])
				}
			}
		})
	}
}

func TestLoadEnvironments(t *testing.T) {
	fleet := mustFleet(t)
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("zed.yml", "owner: zed\n")
	write("amy.yaml", "owner: amy\n")
	write("README.md", "not an environment\n")
	envs, err := LoadEnvironments(dir, fleet)
	if err != nil {
		t.Fatalf("LoadEnvironments: %v", err)
	}
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff(names, []string{"amy", "zed"}); diff != "" {
		t.Errorf("names (-got +want):\n%s", diff)
	}

	write("amy.yml", "owner: amy\n")
	write("bad.yml", "owner: x\nmemory: 3\n")
	_, err = LoadEnvironments(dir, fleet)
	var errs Errors
	if err == nil {
		t.Fatal("want errors for a duplicate and a bad file")
	}
	errs = err.(Errors)
	if len(errs) != 2 || !strings.Contains(errs[0].Msg+errs[1].Msg, "is also declared in") {
		t.Errorf("errors = %v", err)
	}
}

func TestCheckFargateSize(t *testing.T) {
	valid := [][2]int{{256, 512}, {256, 2048}, {512, 4096}, {1024, 2048}, {2048, 16384}, {4096, 30720}, {8192, 61440}, {16384, 122880}, {16384, 40960}}
	invalid := [][2]int{{256, 1536}, {256, 4096}, {512, 512}, {1024, 9216}, {4096, 8704}, {8192, 20000}, {16384, 36864}, {128, 512}}
	for _, v := range valid {
		if err := CheckFargateSize(v[0], v[1]); err != nil {
			t.Errorf("CheckFargateSize(%d, %d) = %v, want nil", v[0], v[1], err)
		}
	}
	for _, v := range invalid {
		if err := CheckFargateSize(v[0], v[1]); err == nil {
			t.Errorf("CheckFargateSize(%d, %d) = nil, want an error", v[0], v[1])
		}
	}
}
