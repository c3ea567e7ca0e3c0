package cloud

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	logssdk "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	taggingsdk "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"
	route53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	secretstypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/errgroup"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
	"github.com/polyfleet/polyfleet/internal/spec"
)

// State is what exists in AWS for one fleet.
type State struct {
	Infra     desired.Infra
	Resources []resource.Resource
	// Warnings name resources that carry the fleet's tag but cannot be
	// attributed to an environment; they are never changed.
	Warnings []string
	// OtherRules counts the listener's rules that are not the fleet's:
	// they share the load balancer's limit of 100 rules.
	OtherRules int
}

// Batch sizes AWS allows per describe call.
const (
	elbTagBatch        = 20
	targetGroupBatch   = 20
	ecsServiceBatch    = 10
	recordSetsPageSize = 300
	describeParallel   = 8
)

// discovery gathers resources from several goroutines.
type discovery struct {
	c     Clients
	fleet spec.Fleet
	mu    sync.Mutex
	state State
}

func (d *discovery) add(rs ...resource.Resource) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range rs {
		if r.Tags != nil && r.Kind != resource.DNSRecord {
			r.Fields[resource.OwnerField] = r.Tags[resource.TagOwner]
		}
		d.state.Resources = append(d.state.Resources, r)
	}
}

func (d *discovery) warn(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.state.Warnings = append(d.state.Warnings, fmt.Sprintf(format, args...))
}

// attribute turns tags into the environment a resource belongs to, or
// warns and returns false: a resource with the fleet tag but no environment
// tag is an error, never a delete.
func (d *discovery) attribute(id string, tags map[string]string, kind resource.Kind) (string, bool) {
	if tags[resource.TagFleet] != d.fleet.Name {
		return "", false
	}
	env := tags[resource.TagEnvironment]
	if env == "" {
		d.warn("%s carries %s=%s but no %s tag; it is left alone", id, resource.TagFleet, d.fleet.Name, resource.TagEnvironment)
		return "", false
	}
	if k, ok := resource.ParseKind(tags[resource.TagResource]); !ok || k != kind {
		d.warn("%s of environment %s is a %s but is tagged %s=%q; it is left alone", id, env, kind, resource.TagResource, tags[resource.TagResource])
		return "", false
	}
	return env, true
}

