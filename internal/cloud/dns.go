package cloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	route53sdk "github.com/aws/aws-sdk-go-v2/service/route53"
	route53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/polyfleet/polyfleet/internal/desired"
)

// recordsNamed reads the record sets of exactly one name.
func (a *applier) recordsNamed(ctx context.Context, name string) ([]route53types.ResourceRecordSet, error) {
	out, err := a.c.Route53.ListResourceRecordSets(ctx, &route53sdk.ListResourceRecordSetsInput{
		HostedZoneId: aws.String(a.fleet.HostedZoneID), StartRecordName: aws.String(name), MaxItems: aws.Int32(20),
	})
	if err != nil {
		return nil, err
	}
	var rrs []route53types.ResourceRecordSet
	for _, rr := range out.ResourceRecordSets {
		if strings.EqualFold(strings.TrimSuffix(aws.ToString(rr.Name), "."), name) {
			rrs = append(rrs, rr)
		}
	}
	return rrs, nil
}

// proof reads the TXT record beside the host: its record set when it proves
// that this fleet owns the name, nil when there is none, and ErrNotOwned
// when it belongs to someone else.
func (a *applier) proof(ctx context.Context, s step, names desired.Names) (*route53types.ResourceRecordSet, error) {
	rrs, err := a.recordsNamed(ctx, names.OwnershipTXT)
	if err != nil {
		return nil, s.errorf("read ownership record", err)
	}
	want := desired.OwnershipValue(a.fleet.Name, s.env)
	for _, rr := range rrs {
		if rr.Type != route53types.RRTypeTxt {
			continue
		}
		for _, v := range rr.ResourceRecords {
			if aws.ToString(v.Value) == want {
				return &rr, nil
			}
		}
		return nil, s.errorf("refusing to change it", fmt.Errorf("%w: %s holds another owner's TXT record", ErrNotOwned, names.OwnershipTXT))
	}
	return nil, nil
}

func (a *applier) ownershipRecord(env *desired.Environment) *route53types.ResourceRecordSet {
	return &route53types.ResourceRecordSet{
		Name: aws.String(env.Names.OwnershipTXT), Type: route53types.RRTypeTxt, TTL: aws.Int64(300),
		ResourceRecords: []route53types.ResourceRecord{{Value: aws.String(env.OwnershipValue())}},
	}
}

func (a *applier) aliasRecord(names desired.Names) *route53types.ResourceRecordSet {
	return &route53types.ResourceRecordSet{
		Name: aws.String(names.Host), Type: route53types.RRTypeA,
		AliasTarget: &route53types.AliasTarget{
			DNSName: aws.String(a.infra.LoadBalancerDNS), HostedZoneId: aws.String(a.infra.LoadBalancerZoneID),
			EvaluateTargetHealth: false,
		},
	}
}

// writeRecords writes the host's alias and its TXT proof in one atomic
// change: CREATE for a new name, so that a record someone made meanwhile
// makes the change fail instead of being overwritten; UPSERT for a name the
// TXT record proves ours.
func (a *applier) writeRecords(ctx context.Context, s step, env *desired.Environment, update bool) error {
	if update {
		if err := a.provenOurs(ctx, s, env); err != nil {
			return err
		}
		return a.changeRecords(ctx, s, env, route53types.ChangeActionUpsert)
	}
	err := a.changeRecords(ctx, s, env, route53types.ChangeActionCreate)
	if err == nil || !hasCode(err, "InvalidChangeBatch") {
		return err
	}
	// Something is there after all. Look before giving up: it may be our
	// own, written by a run that stopped before it could see it (and some
	// emulators report names that are long gone).
	host, rerr := a.recordsNamed(ctx, env.Names.Host)
	if rerr != nil {
		return s.errorf("read records", rerr)
	}
	proof, perr := a.proof(ctx, s, env.Names)
	if perr != nil {
		return perr
	}
	if proof == nil && len(host) > 0 {
		return s.errorf("refusing to change it", fmt.Errorf("%w: %s already exists without a TXT ownership record: %v", ErrNotOwned, env.Names.Host, err))
	}
	return a.changeRecords(ctx, s, env, route53types.ChangeActionUpsert)
}

func (a *applier) provenOurs(ctx context.Context, s step, env *desired.Environment) error {
	proof, err := a.proof(ctx, s, env.Names)
	if err != nil {
		return err
	}
	if proof == nil {
		return s.errorf("refusing to change it", fmt.Errorf("%w: the TXT record %s is gone", ErrNotOwned, env.Names.OwnershipTXT))
	}
	return nil
}

func (a *applier) changeRecords(ctx context.Context, s step, env *desired.Environment, action route53types.ChangeAction) error {
	_, err := a.c.Route53.ChangeResourceRecordSets(ctx, &route53sdk.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(a.fleet.HostedZoneID),
		ChangeBatch: &route53types.ChangeBatch{
			Comment: aws.String("polyfleet " + a.fleet.Name + "/" + s.env),
			Changes: []route53types.Change{
				{Action: action, ResourceRecordSet: a.ownershipRecord(env)},
				{Action: action, ResourceRecordSet: a.aliasRecord(env.Names)},
			},
		},
	})
	if err != nil {
		return s.errorf("write records", err)
	}
	return nil
}

// deleteRecords deletes the host's A record and its TXT proof, with the
// exact values read right before, and only when the proof is there.
func (a *applier) deleteRecords(ctx context.Context, s step) error {
	names := desired.NamesFor(a.fleet.Name, s.env, a.fleet.Domain)
	proof, err := a.proof(ctx, s, names)
	if err != nil {
		return err
	}
	if proof == nil {
		return nil // already gone: without the proof, nothing here is ours
	}
	changes := []route53types.Change{{Action: route53types.ChangeActionDelete, ResourceRecordSet: proof}}
	host, err := a.recordsNamed(ctx, names.Host)
	if err != nil {
		return s.errorf("read records", err)
	}
	for _, rr := range host {
		if rr.Type == route53types.RRTypeA {
			changes = append(changes, route53types.Change{Action: route53types.ChangeActionDelete, ResourceRecordSet: &rr})
		}
	}
	_, err = a.c.Route53.ChangeResourceRecordSets(ctx, &route53sdk.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(a.fleet.HostedZoneID),
		ChangeBatch:  &route53types.ChangeBatch{Comment: aws.String("polyfleet " + a.fleet.Name + "/" + s.env), Changes: changes},
	})
	if err != nil {
		return s.errorf("delete records", err)
	}
	return nil
}
