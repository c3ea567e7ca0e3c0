package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	logssdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"
	route53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	"github.com/polyfleet/polyfleet/internal/mototest"
)

// decoys are resources named like Polyfleet's but without its tags.
type decoys struct {
	sgID, tgARN string
}

func (h *harness) makeDecoys(env string) decoys {
	h.t.Helper()
	v := h.aws()
	sg, err := v.ec2().CreateSecurityGroup(v.ctx, &ec2sdk.CreateSecurityGroupInput{
		GroupName: aws.String("polyfleet-acme-" + env), Description: aws.String("hand-made"), VpcId: aws.String(h.infra.Fleet.VPCID),
	})
	v.check(err, "create decoy security group")
	tg, err := v.elb().CreateTargetGroup(v.ctx, &elbv2sdk.CreateTargetGroupInput{
		Name: aws.String("pf-acme-" + env), Port: aws.Int32(8080), Protocol: elbv2types.ProtocolEnumHttp,
		VpcId: aws.String(h.infra.Fleet.VPCID), TargetType: elbv2types.TargetTypeEnumIp,
		HealthCheckPath: aws.String("/healthz"), Matcher: &elbv2types.Matcher{HttpCode: aws.String("200")},
		HealthCheckIntervalSeconds: aws.Int32(30), HealthCheckTimeoutSeconds: aws.Int32(5),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
	})
	v.check(err, "create decoy target group")
	_, err = v.logs().CreateLogGroup(v.ctx, &logssdk.CreateLogGroupInput{LogGroupName: aws.String("/polyfleet/acme/" + env)})
	v.check(err, "create decoy log group")
	_, err = v.logs().PutRetentionPolicy(v.ctx, &logssdk.PutRetentionPolicyInput{LogGroupName: aws.String("/polyfleet/acme/" + env), RetentionInDays: aws.Int32(7)})
	v.check(err, "set decoy retention")
	return decoys{sgID: aws.ToString(sg.GroupId), tgARN: aws.ToString(tg.TargetGroups[0].TargetGroupArn)}
}

func (h *harness) makeForeignRecord(env string) {
	h.t.Helper()
	v := h.aws()
	_, err := v.r53().ChangeResourceRecordSets(v.ctx, &route53sdk.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(h.infra.Fleet.HostedZoneID),
		ChangeBatch: &route53types.ChangeBatch{Changes: []route53types.Change{{
			Action: route53types.ChangeActionCreate,
			ResourceRecordSet: &route53types.ResourceRecordSet{
				Name: aws.String(env + ".nb.example.com"), Type: route53types.RRTypeCname, TTL: aws.Int64(60),
				ResourceRecords: []route53types.ResourceRecord{{Value: aws.String("someone-else.example.org")}},
			},
		}}},
	})
	v.check(err, "create foreign record")
}

func (h *harness) checkDecoys(env string, d decoys) {
	h.t.Helper()
	v := h.aws()
	sgs := v.securityGroups()
	if sg, ok := sgs["polyfleet-acme-"+env]; !ok || aws.ToString(sg.GroupId) != d.sgID || len(sg.IpPermissions) != 0 {
		h.t.Errorf("decoy security group of %s was touched: %+v", env, sg)
	}
	if tg, ok := v.targetGroups()["pf-acme-"+env]; !ok || aws.ToString(tg.TargetGroupArn) != d.tgARN {
		h.t.Errorf("decoy target group of %s was touched", env)
	}
	if r, ok := v.logGroups()["/polyfleet/acme/"+env]; !ok || r != 7 {
		h.t.Errorf("decoy log group of %s was touched: retention %d", env, r)
	}
}