// Discover reads everything the fleet owns. The number of calls grows with
// the number of result pages, not with the number of environments, except
// for one DescribeTaskDefinition per environment, for which AWS has no
// batch call.
func Discover(ctx context.Context, c Clients, fleet spec.Fleet) (State, error) {
	d := &discovery{c: c, fleet: fleet}
	infra, err := d.infra(ctx)
	if err != nil {
		return State{}, err
	}
	d.state.Infra = infra
	tagged, err := d.tagged(ctx)
	if err != nil {
		return State{}, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.roles(gctx) })
	g.Go(func() error { return d.secrets(gctx) })
	g.Go(func() error { return d.logGroups(gctx, tagged["logs"]) })
	g.Go(func() error { return d.taskDefinitions(gctx, tagged["task-definition"]) })
	g.Go(func() error { return d.targetGroups(gctx, tagged["targetgroup"]) })
	g.Go(func() error { return d.securityGroups(gctx) })
	g.Go(func() error { return d.listenerRules(gctx, infra.ListenerARN) })
	g.Go(func() error { return d.services(gctx, tagged["service"]) })
	g.Go(func() error { return d.records(gctx) })
	if err := g.Wait(); err != nil {
		return State{}, err
	}
	sort.Slice(d.state.Resources, func(i, j int) bool {
		a, b := d.state.Resources[i], d.state.Resources[j]
		if a.Env != b.Env {
			return a.Env < b.Env
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	sort.Strings(d.state.Warnings)
	return d.state, nil
}

func (d *discovery) infra(ctx context.Context) (desired.Infra, error) {
	lbs, err := d.c.ELB.DescribeLoadBalancers(ctx, &elbv2sdk.DescribeLoadBalancersInput{LoadBalancerArns: []string{d.fleet.LoadBalancerARN}})
	if err != nil {
		return desired.Infra{}, fmt.Errorf("read the fleet's load balancer %s: %w", d.fleet.LoadBalancerARN, err)
	}
	if len(lbs.LoadBalancers) != 1 {
		return desired.Infra{}, fmt.Errorf("load balancer %s not found", d.fleet.LoadBalancerARN)
	}
	lb := lbs.LoadBalancers[0]
	infra := desired.Infra{
		LoadBalancerDNS:            aws.ToString(lb.DNSName),
		LoadBalancerZoneID:         aws.ToString(lb.CanonicalHostedZoneId),
		LoadBalancerSecurityGroups: lb.SecurityGroups,
	}
	p := elbv2sdk.NewDescribeListenersPaginator(d.c.ELB, &elbv2sdk.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return desired.Infra{}, fmt.Errorf("read listeners of %s: %w", d.fleet.LoadBalancerARN, err)
		}
		for _, l := range page.Listeners {
			if int(aws.ToInt32(l.Port)) == d.fleet.ListenerPort {
				infra.ListenerARN = aws.ToString(l.ListenerArn)
			}
		}
	}
	if infra.ListenerARN == "" {
		return desired.Infra{}, fmt.Errorf("load balancer %s has no listener on port %d (fleet.yml listener_port)", d.fleet.LoadBalancerARN, d.fleet.ListenerPort)
	}
	if len(infra.LoadBalancerSecurityGroups) == 0 {
		return desired.Infra{}, fmt.Errorf("load balancer %s has no security groups; environments admit traffic only from them", d.fleet.LoadBalancerARN)
	}
	return infra, nil
}

type taggedARN struct {
	arn  string
	tags map[string]string
}

// tagged lists, with the Resource Groups Tagging API, every resource that
// carries the fleet's tag, grouped by resource type.
func (d *discovery) tagged(ctx context.Context) (map[string][]taggedARN, error) {
	out := map[string][]taggedARN{}
	p := taggingsdk.NewGetResourcesPaginator(d.c.Tagging, &taggingsdk.GetResourcesInput{
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(resource.TagFleet), Values: []string{d.fleet.Name}}},
		ResourceTypeFilters: []string{"ecs:service", "ecs:task-definition", "elasticloadbalancing:targetgroup", "logs"},
		ResourcesPerPage:    aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list resources tagged %s=%s: %w", resource.TagFleet, d.fleet.Name, err)
		}
		for _, m := range page.ResourceTagMappingList {
			tags := taggingTagMap(m.Tags)
			arn := aws.ToString(m.ResourceARN)
			out[arnType(arn)] = append(out[arnType(arn)], taggedARN{arn: arn, tags: tags})
		}
	}
	return out, nil
}

// arnType is the resource type in an ARN: "service", "task-definition",
// "targetgroup", or the service name for log groups.
func arnType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	if parts[2] == "logs" {
		return "logs"
	}
	res := parts[5]
	if i := strings.IndexAny(res, "/:"); i > 0 {
		return res[:i]
	}
	return res
}

func (d *discovery) roles(ctx context.Context) error {
	p := iamsdk.NewGetAccountAuthorizationDetailsPaginator(d.c.IAM, &iamsdk.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole},
	})
	path := desired.RolePath(d.fleet.Name)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list IAM roles under %s: %w", path, err)
		}
		for _, r := range page.RoleDetailList {
			if aws.ToString(r.Path) != path {
				continue
			}
			tags := iamTagMap(r.Tags)
			env, ok := d.attribute(aws.ToString(r.Arn), tags, resource.Role)
			if !ok {
				continue
			}
			var managed, inline []string
			for _, m := range r.AttachedManagedPolicies {
				managed = append(managed, aws.ToString(m.PolicyArn))
			}
			for _, ip := range r.RolePolicyList {
				inline = append(inline, aws.ToString(ip.PolicyName)+"="+desired.CanonicalPolicy(aws.ToString(ip.PolicyDocument)))
			}
			sort.Strings(managed)
			sort.Strings(inline)
			d.add(resource.Resource{
				Kind: resource.Role, Env: env, Name: aws.ToString(r.RoleName),
				ID: aws.ToString(r.RoleName), Ref: aws.ToString(r.Arn), Tags: tags,
				Fields: map[string]string{
					"path":             aws.ToString(r.Path),
					"trust_policy":     desired.CanonicalPolicy(aws.ToString(r.AssumeRolePolicyDocument)),
					"managed_policies": strings.Join(managed, ","),
					"inline_policies":  strings.Join(inline, ";"),
				},
			})
		}
	}
	return nil
}

