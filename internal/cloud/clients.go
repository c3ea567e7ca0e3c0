// Package cloud is Polyfleet's AWS side: it discovers what a fleet owns and
// carries out a plan. Every AWS call of the reconciler lives here, behind
// narrow interfaces that list exactly the calls it makes.
package cloud

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	logssdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	taggingsdk "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingschemas "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/schemas"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// ECSAPI is the subset of the ECS API that Polyfleet uses.
type ECSAPI interface {
	ListServices(context.Context, *ecssdk.ListServicesInput, ...func(*ecssdk.Options)) (*ecssdk.ListServicesOutput, error)
	DescribeServices(context.Context, *ecssdk.DescribeServicesInput, ...func(*ecssdk.Options)) (*ecssdk.DescribeServicesOutput, error)
	DescribeTaskDefinition(context.Context, *ecssdk.DescribeTaskDefinitionInput, ...func(*ecssdk.Options)) (*ecssdk.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecssdk.RegisterTaskDefinitionInput, ...func(*ecssdk.Options)) (*ecssdk.RegisterTaskDefinitionOutput, error)
	DeregisterTaskDefinition(context.Context, *ecssdk.DeregisterTaskDefinitionInput, ...func(*ecssdk.Options)) (*ecssdk.DeregisterTaskDefinitionOutput, error)
	DeleteTaskDefinitions(context.Context, *ecssdk.DeleteTaskDefinitionsInput, ...func(*ecssdk.Options)) (*ecssdk.DeleteTaskDefinitionsOutput, error)
	CreateService(context.Context, *ecssdk.CreateServiceInput, ...func(*ecssdk.Options)) (*ecssdk.CreateServiceOutput, error)
	UpdateService(context.Context, *ecssdk.UpdateServiceInput, ...func(*ecssdk.Options)) (*ecssdk.UpdateServiceOutput, error)
	DeleteService(context.Context, *ecssdk.DeleteServiceInput, ...func(*ecssdk.Options)) (*ecssdk.DeleteServiceOutput, error)
	TagResource(context.Context, *ecssdk.TagResourceInput, ...func(*ecssdk.Options)) (*ecssdk.TagResourceOutput, error)
}

// ELBAPI is the subset of the Elastic Load Balancing v2 API that Polyfleet uses.
type ELBAPI interface {
	DescribeLoadBalancers(context.Context, *elbv2sdk.DescribeLoadBalancersInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DescribeLoadBalancersOutput, error)
	DescribeListeners(context.Context, *elbv2sdk.DescribeListenersInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DescribeListenersOutput, error)
	DescribeRules(context.Context, *elbv2sdk.DescribeRulesInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DescribeRulesOutput, error)
	DescribeTags(context.Context, *elbv2sdk.DescribeTagsInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DescribeTagsOutput, error)
	DescribeTargetGroups(context.Context, *elbv2sdk.DescribeTargetGroupsInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DescribeTargetGroupsOutput, error)
	CreateTargetGroup(context.Context, *elbv2sdk.CreateTargetGroupInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.CreateTargetGroupOutput, error)
	ModifyTargetGroup(context.Context, *elbv2sdk.ModifyTargetGroupInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.ModifyTargetGroupOutput, error)
	DeleteTargetGroup(context.Context, *elbv2sdk.DeleteTargetGroupInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DeleteTargetGroupOutput, error)
	CreateRule(context.Context, *elbv2sdk.CreateRuleInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.CreateRuleOutput, error)
	ModifyRule(context.Context, *elbv2sdk.ModifyRuleInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.ModifyRuleOutput, error)
	DeleteRule(context.Context, *elbv2sdk.DeleteRuleInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.DeleteRuleOutput, error)
	AddTags(context.Context, *elbv2sdk.AddTagsInput, ...func(*elbv2sdk.Options)) (*elbv2sdk.AddTagsOutput, error)
}

