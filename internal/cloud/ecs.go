package cloud

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// ContainerDefinitions are the ECS container definitions of env, with
// secretARN the ARN of its secret.
func ContainerDefinitions(env *desired.Environment, secretARN string) []ecstypes.ContainerDefinition {
	var out []ecstypes.ContainerDefinition
	for _, c := range env.Containers() {
		cd := ecstypes.ContainerDefinition{
			Name:      aws.String(c.Name),
			Image:     aws.String(c.Image),
			Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(int32(c.Port)), Protocol: ecstypes.TransportProtocolTcp,
			}},
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         env.Names.LogGroup,
					"awslogs-region":        env.Fleet.Region,
					"awslogs-stream-prefix": c.Name,
				},
			},
		}
		for _, k := range sortedKeys(c.Environment) {
			cd.Environment = append(cd.Environment, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(c.Environment[k])})
		}
		// Credentials reach the container only as secrets, never as
		// plain environment variables.
		for _, k := range sortedKeys(c.Secrets) {
			cd.Secrets = append(cd.Secrets, ecstypes.Secret{Name: aws.String(k), ValueFrom: aws.String(desired.SecretValueFrom(secretARN, c.Secrets[k]))})
		}
		if c.DependsOn != "" {
			cd.DependsOn = []ecstypes.ContainerDependency{{ContainerName: aws.String(c.DependsOn), Condition: ecstypes.ContainerConditionStart}}
		}
		out = append(out, cd)
	}
	return out
}

