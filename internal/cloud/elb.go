package cloud

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// elbOwned reads the tags of one ELB resource; gone reports that it no
// longer exists.
func (a *applier) elbOwned(ctx context.Context, s step, arn string) (gone bool, err error) {
	out, err := a.c.ELB.DescribeTags(ctx, &elbv2sdk.DescribeTagsInput{ResourceArns: []string{arn}})
	if hasCode(err, "TargetGroupNotFound", "RuleNotFound") {
		return true, nil
	}
	if err != nil {
		return false, s.errorf("read tags", err)
	}
	tags := map[string]string{}
	for _, td := range out.TagDescriptions {
		tags = elbTagMap(td.Tags)
	}
	return false, a.owned(s, tags)
}

func healthCheck() (path string, matcher *elbv2types.Matcher, interval, timeout, healthy, unhealthy *int32) {
	return desired.HealthPath, &elbv2types.Matcher{HttpCode: aws.String(desired.HealthMatcher)},
		aws.Int32(desired.HealthInterval), aws.Int32(desired.HealthTimeout),
		aws.Int32(desired.HealthyCount), aws.Int32(desired.UnhealthyCount)
}

func (a *applier) createTargetGroup(ctx context.Context, s step, env *desired.Environment) (string, error) {
	path, matcher, interval, timeout, healthy, unhealthy := healthCheck()
	// CreateTargetGroup returns the existing group when one of the same
	// name and settings exists, so the tags are checked after it.
	out, err := a.c.ELB.CreateTargetGroup(ctx, &elbv2sdk.CreateTargetGroupInput{
		Name:                       aws.String(env.Names.TargetGroup),
		Port:                       aws.Int32(desired.TargetGroupPort),
		Protocol:                   elbv2types.ProtocolEnumHttp,
		VpcId:                      aws.String(a.fleet.VPCID),
		TargetType:                 elbv2types.TargetTypeEnumIp,
		HealthCheckProtocol:        elbv2types.ProtocolEnumHttp,
		HealthCheckPath:            aws.String(path),
		Matcher:                    matcher,
		HealthCheckIntervalSeconds: interval,
		HealthCheckTimeoutSeconds:  timeout,
		HealthyThresholdCount:      healthy,
		UnhealthyThresholdCount:    unhealthy,
		Tags:                       elbTagList(env.Tags(resource.TargetGroup)),
	})
	if err != nil {
		return "", s.errorf("create", err)
	}
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	if _, err := a.elbOwned(ctx, s, arn); err != nil {
		return "", err
	}
	return arn, nil
}

func (a *applier) updateTargetGroup(ctx context.Context, s step, env *desired.Environment, arn string) error {
	if gone, err := a.elbOwned(ctx, s, arn); err != nil || gone {
		return err
	}
	path, matcher, interval, timeout, healthy, unhealthy := healthCheck()
	_, err := a.c.ELB.ModifyTargetGroup(ctx, &elbv2sdk.ModifyTargetGroupInput{
		TargetGroupArn:             aws.String(arn),
		HealthCheckProtocol:        elbv2types.ProtocolEnumHttp,
		HealthCheckPath:            aws.String(path),
		Matcher:                    matcher,
		HealthCheckIntervalSeconds: interval,
		HealthCheckTimeoutSeconds:  timeout,
		HealthyThresholdCount:      healthy,
		UnhealthyThresholdCount:    unhealthy,
	})
	if err != nil {
		return s.errorf("update", err)
	}
	return nil
}

func (a *applier) deleteTargetGroup(ctx context.Context, s step, arn string) error {
	if gone, err := a.elbOwned(ctx, s, arn); err != nil || gone {
		return err
	}
	// A rule deleted a moment ago may still hold the group for a while.
	err := retryWhile(ctx, a.opts.Wait, codes("ResourceInUse"), func() error {
		_, err := a.c.ELB.DeleteTargetGroup(ctx, &elbv2sdk.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		return err
	})
	if err != nil && !hasCode(err, "TargetGroupNotFound") {
		return s.errorf("delete", err)
	}
	return nil
}

func ruleSpec(env *desired.Environment, targetGroupARN string) ([]elbv2types.RuleCondition, []elbv2types.Action) {
	return []elbv2types.RuleCondition{{
			Field:            aws.String("host-header"),
			HostHeaderConfig: &elbv2types.HostHeaderConditionConfig{Values: []string{env.Names.Host}},
		}}, []elbv2types.Action{{
			Type:           elbv2types.ActionTypeEnumForward,
			TargetGroupArn: aws.String(targetGroupARN),
		}}
}

// createRule picks a free priority, preferring the environment's own
// stable slot, under a lock so that environments applied at the same time
// never pick the same one.
func (a *applier) createRule(ctx context.Context, s step, env *desired.Environment, refs map[resource.Kind]string) (string, error) {
	a.ruleMu.Lock()
	defer a.ruleMu.Unlock()
	taken := map[int]bool{}
	in := &elbv2sdk.DescribeRulesInput{ListenerArn: aws.String(a.infra.ListenerARN)}
	for {
		out, err := a.c.ELB.DescribeRules(ctx, in)
		if err != nil {
			return "", s.errorf("list rules", err)
		}
		for _, r := range out.Rules {
			if p, err := strconv.Atoi(aws.ToString(r.Priority)); err == nil {
				taken[p] = true
			}
		}
		if aws.ToString(out.NextMarker) == "" {
			break
		}
		in.Marker = out.NextMarker
	}
	conditions, actions := ruleSpec(env, refs[resource.TargetGroup])
	for attempt := 0; attempt < 5; attempt++ {
		priority := desired.PreferredPriority(a.fleet.Name, env.Spec.Name, func(p int) bool { return taken[p] })
		if priority == 0 {
			return "", s.errorf("create", fmt.Errorf("listener %s has no free priority", a.infra.ListenerARN))
		}
		out, err := a.c.ELB.CreateRule(ctx, &elbv2sdk.CreateRuleInput{
			ListenerArn: aws.String(a.infra.ListenerARN),
			Priority:    aws.Int32(int32(priority)),
			Conditions:  conditions,
			Actions:     actions,
			Tags:        elbTagList(env.Tags(resource.ListenerRule)),
		})
		if hasCode(err, "PriorityInUse") {
			taken[priority] = true // taken by someone outside this run
			continue
		}
		if err != nil {
			return "", s.errorf("create", err)
		}
		return aws.ToString(out.Rules[0].RuleArn), nil
	}
	return "", s.errorf("create", fmt.Errorf("every priority tried was taken meanwhile"))
}

func (a *applier) updateRule(ctx context.Context, s step, env *desired.Environment, arn string, refs map[resource.Kind]string) error {
	if gone, err := a.elbOwned(ctx, s, arn); err != nil || gone {
		return err
	}
	conditions, actions := ruleSpec(env, refs[resource.TargetGroup])
	if _, err := a.c.ELB.ModifyRule(ctx, &elbv2sdk.ModifyRuleInput{RuleArn: aws.String(arn), Conditions: conditions, Actions: actions}); err != nil {
		return s.errorf("update", err)
	}
	return nil
}

func (a *applier) deleteRule(ctx context.Context, s step, arn string) error {
	if gone, err := a.elbOwned(ctx, s, arn); err != nil || gone {
		return err
	}
	if _, err := a.c.ELB.DeleteRule(ctx, &elbv2sdk.DeleteRuleInput{RuleArn: aws.String(arn)}); err != nil && !hasCode(err, "RuleNotFound") {
		return s.errorf("delete", err)
	}
	return nil
}