func TestDecoysAndOtherFleetsAreNeverTouched(t *testing.T) {
	h := newHarness(t)
	dave := h.makeDecoys("dave")
	h.makeForeignRecord("dave")
	erin := h.makeDecoys("erin")

	// A second fleet in the same account, with an environment of the same name.
	ctx := context.Background()
	beta, err := mototest.CreateInfra(ctx, h.cfg, "beta", "beta.example.com")
	if err != nil {
		t.Fatal(err)
	}
	betaDir := filepath.Join(h.dir, "beta")
	if err := os.MkdirAll(filepath.Join(betaDir, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("beta/fleet.yml", mototest.FleetYAML(beta.Fleet))
	h.write("beta/environments/alice.yml", "owner: alice\n")
	runBeta := func(want int, args ...string) result {
		t.Helper()
		var out, errOut strings.Builder
		args = append(args, "--config", filepath.Join(betaDir, "fleet.yml"), "--environments", filepath.Join(betaDir, "environments"))
		if code := Run(ctx, args, Env{Stdout: &out, Stderr: &errOut, Clients: h.clients}); code != want {
			t.Fatalf("beta: reconcile %v exited %d, want %d\n%s\n%s", args, code, want, out.String(), errOut.String())
		}
		return result{stdout: out.String(), stderr: errOut.String()}
	}
	runBeta(0, "apply")
	betaRole, err := h.aws().iam().ListRoles(ctx, nil)
	h.aws().check(err, "list roles")

	h.declare(map[string]string{"alice": "owner: alice\n", "bob": "owner: bob\n"})
	r := h.mustRun(0, "plan")
	if strings.Contains(r.stdout, "dave") || strings.Contains(r.stdout, "erin") || strings.Contains(r.stdout, "beta") {
		t.Errorf("the plan mentions resources that are not the fleet's:\n%s", r.stdout)
	}
	h.mustRun(0, "apply")
	h.removeEnv("alice")
	h.removeEnv("bob")
	r = h.mustRun(0, "apply")
	if !strings.Contains(r.stdout, "0 added, 0 changed, 18 destroyed") {
		t.Errorf("apply output:\n%s", r.stdout)
	}
	h.checkDecoys("dave", dave)
	h.checkDecoys("erin", erin)
	runBeta(0, "plan", "--detailed-exitcode")
	roles, err := h.aws().iam().ListRoles(ctx, nil)
	h.aws().check(err, "list roles")
	if len(roles.Roles) != len(betaRole.Roles) {
		t.Errorf("roles before: %d, after: %d", len(betaRole.Roles), len(roles.Roles))
	}

	// Declaring an environment whose DNS name someone else holds: a
	// conflict in the plan, and nothing of it is made.
	h.writeEnv("dave", "owner: dave\n")
	r = h.mustRun(0, "plan")
	if !strings.Contains(r.stdout, "Conflict in environment dave: dns-record dave.nb.example.com") {
		t.Errorf("plan does not report the DNS conflict:\n%s", r.stdout)
	}
	h.calls.reset()
	r = h.mustRun(1, "apply")
	if !strings.Contains(r.stderr, "environment dave: not applied") {
		t.Errorf("apply stderr:\n%s", r.stderr)
	}
	if w := h.calls.writes(); len(w) != 0 {
		t.Errorf("a conflicting environment made write calls: %v", w)
	}
	if cname := h.aws().records()["dave.nb.example.com CNAME"]; len(cname) != 1 || aws.ToString(cname[0].ResourceRecords[0].Value) != "someone-else.example.org" {
		t.Errorf("foreign record changed: %+v", cname)
	}
	h.removeEnv("dave")

	// Declaring an environment whose names untagged resources hold: the
	// second ownership check refuses to adopt them.
	h.writeEnv("erin", "owner: erin\n")
	r = h.mustRun(1, "apply")
	if !strings.Contains(r.stderr, "environment erin: log-group /polyfleet/acme/erin: refusing to change it: not owned by this fleet") {
		t.Errorf("apply stderr:\n%s", r.stderr)
	}
	h.checkDecoys("erin", erin)
}

func TestDriftIsReportedAndRepaired(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "apply")
	v := h.aws()
	svc := v.services()["polyfleet-acme-alice"]
	tg := v.targetGroups()["pf-acme-alice"]
	sg := v.securityGroups()["polyfleet-acme-alice"]

	// Hand changes in the console.
	_, err := v.ecs().UpdateService(v.ctx, &ecssdk.UpdateServiceInput{Cluster: aws.String(h.infra.Fleet.Cluster), Service: svc.ServiceArn, DesiredCount: aws.Int32(3)})
	v.check(err, "scale service")
	_, err = v.elb().ModifyTargetGroup(v.ctx, &elbv2sdk.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn, Matcher: &elbv2types.Matcher{HttpCode: aws.String("200-499")}})
	v.check(err, "change matcher")
	_, err = v.ec2().RevokeSecurityGroupIngress(v.ctx, &ec2sdk.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: sg.IpPermissions})
	v.check(err, "revoke ingress")
	_, err = v.ec2().AuthorizeSecurityGroupIngress(v.ctx, &ec2sdk.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
	}}})
	v.check(err, "open ssh")

	p := h.planJSON()
	var got []string
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			for _, f := range c.Fields {
				got = append(got, fmt.Sprintf("%s %s %s: %s -> %s", c.Action, c.Resource, f.Field, f.Before, f.After))
			}
		}
	}
	want := []string{
		"update target-group health_check.matcher: 200-499 -> 200",
		"update security-group ingress: tcp 22 from 0.0.0.0/0 -> tcp 8080 from " + h.infra.LBSecurityGrp,
		"update service desired_count: 3 -> 1",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("drift (-got +want):\n%s", diff)
	}
	h.mustRun(0, "apply")
	if n := v.services()["polyfleet-acme-alice"].DesiredCount; n != 1 {
		t.Errorf("desired count = %d after apply", n)
	}
	if m := aws.ToString(v.targetGroups()["pf-acme-alice"].Matcher.HttpCode); m != "200" {
		t.Errorf("matcher = %s after apply", m)
	}
	if got := ingress(v.securityGroups()["polyfleet-acme-alice"].IpPermissions); !cmp.Equal(got, []string{"tcp 8080-8080 " + h.infra.LBSecurityGrp}) {
		t.Errorf("ingress = %v after apply", got)
	}
	h.mustRun(0, "plan", "--detailed-exitcode")
}

