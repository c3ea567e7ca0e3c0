// Package iampolicy holds the least-privilege IAM policies of the two
// roles reconcile runs as: read-only for plan, and for apply writes scoped
// by Polyfleet's tags, name prefixes and IAM path.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// readActions are every call discovery makes. AWS offers no resource-level
// permissions for most Describe and List calls, hence "*".
var readActions = []string{
	"tag:GetResources",
	"ecs:ListServices",
	"ecs:DescribeServices",
	"ecs:DescribeTaskDefinition",
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeListeners",
	"elasticloadbalancing:DescribeRules",
	"elasticloadbalancing:DescribeTags",
	"elasticloadbalancing:DescribeTargetGroups",
	"ec2:DescribeSecurityGroups",
	"logs:DescribeLogGroups",
	"secretsmanager:ListSecrets",
	"iam:GetAccountAuthorizationDetails",
}

type scope struct {
	f                            spec.Fleet
	part, region, account, fleet string
	lbName, lbID                 string
}

func newScope(f spec.Fleet) scope {
	s := scope{f: f, part: f.Partition(), region: f.Region, account: f.Account(), fleet: f.Name}
	// ...:loadbalancer/app/<name>/<id>
	if parts := strings.Split(f.LoadBalancerARN, "/"); len(parts) == 4 {
		s.lbName, s.lbID = parts[2], parts[3]
	}
	return s
}

func (s scope) arn(service, region, res string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", s.part, service, region, s.account, res)
}

func (s scope) requestTag() map[string]map[string]any {
	return map[string]map[string]any{"StringEquals": {"aws:RequestTag/" + resource.TagFleet: s.fleet}}
}

func (s scope) resourceTag() map[string]map[string]any {
	return map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + resource.TagFleet: s.fleet}}
}

func (s scope) zone() string {
	return fmt.Sprintf("arn:%s:route53:::hostedzone/%s", s.part, s.f.HostedZoneID)
}

// Plan is the read-only policy of the plan role.
func Plan(f spec.Fleet) Document {
	s := newScope(f)
	return Document{Version: "2012-10-17", Statement: []Statement{
		{Sid: "Discover", Effect: "Allow", Action: readActions, Resource: []string{"*"}},
		{Sid: "ReadZone", Effect: "Allow", Action: []string{"route53:ListResourceRecordSets"}, Resource: []string{s.zone()}},
	}}
}

