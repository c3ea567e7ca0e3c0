package cli

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
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
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"
	route53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The assertions below read AWS with the SDK directly, never through
// Polyfleet's own discovery, so a bug there cannot hide a bug in apply.

type awsView struct {
	t   *testing.T
	ctx context.Context
	h   *harness
}

func (h *harness) aws() awsView { return awsView{t: h.t, ctx: context.Background(), h: h} }

func (v awsView) ecs() *ecssdk.Client         { return ecssdk.NewFromConfig(v.h.cfg) }
func (v awsView) elb() *elbv2sdk.Client       { return elbv2sdk.NewFromConfig(v.h.cfg) }
func (v awsView) iam() *iamsdk.Client         { return iamsdk.NewFromConfig(v.h.cfg) }
func (v awsView) ec2() *ec2sdk.Client         { return ec2sdk.NewFromConfig(v.h.cfg) }
func (v awsView) logs() *logssdk.Client       { return logssdk.NewFromConfig(v.h.cfg) }
func (v awsView) secrets() *secretssdk.Client { return secretssdk.NewFromConfig(v.h.cfg) }
func (v awsView) r53() *route53sdk.Client     { return route53sdk.NewFromConfig(v.h.cfg) }

func (v awsView) check(err error, what string) {
	v.t.Helper()
	if err != nil {
		v.t.Fatalf("%s: %v", what, err)
	}
}

// roles lists role names under the fleet's IAM path.
func (v awsView) roles() []string {
	out, err := v.iam().ListRoles(v.ctx, &iamsdk.ListRolesInput{PathPrefix: aws.String("/polyfleet/acme/")})
	v.check(err, "list roles")
	var names []string
	for _, r := range out.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	sort.Strings(names)
	return names
}

// targetGroups maps target group names to their descriptions.
func (v awsView) targetGroups() map[string]elbv2types.TargetGroup {
	out, err := v.elb().DescribeTargetGroups(v.ctx, &elbv2sdk.DescribeTargetGroupsInput{})
	v.check(err, "describe target groups")
	m := map[string]elbv2types.TargetGroup{}
	for _, tg := range out.TargetGroups {
		m[aws.ToString(tg.TargetGroupName)] = tg
	}
	return m
}

// securityGroups maps group names to groups, in the fleet's VPC.
func (v awsView) securityGroups() map[string]ec2types.SecurityGroup {
	out, err := v.ec2().DescribeSecurityGroups(v.ctx, &ec2sdk.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{v.h.infra.Fleet.VPCID}}},
	})
	v.check(err, "describe security groups")
	m := map[string]ec2types.SecurityGroup{}
	for _, sg := range out.SecurityGroups {
		m[aws.ToString(sg.GroupName)] = sg
	}
	return m
}

func (v awsView) logGroups() map[string]int32 {
	out, err := v.logs().DescribeLogGroups(v.ctx, &logssdk.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/polyfleet/")})
	v.check(err, "describe log groups")
	m := map[string]int32{}
	for _, g := range out.LogGroups {
		m[aws.ToString(g.LogGroupName)] = aws.ToInt32(g.RetentionInDays)
	}
	return m
}

func (v awsView) secretNames() []string {
	out, err := v.secrets().ListSecrets(v.ctx, &secretssdk.ListSecretsInput{})
	v.check(err, "list secrets")
	var names []string
	for _, s := range out.SecretList {
		names = append(names, aws.ToString(s.Name))
	}
	sort.Strings(names)
	return names
}

// services maps the names of the cluster's ACTIVE services to them.
func (v awsView) services() map[string]ecstypes.Service {
	list, err := v.ecs().ListServices(v.ctx, &ecssdk.ListServicesInput{Cluster: aws.String(v.h.infra.Fleet.Cluster)})
	v.check(err, "list services")
	m := map[string]ecstypes.Service{}
	if len(list.ServiceArns) == 0 {
		return m
	}
	for start := 0; start < len(list.ServiceArns); start += 10 {
		out, err := v.ecs().DescribeServices(v.ctx, &ecssdk.DescribeServicesInput{
			Cluster: aws.String(v.h.infra.Fleet.Cluster), Services: list.ServiceArns[start:min(start+10, len(list.ServiceArns))],
		})
		v.check(err, "describe services")
		for _, s := range out.Services {
			if aws.ToString(s.Status) == "ACTIVE" {
				m[aws.ToString(s.ServiceName)] = s
			}
		}
	}
	return m
}

// taskDefinitionARNs lists the ACTIVE revisions of a family.
func (v awsView) taskDefinitionARNs(family string) []string {
	return v.taskDefinitionsIn(family, ecstypes.TaskDefinitionStatusActive)
}

func (v awsView) taskDefinitionsIn(family string, status ecstypes.TaskDefinitionStatus) []string {
	out, err := v.ecs().ListTaskDefinitions(v.ctx, &ecssdk.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: status})
	v.check(err, "list task definitions")
	return out.TaskDefinitionArns
}

func (v awsView) taskDefinition(arn string) *ecstypes.TaskDefinition {
	out, err := v.ecs().DescribeTaskDefinition(v.ctx, &ecssdk.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	v.check(err, "describe task definition "+arn)
	return out.TaskDefinition
}

// rules maps host names to the listener's non-default rules.
func (v awsView) rules() map[string]elbv2types.Rule {
	out, err := v.elb().DescribeRules(v.ctx, &elbv2sdk.DescribeRulesInput{ListenerArn: aws.String(v.h.infra.ListenerARN)})
	v.check(err, "describe rules")
	m := map[string]elbv2types.Rule{}
	for _, r := range out.Rules {
		if aws.ToBool(r.IsDefault) {
			continue
		}
		for _, c := range r.Conditions {
			if c.HostHeaderConfig != nil {
				m[strings.Join(c.HostHeaderConfig.Values, ",")] = r
			} else if aws.ToString(c.Field) == "host-header" {
				m[strings.Join(c.Values, ",")] = r
			}
		}
	}
	return m
}

// records maps "name TYPE" to record sets of the fleet's zone.
func (v awsView) records() map[string][]route53types.ResourceRecordSet {
	out, err := v.r53().ListResourceRecordSets(v.ctx, &route53sdk.ListResourceRecordSetsInput{HostedZoneId: aws.String(v.h.infra.Fleet.HostedZoneID)})
	v.check(err, "list records")
	m := map[string][]route53types.ResourceRecordSet{}
	for _, rr := range out.ResourceRecordSets {
		key := strings.TrimSuffix(aws.ToString(rr.Name), ".") + " " + string(rr.Type)
		m[key] = append(m[key], rr)
	}
	return m
}

func (v awsView) secretValue(name string) map[string]string {
	out, err := v.secrets().GetSecretValue(v.ctx, &secretssdk.GetSecretValueInput{SecretId: aws.String(name)})
	v.check(err, "get secret value "+name)
	m := map[string]string{}
	v.check(json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m), "secret JSON of "+name)
	return m
}

func (v awsView) rolePolicy(role, policy string) string {
	out, err := v.iam().GetRolePolicy(v.ctx, &iamsdk.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(policy)})
	v.check(err, "get role policy")
	doc := aws.ToString(out.PolicyDocument)
	if u, err := url.QueryUnescape(doc); err == nil {
		doc = u
	}
	return doc
}
