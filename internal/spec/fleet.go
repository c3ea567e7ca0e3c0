// Package spec holds the files users write, fleet.yml and
// environments/<name>.yml, and turns them into validated values or into
// errors that name file, line, column and field.
package spec

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fleet is fleet.yml: the shared infrastructure every environment uses.
type Fleet struct {
	Name             string   `json:"name"`
	Region           string   `json:"region"`
	Cluster          string   `json:"cluster"`
	VPCID            string   `json:"vpc_id"`
	Subnets          []string `json:"subnets"`
	LoadBalancerARN  string   `json:"load_balancer_arn"`
	ListenerPort     int      `json:"listener_port"`
	HostedZoneID     string   `json:"hosted_zone_id"`
	Domain           string   `json:"domain"`
	LogRetentionDays int      `json:"log_retention_days"`
	// AssignPublicIP gives tasks a public IP, for subnets without a NAT
	// gateway to pull images through.
	AssignPublicIP bool `json:"assign_public_ip"`
	// MaxDestroy is how many environments one apply may delete without
	// --allow-destroy: a guard against an emptied directory.
	MaxDestroy int `json:"max_destroy"`
	// SelfHeal lets the scheduled drift check correct drift instead of
	// only reporting it.
	SelfHeal bool     `json:"self_heal"`
	Defaults Defaults `json:"defaults"`
}

// Defaults apply to every environment that does not set its own value.
type Defaults struct {
	CPU        int    `json:"cpu"`
	Memory     int    `json:"memory"`
	Image      string `json:"image"`
	ProxyImage string `json:"proxy_image"`
}

// Defaults of optional fleet settings.
const (
	DefaultLogRetentionDays = 30
	DefaultMaxDestroy       = 3
)

var (
	fleetNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}$`)
	// A load balancer ARN: arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
	lbARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/[A-Za-z0-9-]+/[0-9a-f]+$`)
	domainRE   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	subnetRE   = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	vpcRE      = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	zoneIDRE   = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	clusterRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	retentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// LoadFleet reads and validates fleet.yml.
func LoadFleet(path string) (Fleet, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return Fleet{}, Errors{{File: path, Msg: fmt.Sprintf("cannot read fleet config: %v", err)}}
	}
	return ParseFleet(path, src)
}