func (d *discovery) secrets(ctx context.Context) error {
	p := secretssdk.NewListSecretsPaginator(d.c.Secrets, &secretssdk.ListSecretsInput{
		Filters: []secretstypes.Filter{
			{Key: secretstypes.FilterNameStringTypeTagKey, Values: []string{resource.TagFleet}},
			{Key: secretstypes.FilterNameStringTypeTagValue, Values: []string{d.fleet.Name}},
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list secrets tagged %s=%s: %w", resource.TagFleet, d.fleet.Name, err)
		}
		for _, s := range page.SecretList {
			if s.DeletedDate != nil {
				continue // scheduled for deletion: gone for our purposes
			}
			tags := secretTags(s.Tags)
			env, ok := d.attribute(aws.ToString(s.ARN), tags, resource.Secret)
			if !ok {
				continue
			}
			d.add(resource.Resource{
				Kind: resource.Secret, Env: env, Name: aws.ToString(s.Name),
				ID: aws.ToString(s.ARN), Ref: aws.ToString(s.ARN), Tags: tags,
				Fields: map[string]string{"secret_string": "(generated)"},
			})
		}
	}
	return nil
}

func (d *discovery) logGroups(ctx context.Context, tagged []taggedARN) error {
	tagsByName := map[string]map[string]string{}
	for _, t := range tagged {
		_, name, _ := strings.Cut(t.arn, ":log-group:")
		name = strings.TrimSuffix(name, ":*")
		tagsByName[name] = t.tags
	}
	if len(tagsByName) == 0 {
		return nil
	}
	p := logssdk.NewDescribeLogGroupsPaginator(d.c.Logs, &logssdk.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(desired.LogGroupPrefix(d.fleet.Name))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list log groups under %s: %w", desired.LogGroupPrefix(d.fleet.Name), err)
		}
		for _, g := range page.LogGroups {
			name := aws.ToString(g.LogGroupName)
			tags, ok := tagsByName[name]
			if !ok {
				continue // not tagged as ours: never touched
			}
			env, ok := d.attribute(name, tags, resource.LogGroup)
			if !ok {
				continue
			}
			retention := "never expire"
			if g.RetentionInDays != nil {
				retention = strconv.Itoa(int(*g.RetentionInDays))
			}
			d.add(resource.Resource{
				Kind: resource.LogGroup, Env: env, Name: name, ID: name, Ref: name, Tags: tags,
				Fields: map[string]string{"retention_days": retention},
			})
		}
	}
	return nil
}

