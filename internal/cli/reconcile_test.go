package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/polyfleet/polyfleet/internal/mototest"
)

var three = map[string]string{
	"alice": "owner: alice\n",
	"bob":   "owner: bob\ncpu: 2048\nmemory: 4096\n",
	"carol": "owner: carol\nstopped: true\n",
}

func (h *harness) declare(envs map[string]string) {
	for name, src := range envs {
		h.writeEnv(name, src)
	}
}

type planJSON struct {
	Summary      struct{ Add, Change, Destroy int }
	Environments []struct {
		Name, Action string
		Changes      []struct {
			Resource, Name, Action string
			Fields                 []struct{ Field, Before, After string }
		}
	}
}

func (h *harness) planJSON() planJSON {
	h.t.Helper()
	r := h.mustRun(0, "plan", "--format", "json")
	var p planJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		h.t.Fatalf("plan JSON: %v\n%s", err, r.stdout)
	}
	return p
}

func TestApplyThreeEnvironments(t *testing.T) {
	h := newHarness(t)
	h.declare(three)

	r := h.mustRun(2, "plan", "--detailed-exitcode")
	if !strings.HasSuffix(r.stdout, "Plan: 27 to add, 0 to change, 0 to destroy.\n") {
		t.Errorf("first plan should add 9 resources per environment:\n%s", r.stdout)
	}
	applied := h.mustRun(0, "apply")
	r = h.mustRun(0, "plan", "--detailed-exitcode")
	if !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("second plan is not empty:\n%s", r.stdout)
	}

	v := h.aws()
	lbSG := h.infra.LBSecurityGrp
	if diff := cmp.Diff(v.roles(), []string{"polyfleet-acme-alice", "polyfleet-acme-bob", "polyfleet-acme-carol"}); diff != "" {
		t.Errorf("roles (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(v.secretNames(), []string{"polyfleet/acme/alice", "polyfleet/acme/bob", "polyfleet/acme/carol"}); diff != "" {
		t.Errorf("secrets (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(v.logGroups(), map[string]int32{"/polyfleet/acme/alice": 30, "/polyfleet/acme/bob": 30, "/polyfleet/acme/carol": 30}); diff != "" {
		t.Errorf("log groups (-got +want):\n%s", diff)
	}
	tgs, sgs, svcs, rules, records := v.targetGroups(), v.securityGroups(), v.services(), v.rules(), v.records()
	priorities := map[string]bool{}
	for name, size := range map[string][2]string{"alice": {"1024", "2048"}, "bob": {"2048", "4096"}, "carol": {"1024", "2048"}} {
		t.Run(name, func(t *testing.T) {
			base := "polyfleet-acme-" + name
			// 1. role: trust, managed policy, inline policy on its own secret only.
			role, err := v.iam().GetRole(v.ctx, &iamsdk.GetRoleInput{RoleName: aws.String(base)})
			v.check(err, "get role")
			if aws.ToString(role.Role.Path) != "/polyfleet/acme/" {
				t.Errorf("role path = %q", aws.ToString(role.Role.Path))
			}
			if doc := decode(aws.ToString(role.Role.AssumeRolePolicyDocument)); !strings.Contains(doc, "ecs-tasks.amazonaws.com") {
				t.Errorf("trust policy = %s", doc)
			}
			attached, err := v.iam().ListAttachedRolePolicies(v.ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: aws.String(base)})
			v.check(err, "list attached")
			if len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "AmazonECSTaskExecutionRolePolicy" {
				t.Errorf("attached policies = %+v", attached.AttachedPolicies)
			}
			inline := v.rolePolicy(base, "polyfleet-read-own-secret")
			if !strings.Contains(inline, "secretsmanager:GetSecretValue") || !strings.Contains(inline, ":secret:polyfleet/acme/"+name+"-??????") {
				t.Errorf("inline policy = %s", inline)
			}
			// 2. secret: JSON credentials, a long random password.
			cred := v.secretValue("polyfleet/acme/" + name)
			if cred["username"] == "" || len(cred["password"]) < 24 {
				t.Errorf("secret holds username %q and a password of %d characters", cred["username"], len(cred["password"]))
			}
			if strings.Contains(applied.stdout+applied.stderr+r.stdout, cred["password"]) {
				t.Error("the password was printed")
			}
			// 4. task definition.
			arns := v.taskDefinitionARNs(base)
			if len(arns) != 1 {
				t.Fatalf("task definition revisions = %v, want 1", arns)
			}
			td := v.taskDefinition(arns[0])
			if got := [2]string{aws.ToString(td.Cpu), aws.ToString(td.Memory)}; got != size {
				t.Errorf("task size = %v, want %v", got, size)
			}
			if td.NetworkMode != ecstypes.NetworkModeAwsvpc || !slices.Contains(td.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
				t.Errorf("network mode %s, compatibilities %v", td.NetworkMode, td.RequiresCompatibilities)
			}
			if aws.ToString(td.ExecutionRoleArn) != aws.ToString(role.Role.Arn) {
				t.Errorf("execution role = %s, want %s", aws.ToString(td.ExecutionRoleArn), aws.ToString(role.Role.Arn))
			}
			checkContainers(t, td, name, cred["password"])
			// 5. target group.
			tg, ok := tgs["pf-acme-"+name]
			if !ok {
				t.Fatalf("no target group pf-acme-%s", name)
			}
			if tg.TargetType != "ip" || aws.ToInt32(tg.Port) != 8080 || tg.Protocol != "HTTP" || aws.ToString(tg.HealthCheckPath) != "/healthz" || aws.ToString(tg.Matcher.HttpCode) != "200" {
				t.Errorf("target group = type %s port %d %s health %s %s", tg.TargetType, aws.ToInt32(tg.Port), tg.Protocol, aws.ToString(tg.HealthCheckPath), aws.ToString(tg.Matcher.HttpCode))
			}
			// 6. security group: 8080 from the load balancer only.
			sg, ok := sgs[base]
			if !ok {
				t.Fatalf("no security group %s", base)
			}
			if got := ingress(sg.IpPermissions); !cmp.Equal(got, []string{"tcp 8080-8080 " + lbSG}) {
				t.Errorf("ingress = %v, want only 8080 from %s", got, lbSG)
			}
			// 7. service.
			svc, ok := svcs[base]
			if !ok {
				t.Fatalf("no service %s", base)
			}
			wantCount := int32(1)
			if name == "carol" {
				wantCount = 0
			}
			if svc.DesiredCount != wantCount || aws.ToString(svc.TaskDefinition) != arns[0] || svc.LaunchType != ecstypes.LaunchTypeFargate {
				t.Errorf("service: desired %d, task definition %s, launch type %s", svc.DesiredCount, aws.ToString(svc.TaskDefinition), svc.LaunchType)
			}
			if len(svc.LoadBalancers) != 1 || aws.ToString(svc.LoadBalancers[0].TargetGroupArn) != aws.ToString(tg.TargetGroupArn) ||
				aws.ToString(svc.LoadBalancers[0].ContainerName) != "proxy" || aws.ToInt32(svc.LoadBalancers[0].ContainerPort) != 8080 {
				t.Errorf("service load balancers = %+v", svc.LoadBalancers)
			}
			nc := svc.NetworkConfiguration.AwsvpcConfiguration
			if !cmp.Equal(nc.SecurityGroups, []string{aws.ToString(sg.GroupId)}) || len(nc.Subnets) != 2 {
				t.Errorf("service network = %+v", nc)
			}
			// 8. listener rule.
			rule, ok := rules[name+".nb.example.com"]
			if !ok {
				t.Fatalf("no listener rule for %s.nb.example.com", name)
			}
			if aws.ToString(rule.Actions[0].TargetGroupArn) != aws.ToString(tg.TargetGroupArn) {
				t.Errorf("rule forwards to %s", aws.ToString(rule.Actions[0].TargetGroupArn))
			}
			if priorities[aws.ToString(rule.Priority)] {
				t.Errorf("priority %s used twice", aws.ToString(rule.Priority))
			}
			priorities[aws.ToString(rule.Priority)] = true
			// 9. DNS: alias and ownership record.
			a := records[name+".nb.example.com A"]
			if len(a) != 1 || a[0].AliasTarget == nil || !strings.EqualFold(strings.TrimSuffix(aws.ToString(a[0].AliasTarget.DNSName), "."), "acme-notebooks-1.eu-west-1.elb.amazonaws.com") {
				t.Errorf("A record = %+v", a)
			}
			txt := records["_polyfleet."+name+".nb.example.com TXT"]
			if len(txt) != 1 || aws.ToString(txt[0].ResourceRecords[0].Value) != `"heritage=polyfleet,fleet=acme,environment=`+name+`"` {
				t.Errorf("TXT record = %+v", txt)
			}
		})
	}
	// Every resource is tagged with fleet, environment, resource and owner.
	tags, err := v.ecs().ListTagsForResource(v.ctx, &ecssdk.ListTagsForResourceInput{ResourceArn: svcs["polyfleet-acme-bob"].ServiceArn})
	v.check(err, "list service tags")
	got := map[string]string{}
	for _, tag := range tags.Tags {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	want := map[string]string{"polyfleet:fleet": "acme", "polyfleet:environment": "bob", "polyfleet:resource": "service", "polyfleet:owner": "bob"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("service tags (-got +want):\n%s", diff)
	}
}

func checkContainers(t *testing.T, td *ecstypes.TaskDefinition, env, password string) {
	t.Helper()
	byName := map[string]ecstypes.ContainerDefinition{}
	for _, c := range td.ContainerDefinitions {
		byName[aws.ToString(c.Name)] = c
		for _, kv := range c.Environment {
			if strings.Contains(aws.ToString(kv.Value), password) {
				t.Errorf("container %s has the password in its environment", aws.ToString(c.Name))
			}
		}
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || lc.Options["awslogs-group"] != "/polyfleet/acme/"+env {
			t.Errorf("container %s logs to %+v", aws.ToString(c.Name), lc)
		}
	}
	pn, px := byName["polynote"], byName["proxy"]
	if aws.ToInt32(pn.PortMappings[0].ContainerPort) != 8192 || aws.ToInt32(px.PortMappings[0].ContainerPort) != 8080 {
		t.Errorf("ports: polynote %v, proxy %v", pn.PortMappings, px.PortMappings)
	}
	if len(px.DependsOn) != 1 || aws.ToString(px.DependsOn[0].ContainerName) != "polynote" || px.DependsOn[0].Condition != ecstypes.ContainerConditionStart {
		t.Errorf("proxy dependsOn = %+v", px.DependsOn)
	}
	secrets := map[string]string{}
	for _, s := range px.Secrets {
		secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	re := regexp.MustCompile(`^arn:aws:secretsmanager:eu-west-1:\d{12}:secret:polyfleet/acme/` + env + `-[A-Za-z0-9]{6}:(username|password)::$`)
	if len(secrets) != 2 || !re.MatchString(secrets["PROXY_USERNAME"]) || !re.MatchString(secrets["PROXY_PASSWORD"]) ||
		!strings.HasSuffix(secrets["PROXY_PASSWORD"], ":password::") {
		t.Errorf("proxy secrets = %v", secrets)
	}
}

func decode(doc string) string {
	if u, err := url.QueryUnescape(doc); err == nil {
		return u
	}
	return doc
}

func ingress(perms []ec2types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		for _, g := range p.UserIdGroupPairs {
			out = append(out, fmt.Sprintf("%s %d-%d %s", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), aws.ToString(g.GroupId)))
		}
		for _, r := range p.IpRanges {
			out = append(out, fmt.Sprintf("%s %d-%d %s", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort), aws.ToString(r.CidrIp)))
		}
	}
	return out
}

