package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// iamAction turns a recorded SDK call ("ECS.CreateService") into the IAM
// action that allows it ("ecs:CreateService").
func iamAction(t *testing.T, op string) string {
	service, name, _ := strings.Cut(op, ".")
	prefix := map[string]string{
		"ECS": "ecs", "Elastic Load Balancing v2": "elasticloadbalancing", "IAM": "iam", "EC2": "ec2",
		"CloudWatch Logs": "logs", "Secrets Manager": "secretsmanager", "Route 53": "route53",
		"Resource Groups Tagging API": "tag",
	}[service]
	if prefix == "" {
		t.Fatalf("no IAM prefix for service %q", service)
	}
	return prefix + ":" + name
}

func policyActions(t *testing.T, h *harness, role string) []string {
	t.Helper()
	r := h.mustRun(0, "iam-policy", role)
	var doc struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("iam-policy %s: %v\n%s", role, err, r.stdout)
	}
	var out []string
	for _, s := range doc.Statement {
		out = append(out, s.Action...)
	}
	return out
}

// TestIAMPoliciesCoverEveryCall records every AWS call that plan, apply
// (create, update, delete) make against moto and checks that the printed
// policies allow each one, and that the plan policy allows no write.
func TestIAMPoliciesCoverEveryCall(t *testing.T) {
	h := newHarness(t)
	planActions, applyActions := policyActions(t, h, "plan"), policyActions(t, h, "apply")
	for _, a := range planActions {
		if service, name, _ := strings.Cut(a, ":"); isWrite(service + "." + name) {
			t.Errorf("the plan policy allows %s, a write", a)
		}
	}

	h.calls.reset()
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "plan")
	for _, op := range h.calls.snapshot() {
		if a := iamAction(t, op); !slices.Contains(planActions, a) {
			t.Errorf("plan calls %s, which the plan policy does not allow", a)
		}
	}
	h.calls.reset()
	h.mustRun(0, "apply")
	h.writeEnv("alice", "owner: alice\ncpu: 2048\nmemory: 4096\n")
	h.mustRun(0, "apply")
	h.writeEnv("alice", "owner: alicia\ncpu: 2048\nmemory: 4096\n")
	h.mustRun(0, "apply")
	h.removeEnv("alice")
	h.mustRun(0, "apply")
	seen := map[string]bool{}
	for _, op := range h.calls.snapshot() {
		a := iamAction(t, op)
		if !seen[a] && !slices.Contains(applyActions, a) {
			t.Errorf("apply calls %s, which the apply policy does not allow", a)
		}
		seen[a] = true
	}
	if len(seen) < 30 {
		t.Errorf("only %d distinct calls recorded: %v", len(seen), seen)
	}
}