// IAMAPI is the subset of the IAM API that Polyfleet uses.
type IAMAPI interface {
	GetAccountAuthorizationDetails(context.Context, *iamsdk.GetAccountAuthorizationDetailsInput, ...func(*iamsdk.Options)) (*iamsdk.GetAccountAuthorizationDetailsOutput, error)
	GetRole(context.Context, *iamsdk.GetRoleInput, ...func(*iamsdk.Options)) (*iamsdk.GetRoleOutput, error)
	CreateRole(context.Context, *iamsdk.CreateRoleInput, ...func(*iamsdk.Options)) (*iamsdk.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iamsdk.UpdateAssumeRolePolicyInput, ...func(*iamsdk.Options)) (*iamsdk.UpdateAssumeRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iamsdk.PutRolePolicyInput, ...func(*iamsdk.Options)) (*iamsdk.PutRolePolicyOutput, error)
	ListRolePolicies(context.Context, *iamsdk.ListRolePoliciesInput, ...func(*iamsdk.Options)) (*iamsdk.ListRolePoliciesOutput, error)
	DeleteRolePolicy(context.Context, *iamsdk.DeleteRolePolicyInput, ...func(*iamsdk.Options)) (*iamsdk.DeleteRolePolicyOutput, error)
	AttachRolePolicy(context.Context, *iamsdk.AttachRolePolicyInput, ...func(*iamsdk.Options)) (*iamsdk.AttachRolePolicyOutput, error)
	ListAttachedRolePolicies(context.Context, *iamsdk.ListAttachedRolePoliciesInput, ...func(*iamsdk.Options)) (*iamsdk.ListAttachedRolePoliciesOutput, error)
	DetachRolePolicy(context.Context, *iamsdk.DetachRolePolicyInput, ...func(*iamsdk.Options)) (*iamsdk.DetachRolePolicyOutput, error)
	DeleteRole(context.Context, *iamsdk.DeleteRoleInput, ...func(*iamsdk.Options)) (*iamsdk.DeleteRoleOutput, error)
	TagRole(context.Context, *iamsdk.TagRoleInput, ...func(*iamsdk.Options)) (*iamsdk.TagRoleOutput, error)
}

// EC2API is the subset of the EC2 API that Polyfleet uses.
type EC2API interface {
	DescribeSecurityGroups(context.Context, *ec2sdk.DescribeSecurityGroupsInput, ...func(*ec2sdk.Options)) (*ec2sdk.DescribeSecurityGroupsOutput, error)
	CreateSecurityGroup(context.Context, *ec2sdk.CreateSecurityGroupInput, ...func(*ec2sdk.Options)) (*ec2sdk.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2sdk.AuthorizeSecurityGroupIngressInput, ...func(*ec2sdk.Options)) (*ec2sdk.AuthorizeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2sdk.RevokeSecurityGroupIngressInput, ...func(*ec2sdk.Options)) (*ec2sdk.RevokeSecurityGroupIngressOutput, error)
	AuthorizeSecurityGroupEgress(context.Context, *ec2sdk.AuthorizeSecurityGroupEgressInput, ...func(*ec2sdk.Options)) (*ec2sdk.AuthorizeSecurityGroupEgressOutput, error)
	RevokeSecurityGroupEgress(context.Context, *ec2sdk.RevokeSecurityGroupEgressInput, ...func(*ec2sdk.Options)) (*ec2sdk.RevokeSecurityGroupEgressOutput, error)
	DeleteSecurityGroup(context.Context, *ec2sdk.DeleteSecurityGroupInput, ...func(*ec2sdk.Options)) (*ec2sdk.DeleteSecurityGroupOutput, error)
	CreateTags(context.Context, *ec2sdk.CreateTagsInput, ...func(*ec2sdk.Options)) (*ec2sdk.CreateTagsOutput, error)
}

