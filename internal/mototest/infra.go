package mototest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	acmsdk "github.com/aws/aws-sdk-go-v2/service/acm"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/polyfleet/polyfleet/internal/spec"
)

// Infra is the shared infrastructure made for a fleet.
type Infra struct {
	Fleet         spec.Fleet
	ListenerARN   string
	LBSecurityGrp string
}

// CreateInfra builds what a fleet expects to exist already and returns a
// fleet config that points at it. name is the fleet name; domain its DNS
// domain. Calling it twice for two fleets shares nothing between them.
func CreateInfra(ctx context.Context, cfg aws.Config, name, domain string) (Infra, error) {
	ec2c := ec2sdk.NewFromConfig(cfg)
	vpc, err := ec2c.CreateVpc(ctx, &ec2sdk.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return Infra{}, fmt.Errorf("create VPC: %w", err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := ec2c.CreateSubnet(ctx, &ec2sdk.CreateSubnetInput{
			VpcId: aws.String(vpcID), CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i)), AvailabilityZone: aws.String(Region + az),
		})
		if err != nil {
			return Infra{}, fmt.Errorf("create subnet: %w", err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	sg, err := ec2c.CreateSecurityGroup(ctx, &ec2sdk.CreateSecurityGroupInput{
		GroupName: aws.String(name + "-alb"), Description: aws.String("load balancer"), VpcId: aws.String(vpcID),
	})
	if err != nil {
		return Infra{}, fmt.Errorf("create load balancer security group: %w", err)
	}
	_, err = ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2sdk.AuthorizeSecurityGroupIngressInput{
		GroupId: sg.GroupId,
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		}},
	})
	if err != nil {
		return Infra{}, fmt.Errorf("open load balancer port: %w", err)
	}
	elb := elbv2sdk.NewFromConfig(cfg)
	lb, err := elb.CreateLoadBalancer(ctx, &elbv2sdk.CreateLoadBalancerInput{
		Name: aws.String(name + "-notebooks"), Subnets: subnets, SecurityGroups: []string{aws.ToString(sg.GroupId)},
		Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing, Type: elbv2types.LoadBalancerTypeEnumApplication,
	})
	if err != nil {
		return Infra{}, fmt.Errorf("create load balancer: %w", err)
	}
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	cert, err := acmsdk.NewFromConfig(cfg).RequestCertificate(ctx, &acmsdk.RequestCertificateInput{
		DomainName: aws.String("*." + domain),
	})
	if err != nil {
		return Infra{}, fmt.Errorf("request certificate: %w", err)
	}
	listener, err := elb.CreateListener(ctx, &elbv2sdk.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(443), Protocol: elbv2types.ProtocolEnumHttps,
		Certificates: []elbv2types.Certificate{{CertificateArn: cert.CertificateArn}},
		DefaultActions: []elbv2types.Action{{
			Type: elbv2types.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &elbv2types.FixedResponseActionConfig{
				StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("no such notebook"),
			},
		}},
	})
	if err != nil {
		return Infra{}, fmt.Errorf("create listener: %w", err)
	}
	cluster := name + "-notebooks"
	// moto's tagging API fails on any untagged cluster, so the cluster gets a tag.
	_, err = ecssdk.NewFromConfig(cfg).CreateCluster(ctx, &ecssdk.CreateClusterInput{
		ClusterName: aws.String(cluster), Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	if err != nil {
		return Infra{}, fmt.Errorf("create cluster: %w", err)
	}
	zone, err := route53sdk.NewFromConfig(cfg).CreateHostedZone(ctx, &route53sdk.CreateHostedZoneInput{
		Name: aws.String(domain), CallerReference: aws.String(name + "-" + domain),
	})
	if err != nil {
		return Infra{}, fmt.Errorf("create hosted zone: %w", err)
	}
	zoneID := aws.ToString(zone.HostedZone.Id)
	if i := len("/hostedzone/"); len(zoneID) > i && zoneID[:i] == "/hostedzone/" {
		zoneID = zoneID[i:]
	}
	return Infra{
		Fleet: spec.Fleet{
			Name: name, Region: Region, Cluster: cluster, VPCID: vpcID, Subnets: subnets,
			LoadBalancerARN: lbARN, ListenerPort: 443, HostedZoneID: zoneID, Domain: domain,
			LogRetentionDays: 30,
			Defaults: spec.Defaults{
				CPU: 1024, Memory: 2048, Image: "polynote/polynote:0.5.2-2.12", ProxyImage: "ghcr.io/polyfleet/proxy:0.1.0",
			},
		},
		ListenerARN:   aws.ToString(listener.Listeners[0].ListenerArn),
		LBSecurityGrp: aws.ToString(sg.GroupId),
	}, nil
}

// FleetYAML renders a fleet as the fleet.yml a user would write.
func FleetYAML(f spec.Fleet) string {
	return fmt.Sprintf(`name: %s
region: %s
cluster: %s
vpc_id: %s
subnets: [%s, %s]
load_balancer_arn: %s
listener_port: %d
hosted_zone_id: %s
domain: %s
log_retention_days: %d
defaults:
  cpu: %d
  memory: %d
  image: %s
  proxy_image: %s
`, f.Name, f.Region, f.Cluster, f.VPCID, f.Subnets[0], f.Subnets[1], f.LoadBalancerARN, f.ListenerPort,
		f.HostedZoneID, f.Domain, f.LogRetentionDays, f.Defaults.CPU, f.Defaults.Memory, f.Defaults.Image, f.Defaults.ProxyImage)
}