// ParseFleet validates the contents of a fleet.yml named file.
func ParseFleet(file string, src []byte) (Fleet, error) {
	d := &decoder{file: file}
	f := Fleet{LogRetentionDays: DefaultLogRetentionDays, MaxDestroy: DefaultMaxDestroy}
	root := d.document(src)
	if root == nil && len(d.errs) == 0 {
		d.add(nil, "", "is empty; it must set at least name, region, cluster, vpc_id, subnets, load_balancer_arn, listener_port, hosted_zone_id, domain and defaults")
		return f, d.errs.errOrNil()
	}
	var defaultsNode *yaml.Node
	seen := d.mapping(root, "", []field{
		{"name", d.str(&f.Name)},
		{"region", d.str(&f.Region)},
		{"cluster", d.str(&f.Cluster)},
		{"vpc_id", d.str(&f.VPCID)},
		{"subnets", d.strings(&f.Subnets)},
		{"load_balancer_arn", d.str(&f.LoadBalancerARN)},
		{"listener_port", d.integer(&f.ListenerPort)},
		{"hosted_zone_id", d.str(&f.HostedZoneID)},
		{"domain", d.str(&f.Domain)},
		{"log_retention_days", d.integer(&f.LogRetentionDays)},
		{"assign_public_ip", d.boolean(&f.AssignPublicIP)},
		{"max_destroy", d.integer(&f.MaxDestroy)},
		{"self_heal", d.boolean(&f.SelfHeal)},
		{"defaults", func(v *yaml.Node, path string) {
			defaultsNode = v
			d.mapping(v, path+".", []field{
				{"cpu", d.integer(&f.Defaults.CPU)},
				{"memory", d.integer(&f.Defaults.Memory)},
				{"image", d.str(&f.Defaults.Image)},
				{"proxy_image", d.str(&f.Defaults.ProxyImage)},
			})
		}},
	})
	if root == nil {
		return f, d.errs.errOrNil()
	}
	valueOf := func(key string) *yaml.Node { return valueNode(root, key) }
	check := func(key string, ok bool, format string, args ...any) {
		if n := valueOf(key); n != nil && !ok {
			d.add(n, key, format, args...)
		}
	}
	for _, key := range []string{"name", "region", "cluster", "vpc_id", "subnets", "load_balancer_arn", "listener_port", "hosted_zone_id", "domain", "defaults"} {
		if seen[key] == nil {
			d.add(root, key, "is required")
		}
	}
	check("name", fleetNameRE.MatchString(f.Name), "%q must match [a-z][a-z0-9-]{0,14} (it goes into every tag and name)", f.Name)
	check("region", regionRE.MatchString(f.Region), "%q is not an AWS region name such as eu-west-1", f.Region)
	check("cluster", clusterRE.MatchString(f.Cluster), "%q is not an ECS cluster name", f.Cluster)
	check("vpc_id", vpcRE.MatchString(f.VPCID), "%q is not a VPC ID such as vpc-0123abcd", f.VPCID)
	if n := valueOf("subnets"); n != nil {
		if len(f.Subnets) == 0 {
			d.add(n, "subnets", "must list at least one subnet")
		}
		for i, s := range f.Subnets {
			if !subnetRE.MatchString(s) && i < len(n.Content) {
				d.add(n.Content[i], fmt.Sprintf("subnets[%d]", i), "%q is not a subnet ID such as subnet-0123abcd", s)
			}
		}
	}
	check("load_balancer_arn", lbARNRE.MatchString(f.LoadBalancerARN), "%q is not an application load balancer ARN", f.LoadBalancerARN)
	if lbARNRE.MatchString(f.LoadBalancerARN) && regionRE.MatchString(f.Region) && f.LoadBalancerRegion() != f.Region {
		d.add(valueOf("load_balancer_arn"), "load_balancer_arn", "is in region %s, but the fleet's region is %s", f.LoadBalancerRegion(), f.Region)
	}
	check("listener_port", f.ListenerPort >= 1 && f.ListenerPort <= 65535, "%d is not a port number (1-65535)", f.ListenerPort)
	check("hosted_zone_id", zoneIDRE.MatchString(f.HostedZoneID), "%q is not a Route53 hosted zone ID such as Z0123ABC", f.HostedZoneID)
	check("domain", domainRE.MatchString(f.Domain) && len(f.Domain) <= 180, "%q is not a lower-case domain name of at most 180 characters", f.Domain)
	check("log_retention_days", containsInt(retentions, f.LogRetentionDays), "%d is not a CloudWatch Logs retention; use one of %s", f.LogRetentionDays, joinInts(retentions))
	check("max_destroy", f.MaxDestroy >= 0, "must be 0 or more, not %d", f.MaxDestroy)
	if defaultsNode != nil && defaultsNode.Kind == yaml.MappingNode {
		for _, key := range []string{"cpu", "memory", "image", "proxy_image"} {
			if valueNode(defaultsNode, key) == nil {
				d.add(defaultsNode, "defaults."+key, "is required")
			}
		}
		if f.Defaults.CPU != 0 && f.Defaults.Memory != 0 {
			if err := CheckFargateSize(f.Defaults.CPU, f.Defaults.Memory); err != nil {
				d.add(valueNode(defaultsNode, "memory"), "defaults.memory", "%v", err)
			}
		}
		checkImage(d, valueNode(defaultsNode, "image"), "defaults.image", f.Defaults.Image)
		checkImage(d, valueNode(defaultsNode, "proxy_image"), "defaults.proxy_image", f.Defaults.ProxyImage)
	}
	return f, d.errs.errOrNil()
}

// Account is the AWS account of the fleet, taken from its load balancer.
func (f Fleet) Account() string { return arnPart(f.LoadBalancerARN, 4) }

// LoadBalancerRegion is the region in the load balancer's ARN.
func (f Fleet) LoadBalancerRegion() string { return arnPart(f.LoadBalancerARN, 3) }

// Partition is the AWS partition (aws, aws-cn, aws-us-gov) of the fleet.
func (f Fleet) Partition() string { return arnPart(f.LoadBalancerARN, 1) }

func arnPart(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[i]
}

var imageRE = regexp.MustCompile(`^[a-z0-9]+([._/:@-][A-Za-z0-9_.-]+)*$`)

func checkImage(d *decoder, n *yaml.Node, path, image string) {
	if n == nil {
		return
	}
	switch {
	case image == "":
		d.add(n, path, "must name a container image")
	case !imageRE.MatchString(image) || len(image) > 255:
		d.add(n, path, "%q is not a container image reference", image)
	case !strings.Contains(image[strings.LastIndex(image, "/")+1:], ":") && !strings.Contains(image, "@"):
		d.add(n, path, "%q must be pinned to a tag or digest, such as %s:0.5.1", image, image)
	case strings.HasSuffix(image, ":latest"):
		d.add(n, path, "%q uses the moving tag latest; pin a version so a plan means the same thing tomorrow", image)
	}
}

func valueNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