// LogsAPI is the subset of the CloudWatch Logs API that Polyfleet uses.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *logssdk.DescribeLogGroupsInput, ...func(*logssdk.Options)) (*logssdk.DescribeLogGroupsOutput, error)
	CreateLogGroup(context.Context, *logssdk.CreateLogGroupInput, ...func(*logssdk.Options)) (*logssdk.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *logssdk.PutRetentionPolicyInput, ...func(*logssdk.Options)) (*logssdk.PutRetentionPolicyOutput, error)
	ListTagsForResource(context.Context, *logssdk.ListTagsForResourceInput, ...func(*logssdk.Options)) (*logssdk.ListTagsForResourceOutput, error)
	DeleteLogGroup(context.Context, *logssdk.DeleteLogGroupInput, ...func(*logssdk.Options)) (*logssdk.DeleteLogGroupOutput, error)
	TagResource(context.Context, *logssdk.TagResourceInput, ...func(*logssdk.Options)) (*logssdk.TagResourceOutput, error)
}

// SecretsAPI is the subset of the Secrets Manager API that Polyfleet uses.
type SecretsAPI interface {
	CreateSecret(context.Context, *secretssdk.CreateSecretInput, ...func(*secretssdk.Options)) (*secretssdk.CreateSecretOutput, error)
	DescribeSecret(context.Context, *secretssdk.DescribeSecretInput, ...func(*secretssdk.Options)) (*secretssdk.DescribeSecretOutput, error)
	RestoreSecret(context.Context, *secretssdk.RestoreSecretInput, ...func(*secretssdk.Options)) (*secretssdk.RestoreSecretOutput, error)
	ListSecrets(context.Context, *secretssdk.ListSecretsInput, ...func(*secretssdk.Options)) (*secretssdk.ListSecretsOutput, error)
	DeleteSecret(context.Context, *secretssdk.DeleteSecretInput, ...func(*secretssdk.Options)) (*secretssdk.DeleteSecretOutput, error)
	TagResource(context.Context, *secretssdk.TagResourceInput, ...func(*secretssdk.Options)) (*secretssdk.TagResourceOutput, error)
}

// Route53API is the subset of the Route53 API that Polyfleet uses.
type Route53API interface {
	ListResourceRecordSets(context.Context, *route53sdk.ListResourceRecordSetsInput, ...func(*route53sdk.Options)) (*route53sdk.ListResourceRecordSetsOutput, error)
	ChangeResourceRecordSets(context.Context, *route53sdk.ChangeResourceRecordSetsInput, ...func(*route53sdk.Options)) (*route53sdk.ChangeResourceRecordSetsOutput, error)
}

// TaggingAPI is the subset of the Resource Groups Tagging API that Polyfleet uses.
type TaggingAPI interface {
	GetResources(context.Context, *taggingsdk.GetResourcesInput, ...func(*taggingsdk.Options)) (*taggingsdk.GetResourcesOutput, error)
}

// Clients holds one client per AWS service.
type Clients struct {
	ECS     ECSAPI
	ELB     ELBAPI
	IAM     IAMAPI
	EC2     EC2API
	Logs    LogsAPI
	Secrets SecretsAPI
	Route53 Route53API
	Tagging TaggingAPI
}

// MaxAttempts bounds the retries of one AWS call on throttling and 5xx.
const MaxAttempts = 8

// LoadConfig reads the standard AWS SDK settings (profile, environment,
// AWS_ENDPOINT_URL) and pins the region to the fleet's. Throttling and
// server errors are retried with jittered exponential backoff, a bounded
// number of times.
func LoadConfig(ctx context.Context, region string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.MaxBackoff = 20 * time.Second
			})
		}),
	)
}

// NewClients makes every client from one configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		ECS:     ecssdk.NewFromConfig(cfg),
		ELB:     elbv2sdk.NewFromConfig(cfg),
		IAM:     iamsdk.NewFromConfig(cfg),
		EC2:     ec2sdk.NewFromConfig(cfg),
		Logs:    logssdk.NewFromConfig(cfg),
		Secrets: secretssdk.NewFromConfig(cfg),
		Route53: route53sdk.NewFromConfig(cfg),
		// The client's default CBOR protocol is not understood by every
		// endpoint (moto answers 404); AWS JSON 1.1 works everywhere.
		Tagging: taggingsdk.NewFromConfig(cfg, func(o *taggingsdk.Options) {
			o.Protocol = awsjson.New11(taggingschemas.ResourceGroupsTaggingAPI_20170126)
		}),
	}
}