func (a *applier) registerTaskDefinition(ctx context.Context, s step, env *desired.Environment, refs map[resource.Kind]string) (string, error) {
	out, err := a.c.ECS.RegisterTaskDefinition(ctx, &ecssdk.RegisterTaskDefinitionInput{
		Family:                  aws.String(env.Names.Family),
		Cpu:                     aws.String(fmt.Sprint(env.Spec.CPU)),
		Memory:                  aws.String(fmt.Sprint(env.Spec.Memory)),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ExecutionRoleArn:        aws.String(refs[resource.Role]),
		ContainerDefinitions:    ContainerDefinitions(env, refs[resource.Secret]),
		Tags:                    ecsTags(env.Tags(resource.TaskDefinition)),
	})
	if err != nil {
		return "", s.errorf("register", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

func (a *applier) checkTaskDefinition(ctx context.Context, s step, arn string) error {
	out, err := a.c.ECS.DescribeTaskDefinition(ctx, &ecssdk.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return s.errorf("read", err)
	}
	return a.owned(s, ecsTagMap(out.Tags))
}

// deleteTaskDefinition deregisters every revision, then deletes them.
func (a *applier) deleteTaskDefinition(ctx context.Context, s step, actual resource.Resource) error {
	if err := a.checkTaskDefinition(ctx, s, actual.ID); err != nil {
		return err
	}
	revisions := actual.IDs
	if len(revisions) == 0 {
		revisions = []string{actual.ID}
	}
	for _, arn := range revisions {
		_, err := a.c.ECS.DeregisterTaskDefinition(ctx, &ecssdk.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		// A revision deregistered by an earlier run is fine: it is deleted below.
		if err != nil && !(hasCode(err, "ClientException") && strings.Contains(strings.ToLower(err.Error()), "inactive")) {
			return s.errorf("deregister "+arn, err)
		}
	}
	for start := 0; start < len(revisions); start += 10 {
		batch := revisions[start:min(start+10, len(revisions))]
		out, err := a.c.ECS.DeleteTaskDefinitions(ctx, &ecssdk.DeleteTaskDefinitionsInput{TaskDefinitions: batch})
		if err != nil {
			return s.errorf("delete revisions", err)
		}
		for _, f := range out.Failures {
			return s.errorf("delete "+aws.ToString(f.Arn), fmt.Errorf("%s", aws.ToString(f.Reason)))
		}
	}
	return nil
}

func (a *applier) networkConfiguration(sg string) *ecstypes.NetworkConfiguration {
	subnets := append([]string(nil), a.fleet.Subnets...)
	sort.Strings(subnets)
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets:        subnets,
		SecurityGroups: []string{sg},
		AssignPublicIp: ecstypes.AssignPublicIp(desired.PublicIP(a.fleet.AssignPublicIP)),
	}}
}

func loadBalancers(targetGroupARN string) []ecstypes.LoadBalancer {
	return []ecstypes.LoadBalancer{{
		TargetGroupArn: aws.String(targetGroupARN),
		ContainerName:  aws.String(desired.ProxyContainer),
		ContainerPort:  aws.Int32(desired.ProxyPort),
	}}
}

func (a *applier) createService(ctx context.Context, s step, env *desired.Environment, refs map[resource.Kind]string) (string, error) {
	in := &ecssdk.CreateServiceInput{
		Cluster:                       aws.String(a.fleet.Cluster),
		ServiceName:                   aws.String(env.Names.Service),
		TaskDefinition:                aws.String(refs[resource.TaskDefinition]),
		DesiredCount:                  aws.Int32(int32(env.DesiredCount())),
		LaunchType:                    ecstypes.LaunchTypeFargate,
		NetworkConfiguration:          a.networkConfiguration(refs[resource.SecurityGroup]),
		LoadBalancers:                 loadBalancers(refs[resource.TargetGroup]),
		HealthCheckGracePeriodSeconds: aws.Int32(120),
		EnableECSManagedTags:          true,
		PropagateTags:                 ecstypes.PropagateTagsService,
		Tags:                          ecsTags(env.Tags(resource.Service)),
	}
	var out *ecssdk.CreateServiceOutput
	// A service of the same name still draining from a delete blocks the
	// name for a while.
	draining := func(err error) bool { return strings.Contains(err.Error(), "Draining") }
	err := retryWhile(ctx, a.opts.Wait, draining, func() error {
		var err error
		out, err = a.c.ECS.CreateService(ctx, in)
		return err
	})
	if err != nil {
		return "", s.errorf("create", err)
	}
	return aws.ToString(out.Service.ServiceArn), nil
}

func (a *applier) serviceOwned(ctx context.Context, s step, arn string) (*ecstypes.Service, error) {
	out, err := a.c.ECS.DescribeServices(ctx, &ecssdk.DescribeServicesInput{
		Cluster: aws.String(clusterOf(arn, a.fleet.Cluster)), Services: []string{arn},
		Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	})
	if err != nil {
		return nil, s.errorf("read", err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return nil, nil
	}
	return &out.Services[0], a.owned(s, ecsTagMap(out.Services[0].Tags))
}

// clusterOf reads the cluster from a service ARN of the long format
// (service/<cluster>/<name>).
func clusterOf(serviceARN, fallback string) string {
	parts := strings.Split(serviceARN[strings.LastIndex(serviceARN, ":")+1:], "/")
	if len(parts) == 3 {
		return parts[1]
	}
	return fallback
}

func (a *applier) updateService(ctx context.Context, s step, env *desired.Environment, arn string, refs map[resource.Kind]string) error {
	svc, err := a.serviceOwned(ctx, s, arn)
	if err != nil {
		return err
	}
	if svc == nil {
		return s.errorf("update", fmt.Errorf("service %s no longer exists; the next run creates it", arn))
	}
	_, err = a.c.ECS.UpdateService(ctx, &ecssdk.UpdateServiceInput{
		Cluster:              aws.String(clusterOf(arn, a.fleet.Cluster)),
		Service:              aws.String(arn),
		TaskDefinition:       aws.String(refs[resource.TaskDefinition]),
		DesiredCount:         aws.Int32(int32(env.DesiredCount())),
		NetworkConfiguration: a.networkConfiguration(refs[resource.SecurityGroup]),
		LoadBalancers:        loadBalancers(refs[resource.TargetGroup]),
	})
	if err != nil {
		return s.errorf("update", err)
	}
	return nil
}

func (a *applier) deleteService(ctx context.Context, s step, arn string) error {
	svc, err := a.serviceOwned(ctx, s, arn)
	if err != nil || svc == nil {
		return err
	}
	cluster := aws.String(clusterOf(arn, a.fleet.Cluster))
	if _, err := a.c.ECS.DeleteService(ctx, &ecssdk.DeleteServiceInput{Cluster: cluster, Service: aws.String(arn), Force: aws.Bool(true)}); err != nil {
		if hasCode(err, "ServiceNotFoundException") {
			return nil
		}
		return s.errorf("delete", err)
	}
	// The target group and security group can go only once the tasks have.
	deadline := time.Now().Add(a.opts.Wait)
	for {
		out, err := a.c.ECS.DescribeServices(ctx, &ecssdk.DescribeServicesInput{Cluster: cluster, Services: []string{arn}})
		if err != nil {
			return s.errorf("wait for deletion", err)
		}
		if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
			return nil
		}
		if time.Now().After(deadline) {
			return s.errorf("wait for deletion", fmt.Errorf("still %s after %s; the next run continues", aws.ToString(out.Services[0].Status), a.opts.Wait))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}
