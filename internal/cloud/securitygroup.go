package cloud

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

func (a *applier) createSecurityGroup(ctx context.Context, s step, env *desired.Environment) (string, error) {
	out, err := a.c.EC2.CreateSecurityGroup(ctx, &ec2sdk.CreateSecurityGroupInput{
		GroupName:   aws.String(env.Names.SecurityGroup),
		Description: aws.String(desired.SecurityGroupDescription(a.fleet.Name, env.Spec.Name)),
		VpcId:       aws.String(a.fleet.VPCID),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags:         ec2TagList(env.Tags(resource.SecurityGroup)),
		}},
	})
	var id string
	switch {
	case err == nil:
		id = aws.ToString(out.GroupId)
	case hasCode(err, "InvalidGroup.Duplicate"):
		found, ferr := a.c.EC2.DescribeSecurityGroups(ctx, &ec2sdk.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("group-name"), Values: []string{env.Names.SecurityGroup}},
			{Name: aws.String("vpc-id"), Values: []string{a.fleet.VPCID}},
		}})
		if ferr != nil || len(found.SecurityGroups) != 1 {
			return "", s.errorf("create", err)
		}
		if err := a.owned(s, ec2Tags(found.SecurityGroups[0].Tags)); err != nil {
			return "", err
		}
		id = aws.ToString(found.SecurityGroups[0].GroupId)
	default:
		return "", s.errorf("create", err)
	}
	return id, a.setRules(ctx, s, id)
}

// setRules makes the group's rules exactly: the proxy port from the load
// balancer's groups in, everything out. It adds what is missing before it
// removes what is extra, so traffic that should pass never stops.
func (a *applier) setRules(ctx context.Context, s step, id string) error {
	out, err := a.c.EC2.DescribeSecurityGroups(ctx, &ec2sdk.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		return s.errorf("read rules", err)
	}
	sg := out.SecurityGroups[0]
	have := map[string]bool{}
	var extra []ec2types.IpPermission
	for _, p := range sg.IpPermissions {
		isProxyPort := aws.ToString(p.IpProtocol) == "tcp" && aws.ToInt32(p.FromPort) == desired.ProxyPort && aws.ToInt32(p.ToPort) == desired.ProxyPort
		for _, g := range p.UserIdGroupPairs {
			if isProxyPort && contains(a.infra.LoadBalancerSecurityGroups, aws.ToString(g.GroupId)) {
				have[aws.ToString(g.GroupId)] = true
				continue
			}
			extra = append(extra, ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: g.GroupId}}})
		}
		if len(p.IpRanges)+len(p.Ipv6Ranges)+len(p.PrefixListIds) > 0 {
			extra = append(extra, ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, IpRanges: p.IpRanges, Ipv6Ranges: p.Ipv6Ranges, PrefixListIds: p.PrefixListIds})
		}
	}
	var missing []ec2types.UserIdGroupPair
	for _, g := range a.infra.LoadBalancerSecurityGroups {
		if !have[g] {
			missing = append(missing, ec2types.UserIdGroupPair{GroupId: aws.String(g)})
		}
	}
	if len(missing) > 0 {
		_, err := a.c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2sdk.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(id),
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(desired.ProxyPort), ToPort: aws.Int32(desired.ProxyPort),
				UserIdGroupPairs: missing,
			}},
		})
		if err != nil && !hasCode(err, "InvalidPermission.Duplicate") {
			return s.errorf("allow the load balancer in", err)
		}
	}
	if len(extra) > 0 {
		if _, err := a.c.EC2.RevokeSecurityGroupIngress(ctx, &ec2sdk.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: extra}); err != nil {
			return s.errorf("remove extra ingress rules", err)
		}
	}
	if permissions(sg.IpPermissionsEgress, "to") != desired.EgressAll {
		all := []ec2types.IpPermission{{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
		if _, err := a.c.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2sdk.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: all}); err != nil && !hasCode(err, "InvalidPermission.Duplicate") {
			return s.errorf("allow egress", err)
		}
		var other []ec2types.IpPermission
		for _, p := range sg.IpPermissionsEgress {
			if permissions([]ec2types.IpPermission{p}, "to") != desired.EgressAll {
				other = append(other, p)
			}
		}
		if len(other) > 0 {
			if _, err := a.c.EC2.RevokeSecurityGroupEgress(ctx, &ec2sdk.RevokeSecurityGroupEgressInput{GroupId: aws.String(id), IpPermissions: other}); err != nil {
				return s.errorf("remove extra egress rules", err)
			}
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// securityGroupOwned reads the group's tags; gone reports it no longer exists.
func (a *applier) securityGroupOwned(ctx context.Context, s step, id string) (gone bool, err error) {
	out, err := a.c.EC2.DescribeSecurityGroups(ctx, &ec2sdk.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if hasCode(err, "InvalidGroup.NotFound") || (err == nil && len(out.SecurityGroups) == 0) {
		return true, nil
	}
	if err != nil {
		return false, s.errorf("read", err)
	}
	return false, a.owned(s, ec2Tags(out.SecurityGroups[0].Tags))
}

func (a *applier) updateSecurityGroup(ctx context.Context, s step, _ *desired.Environment, id string) error {
	if gone, err := a.securityGroupOwned(ctx, s, id); err != nil || gone {
		return err
	}
	return a.setRules(ctx, s, id)
}

func (a *applier) deleteSecurityGroup(ctx context.Context, s step, id string) error {
	if gone, err := a.securityGroupOwned(ctx, s, id); err != nil || gone {
		return err
	}
	// The network interfaces of stopped tasks are released some minutes
	// after the service is gone; until then AWS answers DependencyViolation.
	err := retryWhile(ctx, a.opts.Wait, codes("DependencyViolation"), func() error {
		_, err := a.c.EC2.DeleteSecurityGroup(ctx, &ec2sdk.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidGroup.NotFound") {
		return s.errorf("delete", err)
	}
	return nil
}