// Apply is the policy of the apply role: what Plan allows, and writes
// only to what carries the fleet's tag, name prefix or IAM path.
func Apply(f spec.Fleet) Document {
	s := newScope(f)
	roles := s.arn("iam", "", "role"+desired.RolePath(s.fleet)+"*")
	secrets := s.arn("secretsmanager", s.region, "secret:polyfleet/"+s.fleet+"/*")
	logGroups := []string{s.arn("logs", s.region, "log-group:"+desired.LogGroupPrefix(s.fleet)+"*")}
	services := s.arn("ecs", s.region, "service/"+f.Cluster+"/polyfleet-"+s.fleet+"-*")
	targetGroups := s.arn("elasticloadbalancing", s.region, "targetgroup/pf-"+s.fleet+"-*/*")
	rules := s.arn("elasticloadbalancing", s.region, "listener-rule/app/"+s.lbName+"/"+s.lbID+"/*")
	listeners := s.arn("elasticloadbalancing", s.region, "listener/app/"+s.lbName+"/"+s.lbID+"/*")
	groups := s.arn("ec2", s.region, "security-group/*")
	d := Plan(f)
	d.Statement = append(d.Statement,
		Statement{Sid: "CreateRoles", Effect: "Allow", Action: []string{"iam:CreateRole", "iam:TagRole"}, Resource: []string{roles}, Condition: s.requestTag()},
		Statement{Sid: "ManageRoles", Effect: "Allow", Action: []string{
			"iam:GetRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
			"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy",
		}, Resource: []string{roles}},
		Statement{Sid: "AttachExecutionPolicy", Effect: "Allow", Action: []string{"iam:AttachRolePolicy"}, Resource: []string{roles},
			Condition: map[string]map[string]any{"ArnEquals": {"iam:PolicyARN": "arn:" + s.part + ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}}},
		Statement{Sid: "PassRolesToECS", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: []string{roles},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
		Statement{Sid: "CreateSecrets", Effect: "Allow", Action: []string{"secretsmanager:CreateSecret", "secretsmanager:TagResource"}, Resource: []string{secrets}, Condition: s.requestTag()},
		Statement{Sid: "ReadSecretTags", Effect: "Allow", Action: []string{"secretsmanager:DescribeSecret"}, Resource: []string{secrets}},
		Statement{Sid: "ManageSecrets", Effect: "Allow", Action: []string{"secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret"}, Resource: []string{secrets}, Condition: s.resourceTag()},
		Statement{Sid: "LogGroups", Effect: "Allow", Action: []string{
			"logs:CreateLogGroup", "logs:TagResource", "logs:TagLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:ListTagsForResource",
		}, Resource: logGroups},
		Statement{Sid: "RegisterTaskDefinitions", Effect: "Allow", Action: []string{"ecs:RegisterTaskDefinition"}, Resource: []string{"*"}, Condition: s.requestTag()},
		Statement{Sid: "TagOnCreate", Effect: "Allow", Action: []string{"ecs:TagResource"}, Resource: []string{"*"},
			Condition: map[string]map[string]any{"StringEquals": {"ecs:CreateAction": []string{"RegisterTaskDefinition", "CreateService"}}}},
		Statement{Sid: "RetagOwnECSResources", Effect: "Allow", Action: []string{"ecs:TagResource"}, Resource: []string{"*"}, Condition: s.resourceTag()},
		Statement{Sid: "RetireTaskDefinitions", Effect: "Allow", Action: []string{"ecs:DeregisterTaskDefinition", "ecs:DeleteTaskDefinitions"}, Resource: []string{"*"}},
		Statement{Sid: "CreateServices", Effect: "Allow", Action: []string{"ecs:CreateService"}, Resource: []string{services}, Condition: s.requestTag()},
		Statement{Sid: "ManageServices", Effect: "Allow", Action: []string{"ecs:UpdateService", "ecs:DeleteService"}, Resource: []string{services}, Condition: s.resourceTag()},
		Statement{Sid: "CreateTargetGroupsAndRules", Effect: "Allow", Action: []string{"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateRule"},
			Resource: []string{targetGroups, rules, listeners}, Condition: s.requestTag()},
		Statement{Sid: "TagELBOnCreate", Effect: "Allow", Action: []string{"elasticloadbalancing:AddTags"}, Resource: []string{targetGroups, rules},
			Condition: map[string]map[string]any{"StringEquals": {"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateRule"}}}},
		Statement{Sid: "ManageTargetGroupsAndRules", Effect: "Allow", Action: []string{
			"elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule",
			"elasticloadbalancing:AddTags",
		}, Resource: []string{targetGroups, rules}, Condition: s.resourceTag()},
		Statement{Sid: "CreateSecurityGroups", Effect: "Allow", Action: []string{"ec2:CreateSecurityGroup"}, Resource: []string{groups}, Condition: s.requestTag()},
		Statement{Sid: "CreateSecurityGroupsInTheVPC", Effect: "Allow", Action: []string{"ec2:CreateSecurityGroup"}, Resource: []string{s.arn("ec2", s.region, "vpc/"+f.VPCID)}},
		Statement{Sid: "TagSecurityGroupsOnCreate", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{groups},
			Condition: map[string]map[string]any{"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}}},
		Statement{Sid: "ManageSecurityGroups", Effect: "Allow", Action: []string{
			"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:DeleteSecurityGroup",
			"ec2:CreateTags",
		}, Resource: []string{groups}, Condition: s.resourceTag()},
		Statement{Sid: "WriteOwnRecords", Effect: "Allow", Action: []string{"route53:ChangeResourceRecordSets"}, Resource: []string{s.zone()},
			Condition: map[string]map[string]any{
				"ForAllValues:StringLike":   {"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{"*." + f.Domain}},
				"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": []string{"A", "TXT"}},
			}},
	)
	return d
}

// JSON renders a document, indented.
func (d Document) JSON() string {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // maps and slices of strings: cannot fail
	}
	return string(b) + "\n"
}
