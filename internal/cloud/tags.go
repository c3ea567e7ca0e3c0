package cloud

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	secretstypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Every AWS service has its own Tag type with the same two fields; these
// convert between them and plain maps, in sorted key order.

func tagList[T any](m map[string]string, mk func(k, v *string) T) []T {
	var out []T
	for _, k := range sortedKeys(m) {
		out = append(out, mk(aws.String(k), aws.String(m[k])))
	}
	return out
}

func tagMap[T any](ts []T, kv func(T) (*string, *string)) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

func iamTags(m map[string]string) []iamtypes.Tag {
	return tagList(m, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
}

func iamTagMap(ts []iamtypes.Tag) map[string]string {
	return tagMap(ts, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
}

func ecsTags(m map[string]string) []ecstypes.Tag {
	return tagList(m, func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

func ecsTagMap(ts []ecstypes.Tag) map[string]string {
	return tagMap(ts, func(t ecstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

func elbTagList(m map[string]string) []elbv2types.Tag {
	return tagList(m, func(k, v *string) elbv2types.Tag { return elbv2types.Tag{Key: k, Value: v} })
}

func elbTagMap(ts []elbv2types.Tag) map[string]string {
	return tagMap(ts, func(t elbv2types.Tag) (*string, *string) { return t.Key, t.Value })
}

func ec2TagList(m map[string]string) []ec2types.Tag {
	return tagList(m, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
}

func ec2Tags(ts []ec2types.Tag) map[string]string {
	return tagMap(ts, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

func secretTagList(m map[string]string) []secretstypes.Tag {
	return tagList(m, func(k, v *string) secretstypes.Tag { return secretstypes.Tag{Key: k, Value: v} })
}

func secretTags(ts []secretstypes.Tag) map[string]string {
	return tagMap(ts, func(t secretstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

func taggingTagMap(ts []taggingtypes.Tag) map[string]string {
	return tagMap(ts, func(t taggingtypes.Tag) (*string, *string) { return t.Key, t.Value })
}
