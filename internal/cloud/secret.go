package cloud

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	secretssdk "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/polyfleet/polyfleet/internal/desired"
	"github.com/polyfleet/polyfleet/internal/resource"
)

// PasswordLength is the length of generated passwords: 32 characters from
// a 70-character alphabet, about 196 bits.
const PasswordLength = 32

// passwordAlphabet avoids characters that shells and URLs quote
// differently, so a password can be pasted anywhere; the proxy accepts any.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!*@#%"

// NewPassword returns a random password from crypto/rand.
func NewPassword() (string, error) {
	b := make([]byte, PasswordLength)
	n := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		b[i] = passwordAlphabet[v.Int64()]
	}
	return string(b), nil
}

// Credentials is the JSON stored in every environment's secret.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (a *applier) createSecret(ctx context.Context, s step, env *desired.Environment) (string, error) {
	password, err := a.opts.Password()
	if err != nil {
		return "", s.errorf("create", err)
	}
	value, err := json.Marshal(Credentials{Username: desired.Username, Password: password})
	if err != nil {
		return "", s.errorf("create", err)
	}
	out, err := a.c.Secrets.CreateSecret(ctx, &secretssdk.CreateSecretInput{
		Name:         aws.String(env.Names.Secret),
		Description:  aws.String("Polyfleet basic-auth credentials of " + a.fleet.Name + "/" + env.Spec.Name),
		SecretString: aws.String(string(value)),
		Tags:         secretTagList(env.Tags(resource.Secret)),
	})
	if err == nil {
		return aws.ToString(out.ARN), nil
	}
	// ResourceExists: made by a run that stopped before discovery could see
	// it, or someone else's. InvalidRequest: scheduled for deletion by hand.
	if !hasCode(err, "ResourceExistsException", "InvalidRequestException") {
		return "", s.errorf("create", err)
	}
	got, derr := a.c.Secrets.DescribeSecret(ctx, &secretssdk.DescribeSecretInput{SecretId: aws.String(env.Names.Secret)})
	if derr != nil {
		return "", s.errorf("create", err)
	}
	if err := a.owned(s, secretTags(got.Tags)); err != nil {
		return "", err
	}
	if got.DeletedDate != nil {
		if _, err := a.c.Secrets.RestoreSecret(ctx, &secretssdk.RestoreSecretInput{SecretId: got.ARN}); err != nil {
			return "", s.errorf("restore secret scheduled for deletion", err)
		}
	}
	return aws.ToString(got.ARN), nil
}

func (a *applier) deleteSecret(ctx context.Context, s step, arn string) error {
	got, err := a.c.Secrets.DescribeSecret(ctx, &secretssdk.DescribeSecretInput{SecretId: aws.String(arn)})
	if hasCode(err, "ResourceNotFoundException") {
		return nil
	}
	if err != nil {
		return s.errorf("read", err)
	}
	if err := a.owned(s, secretTags(got.Tags)); err != nil {
		return err
	}
	// Without a recovery window, so the same name can be created again at once.
	_, err = a.c.Secrets.DeleteSecret(ctx, &secretssdk.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return s.errorf("delete", err)
	}
	return nil
}