func TestUpdateInPlace(t *testing.T) {
	h := newHarness(t)
	h.declare(three)
	h.mustRun(0, "apply")
	v := h.aws()
	before := v.services()
	aliceTD := v.taskDefinitionARNs("polyfleet-acme-alice")

	h.writeEnv("bob", "owner: bob\ncpu: 4096\nmemory: 8192\n")
	p := h.planJSON()
	if p.Summary != (struct{ Add, Change, Destroy int }{0, 2, 0}) {
		t.Errorf("summary = %+v, want 2 to change", p.Summary)
	}
	var bob []string
	for _, e := range p.Environments {
		if e.Name != "bob" && e.Action != "no-op" {
			t.Errorf("environment %s: %s, want no-op", e.Name, e.Action)
		}
		if e.Name == "bob" {
			for _, c := range e.Changes {
				for _, f := range c.Fields {
					bob = append(bob, fmt.Sprintf("%s %s %s: %s -> %s", c.Action, c.Resource, f.Field, f.Before, f.After))
				}
			}
		}
	}
	wantBob := []string{
		"update task-definition cpu: 2048 -> 4096",
		"update task-definition memory: 4096 -> 8192",
		"update service task_definition: " + aws.ToString(before["polyfleet-acme-bob"].TaskDefinition) + " -> (known after apply)",
	}
	if diff := cmp.Diff(bob, wantBob); diff != "" {
		t.Errorf("bob's changes (-got +want):\n%s", diff)
	}
	r := h.mustRun(0, "apply")
	if !strings.Contains(r.stdout, "Apply complete: 0 added, 2 changed, 0 destroyed.") {
		t.Errorf("apply output:\n%s", r.stdout)
	}
	after := v.services()
	revs := v.taskDefinitionARNs("polyfleet-acme-bob")
	if len(revs) != 2 {
		t.Fatalf("bob's revisions = %v, want 2", revs)
	}
	newest := v.taskDefinition(aws.ToString(after["polyfleet-acme-bob"].TaskDefinition))
	if aws.ToString(newest.Cpu) != "4096" || aws.ToString(newest.Memory) != "8192" || newest.Revision != 2 {
		t.Errorf("bob's service runs revision %d with %s/%s", newest.Revision, aws.ToString(newest.Cpu), aws.ToString(newest.Memory))
	}
	if aws.ToString(after["polyfleet-acme-bob"].ServiceArn) != aws.ToString(before["polyfleet-acme-bob"].ServiceArn) {
		t.Error("bob's service was replaced, want an in-place update")
	}
	for _, name := range []string{"polyfleet-acme-alice", "polyfleet-acme-carol"} {
		if aws.ToString(after[name].TaskDefinition) != aws.ToString(before[name].TaskDefinition) {
			t.Errorf("%s was touched", name)
		}
	}
	if !cmp.Equal(v.taskDefinitionARNs("polyfleet-acme-alice"), aliceTD) {
		t.Error("alice got a new task definition revision")
	}
	h.mustRun(0, "plan", "--detailed-exitcode")
}