// errCrash stands for the process dying: the call is never sent.
var errCrash = errors.New("injected crash")

// TestCrashAtEveryStepConverges stops apply at each of its write calls in
// turn, for a create and for a delete, then runs apply again, which must
// finish the job with no duplicates and no orphans.
func TestCrashAtEveryStepConverges(t *testing.T) {
	for _, phase := range []string{"create", "delete"} {
		for n := 1; ; n++ {
			h := newHarness(t)
			h.writeEnv("alice", "owner: alice\n")
			if phase == "delete" {
				h.mustRun(0, "apply")
				h.removeEnv("alice")
			}
			writes := 0
			h.calls.fail = func(op string, _ int) error {
				if isWrite(op) {
					writes++
					if writes == n {
						return errCrash
					}
				}
				return nil
			}
			r := h.run("apply", "--concurrency", "1")
			h.calls.fail = nil
			if r.code == 0 {
				if n == 1 {
					t.Fatalf("%s: no write call was ever made", phase)
				}
				t.Logf("%s: crashed at each of %d write calls; every re-run converged", phase, n-1)
				break
			}
			if !strings.Contains(r.stderr, "injected crash") {
				t.Fatalf("%s, crash at write %d: unexpected failure:\n%s", phase, n, r.stderr)
			}
			h.mustRun(0, "apply")
			h.mustRun(0, "plan", "--detailed-exitcode")
			v := h.aws()
			want := 1
			if phase == "delete" {
				want = 0
			}
			counts := map[string]int{
				"roles":           len(v.roles()),
				"secrets":         len(v.secretNames()),
				"log groups":      len(v.logGroups()),
				"revisions":       len(v.taskDefinitionARNs("polyfleet-acme-alice")),
				"target groups":   len(v.targetGroups()),
				"security groups": countIf(v.securityGroups(), func(name string) bool { return strings.HasPrefix(name, "polyfleet-") }),
				"services":        len(v.services()),
				"rules":           len(v.rules()),
				"A records":       len(v.records()["alice.nb.example.com A"]),
				"TXT records":     len(v.records()["_polyfleet.alice.nb.example.com TXT"]),
			}
			if left := v.taskDefinitionsIn("polyfleet-acme-alice", ecstypes.TaskDefinitionStatusInactive); len(left) != 0 {
				t.Errorf("%s, crash at write %d: deregistered revisions left undeleted: %v", phase, n, left)
			}
			for what, got := range counts {
				if got != want {
					t.Errorf("%s, crash at write %d: %d %s, want %d", phase, n, got, what, want)
				}
			}
			if n > 40 {
				t.Fatal("apply makes more write calls than expected")
			}
		}
	}
}

