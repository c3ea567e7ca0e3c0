package cloud

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

func (a *applier) executionPolicyARN() string {
	return strings.Replace(desired.ExecutionPolicyARN, "arn:aws:", "arn:"+a.fleet.Partition()+":", 1)
}

func (a *applier) createRole(ctx context.Context, s step, env *desired.Environment) (string, error) {
	out, err := a.c.IAM.CreateRole(ctx, &iamsdk.CreateRoleInput{
		RoleName:                 aws.String(env.Names.Role),
		Path:                     aws.String(env.Names.RolePath),
		AssumeRolePolicyDocument: aws.String(desired.TrustPolicy()),
		Description:              aws.String("Polyfleet task execution role of " + a.fleet.Name + "/" + env.Spec.Name),
		Tags:                     iamTags(env.Tags(resource.Role)),
	})
	var arn string
	switch {
	case err == nil:
		arn = aws.ToString(out.Role.Arn)
	case hasCode(err, "EntityAlreadyExists"):
		// Left by a run that stopped half-way, or someone else's: only
		// the tags can tell.
		got, gerr := a.c.IAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(env.Names.Role)})
		if gerr != nil {
			return "", s.errorf("read existing role", gerr)
		}
		if err := a.owned(s, iamTagMap(got.Role.Tags)); err != nil {
			return "", err
		}
		arn = aws.ToString(got.Role.Arn)
	default:
		return "", s.errorf("create", err)
	}
	return arn, a.setRolePolicies(ctx, s, env)
}

// setRolePolicies makes the role's policies exactly the desired ones.
func (a *applier) setRolePolicies(ctx context.Context, s step, env *desired.Environment) error {
	role := aws.String(env.Names.Role)
	if _, err := a.c.IAM.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{
		RoleName: role, PolicyName: aws.String(desired.SecretPolicyName), PolicyDocument: aws.String(env.SecretPolicy()),
	}); err != nil {
		return s.errorf("put inline policy "+desired.SecretPolicyName, err)
	}
	inline, err := a.c.IAM.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: role})
	if err != nil {
		return s.errorf("list inline policies", err)
	}
	for _, name := range inline.PolicyNames {
		if name == desired.SecretPolicyName {
			continue
		}
		if _, err := a.c.IAM.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(name)}); err != nil {
			return s.errorf("delete inline policy "+name, err)
		}
	}
	attached, err := a.c.IAM.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: role})
	if err != nil {
		return s.errorf("list attached policies", err)
	}
	want := a.executionPolicyARN()
	found := false
	for _, p := range attached.AttachedPolicies {
		if aws.ToString(p.PolicyArn) == want {
			found = true
			continue
		}
		if _, err := a.c.IAM.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: role, PolicyArn: p.PolicyArn}); err != nil {
			return s.errorf("detach "+aws.ToString(p.PolicyArn), err)
		}
	}
	if !found {
		if _, err := a.c.IAM.AttachRolePolicy(ctx, &iamsdk.AttachRolePolicyInput{RoleName: role, PolicyArn: aws.String(want)}); err != nil {
			return s.errorf("attach "+want, err)
		}
	}
	return nil
}

func (a *applier) updateRole(ctx context.Context, s step, env *desired.Environment) error {
	got, err := a.c.IAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(env.Names.Role)})
	if err != nil {
		return s.errorf("read", err)
	}
	if err := a.owned(s, iamTagMap(got.Role.Tags)); err != nil {
		return err
	}
	if _, err := a.c.IAM.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(env.Names.Role), PolicyDocument: aws.String(desired.TrustPolicy()),
	}); err != nil {
		return s.errorf("update trust policy", err)
	}
	return a.setRolePolicies(ctx, s, env)
}

func (a *applier) deleteRole(ctx context.Context, s step, name string) error {
	got, err := a.c.IAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String(name)})
	if hasCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return s.errorf("read", err)
	}
	if err := a.owned(s, iamTagMap(got.Role.Tags)); err != nil {
		return err
	}
	role := aws.String(name)
	attached, err := a.c.IAM.ListAttachedRolePolicies(ctx, &iamsdk.ListAttachedRolePoliciesInput{RoleName: role})
	if err != nil {
		return s.errorf("list attached policies", err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := a.c.IAM.DetachRolePolicy(ctx, &iamsdk.DetachRolePolicyInput{RoleName: role, PolicyArn: p.PolicyArn}); err != nil && !hasCode(err, "NoSuchEntity") {
			return s.errorf("detach "+aws.ToString(p.PolicyArn), err)
		}
	}
	inline, err := a.c.IAM.ListRolePolicies(ctx, &iamsdk.ListRolePoliciesInput{RoleName: role})
	if err != nil {
		return s.errorf("list inline policies", err)
	}
	for _, p := range inline.PolicyNames {
		if _, err := a.c.IAM.DeleteRolePolicy(ctx, &iamsdk.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(p)}); err != nil && !hasCode(err, "NoSuchEntity") {
			return s.errorf("delete inline policy "+p, err)
		}
	}
	if _, err := a.c.IAM.DeleteRole(ctx, &iamsdk.DeleteRoleInput{RoleName: role}); err != nil && !hasCode(err, "NoSuchEntity") {
		return s.errorf("delete", err)
	}
	return nil
}
