package cloud

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/polyfleet/polyfleet/internal/desired"
)

func TestPermissionsRenderLikeDesired(t *testing.T) {
	tests := []struct {
		name  string
		perms []ec2types.IpPermission
		dir   string
		want  string
	}{
		{"none", nil, "from", "none"},
		{"proxy port from the load balancer", []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String("sg-b")}, {GroupId: aws.String("sg-a")}},
		}}, "from", desired.IngressRule(8080, []string{"sg-a", "sg-b"})},
		{"default egress", []ec2types.IpPermission{{
			IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}},
		}}, "to", desired.EgressAll},
		{"a port range from anywhere", []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(25),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}},
		}}, "from", "tcp 22-25 from 0.0.0.0/0,::/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := permissions(tt.perms, tt.dir); got != tt.want {
				t.Errorf("permissions = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestARNParsing(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:ecs:eu-west-1:1:service/c/polyfleet-acme-a":         "service",
		"arn:aws:ecs:eu-west-1:1:task-definition/polyfleet-acme-a:3": "task-definition",
		"arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/pf/ab": "targetgroup",
		"arn:aws:logs:eu-west-1:1:log-group:/polyfleet/acme/a:*":     "logs",
		"not an arn": "",
	} {
		if got := arnType(arn); got != want {
			t.Errorf("arnType(%q) = %q, want %q", arn, got, want)
		}
	}
	if f, r := familyRevision("arn:aws:ecs:eu-west-1:1:task-definition/polyfleet-acme-a:12"); f != "polyfleet-acme-a" || r != 12 {
		t.Errorf("familyRevision = %q, %d", f, r)
	}
	if c := clusterOf("arn:aws:ecs:eu-west-1:1:service/notebooks/polyfleet-acme-a", "x"); c != "notebooks" {
		t.Errorf("clusterOf = %q", c)
	}
	if c := clusterOf("arn:aws:ecs:eu-west-1:1:service/polyfleet-acme-a", "fallback"); c != "fallback" {
		t.Errorf("clusterOf old format = %q", c)
	}
}
