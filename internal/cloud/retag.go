package cloud

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	logssdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// retag writes the resource's tags anew, for a new owner. The ownership
// check comes first, on tags read right now.
func (a *applier) retag(ctx context.Context, s step, env *desired.Environment, actual resource.Resource) error {
	tags := env.Tags(s.kind)
	var err error
	switch s.kind {
	case resource.Role:
		var got *iamsdk.GetRoleOutput
		if got, err = a.c.IAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(actual.ID)}); err != nil {
			return s.errorf("read", err)
		}
		if err := a.owned(s, iamTagMap(got.Role.Tags)); err != nil {
			return err
		}
		_, err = a.c.IAM.TagRole(ctx, &iamsdk.TagRoleInput{RoleName: aws.String(actual.ID), Tags: iamTags(tags)})
	case resource.Secret:
		var got *secretssdk.DescribeSecretOutput
		if got, err = a.c.Secrets.DescribeSecret(ctx, &secretssdk.DescribeSecretInput{SecretId: aws.String(actual.ID)}); err != nil {
			return s.errorf("read", err)
		}
		if err := a.owned(s, secretTags(got.Tags)); err != nil {
			return err
		}
		_, err = a.c.Secrets.TagResource(ctx, &secretssdk.TagResourceInput{SecretId: aws.String(actual.ID), Tags: secretTagList(tags)})
	case resource.LogGroup:
		if err := a.logGroupOwned(ctx, s, actual.ID); err != nil {
			return err
		}
		_, err = a.c.Logs.TagResource(ctx, &logssdk.TagResourceInput{ResourceArn: aws.String(a.logGroupARN(actual.ID)), Tags: tags})
	case resource.TaskDefinition:
		if err := a.checkTaskDefinition(ctx, s, actual.ID); err != nil {
			return err
		}
		_, err = a.c.ECS.TagResource(ctx, &ecssdk.TagResourceInput{ResourceArn: aws.String(actual.ID), Tags: ecsTags(tags)})
	case resource.Service:
		svc, err := a.serviceOwned(ctx, s, actual.ID)
		if err != nil || svc == nil {
			return err
		}
		_, err = a.c.ECS.TagResource(ctx, &ecssdk.TagResourceInput{ResourceArn: aws.String(actual.ID), Tags: ecsTags(tags)})
		if err != nil {
			return s.errorf("tag", err)
		}
		return nil
	case resource.TargetGroup, resource.ListenerRule:
		if gone, err := a.elbOwned(ctx, s, actual.ID); err != nil || gone {
			return err
		}
		_, err = a.c.ELB.AddTags(ctx, &elbv2sdk.AddTagsInput{ResourceArns: []string{actual.ID}, Tags: elbTagList(tags)})
	case resource.SecurityGroup:
		if gone, err := a.securityGroupOwned(ctx, s, actual.ID); err != nil || gone {
			return err
		}
		_, err = a.c.EC2.CreateTags(ctx, &ec2sdk.CreateTagsInput{Resources: []string{actual.ID}, Tags: ec2TagList(tags)})
	}
	if err != nil {
		return s.errorf("tag", err)
	}
	return nil
}