func TestStopAndStart(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "apply")
	h.writeEnv("alice", "owner: alice\nstopped: true\n")
	h.mustRun(0, "apply")
	if got := h.aws().services()["polyfleet-acme-alice"].DesiredCount; got != 0 {
		t.Errorf("stopped: desired count %d, want 0", got)
	}
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "apply")
	if got := h.aws().services()["polyfleet-acme-alice"].DesiredCount; got != 1 {
		t.Errorf("started: desired count %d, want 1", got)
	}
}

func TestDeleteAndRecreate(t *testing.T) {
	h := newHarness(t)
	h.declare(three)
	h.mustRun(0, "apply")
	oldPassword := h.aws().secretValue("polyfleet/acme/bob")["password"]

	h.removeEnv("bob")
	p := h.planJSON()
	if p.Summary.Destroy != 9 || p.Summary.Add != 0 || p.Summary.Change != 0 {
		t.Errorf("summary = %+v, want 9 to destroy", p.Summary)
	}
	h.mustRun(0, "apply")
	v := h.aws()
	gone := func(what string, present bool) {
		t.Helper()
		if present {
			t.Errorf("bob's %s is still there", what)
		}
	}
	gone("role", slices.Contains(v.roles(), "polyfleet-acme-bob"))
	gone("secret", slices.Contains(v.secretNames(), "polyfleet/acme/bob"))
	_, ok := v.logGroups()["/polyfleet/acme/bob"]
	gone("log group", ok)
	gone("task definition", len(v.taskDefinitionARNs("polyfleet-acme-bob")) > 0)
	_, ok = v.targetGroups()["pf-acme-bob"]
	gone("target group", ok)
	_, ok = v.securityGroups()["polyfleet-acme-bob"]
	gone("security group", ok)
	_, ok = v.services()["polyfleet-acme-bob"]
	gone("service", ok)
	_, ok = v.rules()["bob.nb.example.com"]
	gone("listener rule", ok)
	records := v.records()
	gone("A record", len(records["bob.nb.example.com A"]) > 0)
	gone("TXT record", len(records["_polyfleet.bob.nb.example.com TXT"]) > 0)
	if len(v.roles()) != 2 || len(v.services()) != 2 {
		t.Errorf("the other environments were touched: roles %v", v.roles())
	}

	// Re-created at once: the secret name is free again.
	h.writeEnv("bob", three["bob"])
	h.mustRun(0, "apply")
	if _, ok := v.services()["polyfleet-acme-bob"]; !ok {
		t.Error("bob's service was not re-created")
	}
	if pw := v.secretValue("polyfleet/acme/bob")["password"]; pw == oldPassword || len(pw) < 24 {
		t.Error("re-created environment should get a new password")
	}
	h.mustRun(0, "plan", "--detailed-exitcode")
}

