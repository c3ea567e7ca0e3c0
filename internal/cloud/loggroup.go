package cloud

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	logssdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// logGroupARN is the ARN that the tagging calls of CloudWatch Logs take:
// without the ":*" that DescribeLogGroups appends.
func (a *applier) logGroupARN(name string) string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", a.fleet.Partition(), a.fleet.Region, a.fleet.Account(), name)
}

func (a *applier) logGroupOwned(ctx context.Context, s step, name string) error {
	tags, err := a.c.Logs.ListTagsForResource(ctx, &logssdk.ListTagsForResourceInput{ResourceArn: aws.String(a.logGroupARN(name))})
	if err != nil {
		return s.errorf("read tags", err)
	}
	return a.owned(s, tags.Tags)
}

func (a *applier) createLogGroup(ctx context.Context, s step, env *desired.Environment) (string, error) {
	name := env.Names.LogGroup
	_, err := a.c.Logs.CreateLogGroup(ctx, &logssdk.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: env.Tags(resource.LogGroup)})
	if hasCode(err, "ResourceAlreadyExistsException") {
		err = a.logGroupOwned(ctx, s, name)
	} else if err != nil {
		err = s.errorf("create", err)
	}
	if err != nil {
		return "", err
	}
	return name, a.setRetention(ctx, s, env)
}

func (a *applier) setRetention(ctx context.Context, s step, env *desired.Environment) error {
	_, err := a.c.Logs.PutRetentionPolicy(ctx, &logssdk.PutRetentionPolicyInput{
		LogGroupName: aws.String(env.Names.LogGroup), RetentionInDays: aws.Int32(int32(a.fleet.LogRetentionDays)),
	})
	if err != nil {
		return s.errorf("set retention", err)
	}
	return nil
}

func (a *applier) updateLogGroup(ctx context.Context, s step, env *desired.Environment) error {
	if err := a.logGroupOwned(ctx, s, env.Names.LogGroup); err != nil {
		return err
	}
	return a.setRetention(ctx, s, env)
}

func (a *applier) deleteLogGroup(ctx context.Context, s step, name string) error {
	if err := a.logGroupOwned(ctx, s, name); err != nil {
		if hasCode(err, "ResourceNotFoundException") {
			return nil
		}
		return err
	}
	_, err := a.c.Logs.DeleteLogGroup(ctx, &logssdk.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return s.errorf("delete", err)
	}
	return nil
}