// taskDefinitions describes the newest revision of each family; every
// revision is kept in IDs so that a delete removes them all.
func (d *discovery) taskDefinitions(ctx context.Context, tagged []taggedARN) error {
	type family struct {
		latest    taggedARN
		latestRev int
		all       []string
	}
	families := map[string]*family{}
	for _, t := range tagged {
		name, rev := familyRevision(t.arn)
		f := families[name]
		if f == nil {
			f = &family{}
			families[name] = f
		}
		f.all = append(f.all, t.arn)
		if rev > f.latestRev {
			f.latest, f.latestRev = t, rev
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describeParallel)
	for name, f := range families {
		g.Go(func() error {
			env, ok := d.attribute(f.latest.arn, f.latest.tags, resource.TaskDefinition)
			if !ok {
				return nil
			}
			out, err := d.c.ECS.DescribeTaskDefinition(gctx, &ecssdk.DescribeTaskDefinitionInput{TaskDefinition: aws.String(f.latest.arn)})
			if err != nil {
				return fmt.Errorf("environment %s: task-definition %s: describe: %w", env, name, err)
			}
			td := out.TaskDefinition
			// An INACTIVE newest revision stays in the state, so that a
			// delete cut short between deregistering and deleting is
			// finished, and a hand-made deregistration shows as drift.
			if td.Status == ecstypes.TaskDefinitionStatusDeleteInProgress {
				return nil
			}
			sort.Strings(f.all)
			d.add(resource.Resource{
				Kind: resource.TaskDefinition, Env: env, Name: name,
				ID: f.latest.arn, Ref: aws.ToString(td.TaskDefinitionArn), IDs: f.all, Tags: f.latest.tags,
				Fields: taskDefinitionFields(td),
			})
			return nil
		})
	}
	return g.Wait()
}

func familyRevision(arn string) (string, int) {
	res := arn[strings.LastIndex(arn, "/")+1:]
	i := strings.LastIndex(res, ":")
	if i < 0 {
		return res, 0
	}
	rev, _ := strconv.Atoi(res[i+1:])
	return res[:i], rev
}

func taskDefinitionFields(td *ecstypes.TaskDefinition) map[string]string {
	var compat []string
	for _, c := range td.RequiresCompatibilities {
		compat = append(compat, string(c))
	}
	f := map[string]string{
		"cpu":            aws.ToString(td.Cpu),
		"memory":         aws.ToString(td.Memory),
		"network_mode":   string(td.NetworkMode),
		"compatibility":  strings.Join(compat, ","),
		"execution_role": aws.ToString(td.ExecutionRoleArn),
		"status":         string(td.Status),
	}
	for _, cd := range td.ContainerDefinitions {
		c := desired.Container{Name: aws.ToString(cd.Name), Image: aws.ToString(cd.Image)}
		if len(cd.PortMappings) > 0 {
			c.Port = int(aws.ToInt32(cd.PortMappings[0].ContainerPort))
		}
		if len(cd.Environment) > 0 {
			c.Environment = map[string]string{}
			for _, kv := range cd.Environment {
				c.Environment[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
			}
		}
		if len(cd.Secrets) > 0 {
			c.Secrets = map[string]string{}
			for _, s := range cd.Secrets {
				c.Secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
			}
		}
		if len(cd.DependsOn) > 0 {
			c.DependsOn = aws.ToString(cd.DependsOn[0].ContainerName)
		}
		var group, region string
		if cd.LogConfiguration != nil {
			group, region = cd.LogConfiguration.Options["awslogs-group"], cd.LogConfiguration.Options["awslogs-region"]
		}
		for k, v := range desired.ContainerFields(c, func(v string) string { return v }, group, region) {
			f[k] = v
		}
		// ContainerFields renders what a container should be; where AWS
		// holds something else, show that instead.
		if cd.LogConfiguration == nil || cd.LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs || cd.LogConfiguration.Options["awslogs-stream-prefix"] != c.Name {
			f[c.Name+".log"] = logField(cd.LogConfiguration)
		}
		if len(cd.DependsOn) > 0 {
			f[c.Name+".depends_on"] = c.DependsOn + ":" + string(cd.DependsOn[0].Condition)
		}
		if len(cd.PortMappings) > 0 {
			f[c.Name+".port"] = fmt.Sprintf("%d/%s", c.Port, cd.PortMappings[0].Protocol)
		}
	}
	return f
}

func logField(lc *ecstypes.LogConfiguration) string {
	if lc == nil {
		return "none"
	}
	keys := make([]string, 0, len(lc.Options))
	for k := range lc.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{string(lc.LogDriver)}
	for _, k := range keys {
		parts = append(parts, k+"="+lc.Options[k])
	}
	return strings.Join(parts, " ")
}

func (d *discovery) targetGroups(ctx context.Context, tagged []taggedARN) error {
	tagsByARN := map[string]map[string]string{}
	var arns []string
	for _, t := range tagged {
		tagsByARN[t.arn] = t.tags
		arns = append(arns, t.arn)
	}
	for start := 0; start < len(arns); start += targetGroupBatch {
		batch := arns[start:min(start+targetGroupBatch, len(arns))]
		groups, err := d.describeTargetGroups(ctx, batch)
		if err != nil {
			return err
		}
		for _, tg := range groups {
			arn := aws.ToString(tg.TargetGroupArn)
			env, ok := d.attribute(arn, tagsByARN[arn], resource.TargetGroup)
			if !ok {
				continue
			}
			d.add(resource.Resource{
				Kind: resource.TargetGroup, Env: env, Name: aws.ToString(tg.TargetGroupName),
				ID: arn, Ref: arn, Tags: tagsByARN[arn], Fields: targetGroupFields(tg),
			})
		}
	}
	return nil
}

// describeTargetGroups describes a batch. The Tagging API can still list
// a group deleted a moment ago, which fails the whole batch; then each is
// described on its own and the missing ones are left out.
func (d *discovery) describeTargetGroups(ctx context.Context, arns []string) ([]elbv2types.TargetGroup, error) {
	out, err := d.c.ELB.DescribeTargetGroups(ctx, &elbv2sdk.DescribeTargetGroupsInput{TargetGroupArns: arns})
	if err == nil {
		return out.TargetGroups, nil
	}
	if !hasCode(err, "TargetGroupNotFound") {
		return nil, fmt.Errorf("describe target groups: %w", err)
	}
	var groups []elbv2types.TargetGroup
	for _, arn := range arns {
		one, err := d.c.ELB.DescribeTargetGroups(ctx, &elbv2sdk.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		if hasCode(err, "TargetGroupNotFound") {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describe target group %s: %w", arn, err)
		}
		groups = append(groups, one.TargetGroups...)
	}
	return groups, nil
}

func targetGroupFields(tg elbv2types.TargetGroup) map[string]string {
	matcher := ""
	if tg.Matcher != nil {
		matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	return map[string]string{
		"port":                 strconv.Itoa(int(aws.ToInt32(tg.Port))),
		"protocol":             string(tg.Protocol),
		"target_type":          string(tg.TargetType),
		"vpc":                  aws.ToString(tg.VpcId),
		"health_check.path":    aws.ToString(tg.HealthCheckPath),
		"health_check.matcher": matcher,
		"health_check.timing": fmt.Sprintf("interval=%d timeout=%d healthy=%d unhealthy=%d",
			aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthCheckTimeoutSeconds),
			aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.UnhealthyThresholdCount)),
	}
}

func (d *discovery) securityGroups(ctx context.Context) error {
	p := ec2sdk.NewDescribeSecurityGroupsPaginator(d.c.EC2, &ec2sdk.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + resource.TagFleet), Values: []string{d.fleet.Name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list security groups tagged %s=%s: %w", resource.TagFleet, d.fleet.Name, err)
		}
		for _, sg := range page.SecurityGroups {
			tags := ec2Tags(sg.Tags)
			env, ok := d.attribute(aws.ToString(sg.GroupId), tags, resource.SecurityGroup)
			if !ok {
				continue
			}
			d.add(resource.Resource{
				Kind: resource.SecurityGroup, Env: env, Name: aws.ToString(sg.GroupName),
				ID: aws.ToString(sg.GroupId), Ref: aws.ToString(sg.GroupId), Tags: tags,
				Fields: map[string]string{
					"vpc":         aws.ToString(sg.VpcId),
					"description": aws.ToString(sg.Description),
					"ingress":     permissions(sg.IpPermissions, "from"),
					"egress":      permissions(sg.IpPermissionsEgress, "to"),
				},
			})
		}
	}
	return nil
}

// permissions renders security group rules in the form of
// desired.IngressRule and desired.EgressAll.
func permissions(perms []ec2types.IpPermission, dir string) string {
	var out []string
	for _, p := range perms {
		var sources []string
		for _, g := range p.UserIdGroupPairs {
			sources = append(sources, aws.ToString(g.GroupId))
		}
		var cidrs []string
		for _, r := range p.IpRanges {
			cidrs = append(cidrs, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			cidrs = append(cidrs, aws.ToString(r.CidrIpv6))
		}
		sort.Strings(sources)
		sort.Strings(cidrs)
		from := strings.Join(append(sources, cidrs...), ",")
		proto := aws.ToString(p.IpProtocol)
		if proto == "-1" {
			out = append(out, "all "+dir+" "+from)
			continue
		}
		ports := strconv.Itoa(int(aws.ToInt32(p.FromPort)))
		if aws.ToInt32(p.ToPort) != aws.ToInt32(p.FromPort) {
			ports += "-" + strconv.Itoa(int(aws.ToInt32(p.ToPort)))
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", proto, ports, dir, from))
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

func (d *discovery) listenerRules(ctx context.Context, listenerARN string) error {
	var rules []elbv2types.Rule
	in := &elbv2sdk.DescribeRulesInput{ListenerArn: aws.String(listenerARN)}
	for {
		out, err := d.c.ELB.DescribeRules(ctx, in)
		if err != nil {
			return fmt.Errorf("list rules of listener %s: %w", listenerARN, err)
		}
		for _, r := range out.Rules {
			if !aws.ToBool(r.IsDefault) {
				rules = append(rules, r)
			}
		}
		if aws.ToString(out.NextMarker) == "" {
			break
		}
		in.Marker = out.NextMarker
	}
	tags, err := d.elbTags(ctx, rules)
	if err != nil {
		return err
	}
	for _, r := range rules {
		arn := aws.ToString(r.RuleArn)
		if tags[arn][resource.TagFleet] != d.fleet.Name {
			d.mu.Lock()
			d.state.OtherRules++
			d.mu.Unlock()
			continue
		}
		env, ok := d.attribute(arn, tags[arn], resource.ListenerRule)
		if !ok {
			continue
		}
		f := ruleFields(r)
		f["listener"] = listenerARN
		d.add(resource.Resource{
			Kind: resource.ListenerRule, Env: env, Name: f["host"],
			ID: arn, Ref: arn, Tags: tags[arn], Fields: f,
		})
	}
	return nil
}

func (d *discovery) elbTags(ctx context.Context, rules []elbv2types.Rule) (map[string]map[string]string, error) {
	tags := map[string]map[string]string{}
	for start := 0; start < len(rules); start += elbTagBatch {
		var arns []string
		for _, r := range rules[start:min(start+elbTagBatch, len(rules))] {
			arns = append(arns, aws.ToString(r.RuleArn))
		}
		out, err := d.c.ELB.DescribeTags(ctx, &elbv2sdk.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			return nil, fmt.Errorf("read tags of listener rules: %w", err)
		}
		for _, td := range out.TagDescriptions {
			tags[aws.ToString(td.ResourceArn)] = elbTagMap(td.Tags)
		}
	}
	return tags, nil
}

func ruleFields(r elbv2types.Rule) map[string]string {
	var hosts, other []string
	for _, c := range r.Conditions {
		switch {
		case aws.ToString(c.Field) == "host-header" && c.HostHeaderConfig != nil:
			hosts = append(hosts, c.HostHeaderConfig.Values...)
		case aws.ToString(c.Field) == "host-header":
			hosts = append(hosts, c.Values...)
		default:
			other = append(other, aws.ToString(c.Field))
		}
	}
	host := strings.Join(hosts, ",")
	if len(other) > 0 {
		host += " and " + strings.Join(other, ",")
	}
	var targets []string
	for _, a := range r.Actions {
		switch {
		case a.Type == elbv2types.ActionTypeEnumForward && aws.ToString(a.TargetGroupArn) != "":
			targets = append(targets, aws.ToString(a.TargetGroupArn))
		case a.Type == elbv2types.ActionTypeEnumForward && a.ForwardConfig != nil:
			for _, tg := range a.ForwardConfig.TargetGroups {
				targets = append(targets, aws.ToString(tg.TargetGroupArn))
			}
		default:
			targets = append(targets, string(a.Type))
		}
	}
	return map[string]string{
		"priority":     aws.ToString(r.Priority),
		"host":         host,
		"target_group": strings.Join(targets, ","),
	}
}

// services describes every service of the fleet's cluster, listed with
// ListServices rather than found through the Tagging API, which can lag
// behind a service created a moment ago; plus any tagged service in
// another cluster (left there by a change of cluster).
func (d *discovery) services(ctx context.Context, tagged []taggedARN) error {
	byCluster := map[string][]string{}
	seen := map[string]bool{}
	p := ecssdk.NewListServicesPaginator(d.c.ECS, &ecssdk.ListServicesInput{Cluster: aws.String(d.fleet.Cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list services of cluster %s: %w", d.fleet.Cluster, err)
		}
		for _, arn := range page.ServiceArns {
			byCluster[d.fleet.Cluster] = append(byCluster[d.fleet.Cluster], arn)
			seen[arn] = true
		}
	}
	for _, t := range tagged {
		if seen[t.arn] {
			continue
		}
		// arn:aws:ecs:region:account:service/<cluster>/<name>
		parts := strings.Split(t.arn[strings.Index(t.arn, ":service/")+len(":service/"):], "/")
		cluster := d.fleet.Cluster
		if len(parts) == 2 {
			cluster = parts[0]
		}
		byCluster[cluster] = append(byCluster[cluster], t.arn)
	}
	for cluster, arns := range byCluster {
		for start := 0; start < len(arns); start += ecsServiceBatch {
			out, err := d.c.ECS.DescribeServices(ctx, &ecssdk.DescribeServicesInput{
				Cluster: aws.String(cluster), Services: arns[start:min(start+ecsServiceBatch, len(arns))],
				Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
			})
			if err != nil {
				return fmt.Errorf("describe services in cluster %s: %w", cluster, err)
			}
			for _, s := range out.Services {
				if aws.ToString(s.Status) == "INACTIVE" {
					continue
				}
				tags := ecsTagMap(s.Tags)
				env, ok := d.attribute(aws.ToString(s.ServiceArn), tags, resource.Service)
				if !ok {
					continue
				}
				d.add(resource.Resource{
					Kind: resource.Service, Env: env, Name: aws.ToString(s.ServiceName),
					ID: aws.ToString(s.ServiceArn), Ref: aws.ToString(s.ServiceArn), Tags: tags,
					Fields: serviceFields(cluster, s),
				})
			}
		}
	}
	return nil
}

func serviceFields(cluster string, s ecstypes.Service) map[string]string {
	f := map[string]string{
		"cluster":         cluster,
		"launch_type":     string(s.LaunchType),
		"desired_count":   strconv.Itoa(int(s.DesiredCount)),
		"task_definition": aws.ToString(s.TaskDefinition),
		"load_balancer":   "none",
	}
	if s.NetworkConfiguration != nil && s.NetworkConfiguration.AwsvpcConfiguration != nil {
		vpc := s.NetworkConfiguration.AwsvpcConfiguration
		subnets := append([]string(nil), vpc.Subnets...)
		groups := append([]string(nil), vpc.SecurityGroups...)
		sort.Strings(subnets)
		sort.Strings(groups)
		f["subnets"] = strings.Join(subnets, ",")
		f["security_groups"] = strings.Join(groups, ",")
		f["assign_public_ip"] = string(vpc.AssignPublicIp)
		if f["assign_public_ip"] == "" {
			f["assign_public_ip"] = desired.PublicIP(false)
		}
	}
	if len(s.LoadBalancers) > 0 {
		var lbs []string
		for _, lb := range s.LoadBalancers {
			lbs = append(lbs, fmt.Sprintf("%s -> %s:%d", aws.ToString(lb.TargetGroupArn), aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)))
		}
		f["load_balancer"] = strings.Join(lbs, "; ")
	}
	return f
}

// records reads the hosted zone. A record at <env>.<domain> is ours when a
// TXT record beside it proves it; any other is Foreign.
func (d *discovery) records(ctx context.Context) error {
	rrs, err := listRecords(ctx, d.c.Route53, d.fleet.HostedZoneID)
	if err != nil {
		return err
	}
	suffix := "." + strings.ToLower(d.fleet.Domain) + "."
	owners := map[string]string{} // env -> TXT field value, for records we own
	foreignTXT := map[string]bool{}
	for _, rr := range rrs {
		name := strings.ToLower(aws.ToString(rr.Name))
		if rr.Type != route53types.RRTypeTxt || !strings.HasPrefix(name, "_polyfleet.") || !strings.HasSuffix(name, suffix) {
			continue
		}
		env := strings.TrimSuffix(strings.TrimPrefix(name, "_polyfleet."), suffix)
		want := desired.OwnershipValue(d.fleet.Name, env)
		for _, v := range rr.ResourceRecords {
			if aws.ToString(v.Value) == want {
				owners[env] = strings.TrimSuffix(name, ".") + " " + want
			}
		}
		if owners[env] == "" {
			foreignTXT[env] = true
		}
	}
	byEnv := map[string]map[string]string{}
	for _, rr := range rrs {
		name := strings.ToLower(aws.ToString(rr.Name))
		if !strings.HasSuffix(name, suffix) || strings.HasPrefix(name, "_polyfleet.") {
			continue
		}
		env := strings.TrimSuffix(name, suffix)
		if strings.Contains(env, ".") {
			continue
		}
		if byEnv[env] == nil {
			byEnv[env] = map[string]string{}
		}
		switch {
		case rr.AliasTarget != nil:
			byEnv[env][string(rr.Type)] = desired.AliasTarget(aws.ToString(rr.AliasTarget.DNSName), aws.ToString(rr.AliasTarget.HostedZoneId))
		default:
			var vals []string
			for _, v := range rr.ResourceRecords {
				vals = append(vals, aws.ToString(v.Value))
			}
			byEnv[env][string(rr.Type)] = strings.Join(vals, ",")
		}
	}
	for env, txt := range owners {
		f := byEnv[env]
		if f == nil {
			f = map[string]string{}
		}
		f["TXT"] = txt
		d.add(resource.Resource{Kind: resource.DNSRecord, Env: env, Name: env + "." + d.fleet.Domain, ID: env + "." + d.fleet.Domain, Fields: f})
	}
	for env := range byEnv {
		if owners[env] == "" {
			d.add(resource.Resource{Kind: resource.DNSRecord, Env: env, Name: env + "." + d.fleet.Domain, ID: "record " + env + "." + d.fleet.Domain, Foreign: true})
		}
	}
	for env := range foreignTXT {
		if owners[env] == "" && byEnv[env] == nil {
			d.add(resource.Resource{Kind: resource.DNSRecord, Env: env, Name: env + "." + d.fleet.Domain, ID: "ownership record _polyfleet." + env + "." + d.fleet.Domain + " of another owner", Foreign: true})
		}
	}
	return nil
}

// listRecords pages through a whole hosted zone.
func listRecords(ctx context.Context, c Route53API, zoneID string) ([]route53types.ResourceRecordSet, error) {
	var out []route53types.ResourceRecordSet
	p := route53sdk.NewListResourceRecordSetsPaginator(c, &route53sdk.ListResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(recordSetsPageSize),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list records of hosted zone %s: %w", zoneID, err)
		}
		out = append(out, page.ResourceRecordSets...)
	}
	return out, nil
}