func TestInvalidSpecsChangeNothing(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\ncpu: 256\nmemory: 4096\n")
	h.writeEnv("bob", "owner: bob\ncolour: blue\n")
	h.write("environments/carol.yaml", "cpu: 1024\n")
	h.write("environments/bob.yaml", "owner: bob\n")
	for _, cmd := range []string{"validate", "plan", "apply"} {
		r := h.mustRun(1, cmd)
		for _, want := range []string{
			"environments/alice.yml:3:9: memory: memory 4096 does not fit cpu 256 on Fargate",
			"environments/bob.yml:2:1: colour: unknown field",
			"environments/bob.yml: environment \"bob\" is also declared in",
			"environments/carol.yaml:1:1: owner: is required",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, r.stderr)
			}
		}
	}
	if h.clientsOK || len(h.calls.snapshot()) != 0 {
		t.Errorf("invalid specs made AWS calls: %v", h.calls.snapshot())
	}
}

// TestReplaceWhatCannotChangeInPlace moves the fleet to another VPC: the
// target group and security group cannot change VPC, so they are replaced,
// and so are the rule and service that use them; the rest stays.
func TestReplaceWhatCannotChangeInPlace(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "apply")
	v := h.aws()
	oldTG := v.targetGroups()["pf-acme-alice"]
	oldRole := v.roles()

	vpc, err := v.ec2().CreateVpc(v.ctx, &ec2sdk.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	v.check(err, "create VPC")
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := v.ec2().CreateSubnet(v.ctx, &ec2sdk.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.1.%d.0/24", i)), AvailabilityZone: aws.String("eu-west-1" + az)})
		v.check(err, "create subnet")
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	moved := h.infra.Fleet
	moved.VPCID, moved.Subnets = aws.ToString(vpc.Vpc.VpcId), subnets
	h.write("fleet.yml", mototest.FleetYAML(moved))

	p := h.planJSON()
	var got []string
	for _, c := range p.Environments[0].Changes {
		got = append(got, c.Action+" "+c.Resource)
	}
	want := []string{"replace target-group", "replace security-group", "replace listener-rule", "replace service"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("changes (-got +want):\n%s", diff)
	}
	h.mustRun(0, "apply")
	h.mustRun(0, "plan", "--detailed-exitcode")
	newTG := v.targetGroups()["pf-acme-alice"]
	if aws.ToString(newTG.VpcId) != moved.VPCID || aws.ToString(newTG.TargetGroupArn) == aws.ToString(oldTG.TargetGroupArn) {
		t.Errorf("target group not replaced into the new VPC: %s", aws.ToString(newTG.VpcId))
	}
	if _, ok := v.securityGroups()["polyfleet-acme-alice"]; ok {
		t.Error("the old security group is left in the old VPC")
	}
	if !cmp.Equal(v.roles(), oldRole) {
		t.Error("the role changed")
	}
}

// TestNewOwnerRetags hands an environment to someone else: every tagged
// resource gets the new owner tag, in place, with no new task-definition
// revision and no redeployment.
func TestNewOwnerRetags(t *testing.T) {
	h := newHarness(t)
	h.writeEnv("alice", "owner: alice\n")
	h.mustRun(0, "apply")
	v := h.aws()
	revisions := v.taskDefinitionARNs("polyfleet-acme-alice")

	h.writeEnv("alice", "owner: bob\n")
	p := h.planJSON()
	var got []string
	for _, c := range p.Environments[0].Changes {
		for _, f := range c.Fields {
			got = append(got, fmt.Sprintf("%s %s %s: %s -> %s", c.Action, c.Resource, f.Field, f.Before, f.After))
		}
	}
	var want []string
	for _, k := range []string{"role", "secret", "log-group", "task-definition", "target-group", "security-group", "listener-rule", "service"} {
		want = append(want, "update "+k+" owner_tag: alice -> bob")
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("changes (-got +want):\n%s", diff)
	}
	h.mustRun(0, "apply")
	h.mustRun(0, "plan", "--detailed-exitcode")
	if after := v.taskDefinitionARNs("polyfleet-acme-alice"); !cmp.Equal(after, revisions) {
		t.Errorf("revisions %v, want still %v", after, revisions)
	}
	role, err := v.iam().GetRole(v.ctx, &iamsdk.GetRoleInput{RoleName: aws.String("polyfleet-acme-alice")})
	v.check(err, "get role")
	for _, tag := range role.Role.Tags {
		if aws.ToString(tag.Key) == "polyfleet:owner" && aws.ToString(tag.Value) != "bob" {
			t.Errorf("role owner tag = %s", aws.ToString(tag.Value))
		}
	}
	tags, err := v.ecs().ListTagsForResource(v.ctx, &ecssdk.ListTagsForResourceInput{ResourceArn: v.services()["polyfleet-acme-alice"].ServiceArn})
	v.check(err, "service tags")
	found := false
	for _, tag := range tags.Tags {
		found = found || aws.ToString(tag.Key) == "polyfleet:owner" && aws.ToString(tag.Value) == "bob"
	}
	if !found {
		t.Errorf("service tags = %+v", tags.Tags)
	}
}