func countIf[V any](m map[string]V, keep func(string) bool) int {
	n := 0
	for k := range m {
		if keep(k) {
			n++
		}
	}
	return n
}

func TestThrottlingIsRetried(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\n")
	attempts := map[string]int{}
	h.calls.fail = func(op string, _ int) error {
		attempts[op]++
		// The first two attempts of these calls are throttled...
		if slices.Contains([]string{"Elastic Load Balancing v2.CreateTargetGroup", "Route 53.ChangeResourceRecordSets", "Resource Groups Tagging API.GetResources", "ECS.CreateService"}, op) && attempts[op] <= 2 {
			return throttle()
		}
		// ...and these answer 503 at first.
		if slices.Contains([]string{"IAM.CreateRole", "EC2.DescribeSecurityGroups", "Secrets Manager.CreateSecret"}, op) && attempts[op] <= 1 {
			return unavailable()
		}
		return nil
	}
	h.mustRun(0, "apply", "--concurrency", "1")
	h.calls.fail = nil
	h.mustRun(0, "plan", "--detailed-exitcode")
	for op, min := range map[string]int{
		"Elastic Load Balancing v2.CreateTargetGroup": 3, "Route 53.ChangeResourceRecordSets": 3, "ECS.CreateService": 3,
		"IAM.CreateRole": 2, "EC2.DescribeSecurityGroups": 2, "Secrets Manager.CreateSecret": 2,
	} {
		if attempts[op] < min {
			t.Errorf("%s was attempted %d times; the injected failures did not happen", op, attempts[op])
		}
	}

	// Throttled for good: bounded retries, then an error that names the
	// environment, the resource and the AWS error.
	h.writeEnv("bob", "owner: bob\n")
	tries := 0
	h.calls.fail = func(op string, _ int) error {
		if op == "Elastic Load Balancing v2.CreateTargetGroup" {
			tries++
			return throttle()
		}
		return nil
	}
	r := h.mustRun(1, "apply")
	if !strings.Contains(r.stderr, "environment bob: target-group pf-acme-bob: create: operation error Elastic Load Balancing v2: CreateTargetGroup") ||
		!strings.Contains(r.stderr, "ThrottlingException") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if tries != 8 {
		t.Errorf("CreateTargetGroup tried %d times, want 8 (cloud.MaxAttempts)", tries)
	}
}

// TestDiscoveryCallsGrowWithPages compares the calls of one plan for 2 and
// for 12 environments: only DescribeTaskDefinition (AWS has no batch form)
// grows per environment; the rest grow with result pages.
func TestDiscoveryCallsGrowWithPages(t *testing.T) {
	count := func(n int) map[string]int {
		h := newHarness(t)
		for i := range n {
			h.writeEnv(fmt.Sprintf("env%02d", i), "owner: someone\n")
		}
		h.mustRun(0, "apply", "--concurrency", "8")
		h.calls.reset()
		h.mustRun(0, "plan", "--detailed-exitcode")
		m := map[string]int{}
		for _, op := range h.calls.snapshot() {
			m[op]++
		}
		return m
	}
	small, large := count(2), count(12)
	t.Logf("calls of one plan: 2 environments %v; 12 environments %v", small, large)
	for op, n := range large {
		want := small[op]
		switch op {
		case "ECS.DescribeTaskDefinition":
			want = 12
		case "ECS.DescribeServices":
			want = 2 // 10 services per call
		case "Resource Groups Tagging API.GetResources":
			want = (12*4*4 + 99) / 100 // 4 tagged resources of 4 tags each, 100 tags a page
		}
		if n != want {
			t.Errorf("%s: %d calls for 12 environments, want %d", op, n, want)
		}
	}
}
