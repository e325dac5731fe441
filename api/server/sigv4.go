// SigV4 verification: Verifier checks the AWS Signature
// Version 4 of a request for service "s3vectors" by re-signing it with
// github.com/aws/aws-sdk-go-v2/aws/signer/v4 — the signer the official Go
// SDK uses, so the canonical request (including the SDK's double-encoded
// canonical URI for /tags/{arn} paths) is built identically — and comparing
// signatures in constant time.

package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vectorbucket/vectorbucket/api"
)

// DefaultMaxSkew is how far a request's X-Amz-Date may be from the server
// clock, either way.
const DefaultMaxSkew = 15 * time.Minute

const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	// Environment variables holding the single-user credentials.
	EnvAccessKeyID     = "VECTORBUCKET_ACCESS_KEY_ID"
	EnvSecretAccessKey = "VECTORBUCKET_SECRET_ACCESS_KEY"
)

// Verifier checks SigV4 signatures against a set of users. Its zero value
// is not usable; build one with NewVerifier. It is safe for concurrent use.
type Verifier struct {
	secrets map[string]string
	signer  *v4.Signer
	// Region, when set, is the only region accepted in the credential scope.
	Region string
	// MaxSkew bounds the difference between X-Amz-Date and Now.
	MaxSkew time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// NewVerifier returns a Verifier for users given as access key ID → secret
// access key.
func NewVerifier(users map[string]string) (*Verifier, error) {
	if len(users) == 0 {
		return nil, errors.New("sigv4: no credentials")
	}
	secrets := make(map[string]string, len(users))
	for id, secret := range users {
		if id == "" || secret == "" || strings.ContainsAny(id, "/, =") {
			return nil, fmt.Errorf("sigv4: invalid credentials for access key %q", id)
		}
		secrets[id] = secret
	}
	return &Verifier{secrets: secrets, signer: v4.NewSigner(), MaxSkew: DefaultMaxSkew}, nil
}

// denied builds the AccessDeniedException every verification failure is.
func denied(format string, args ...any) *api.Error {
	return api.AccessDenied(format, args...)
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (authHeader, *api.Error) {
	var a authHeader
	rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
	if !ok {
		return a, denied("Authorization header must use %s", sigAlgorithm)
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, denied("malformed Authorization header")
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != scopeTerminator {
				return a, denied("malformed credential scope %q", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, denied("Authorization header must carry Credential, SignedHeaders and Signature")
	}
	return a, nil
}

// Verify checks the signature of r, whose complete body the caller has
// already read into body (r.Body is not used). It returns the access key ID
// of the authenticated user, or an *api.Error AccessDeniedException (403)
// saying what is wrong.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (string, error) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return "", denied("query-string (presigned) authentication is not supported")
		}
		return "", denied("missing Authorization header; requests must be signed with AWS Signature Version 4")
	}
	a, e := parseAuthorization(authz)
	if e != nil {
		return "", e
	}
	secret, ok := v.secrets[a.accessKey]
	if !ok {
		return "", denied("the access key ID %q is not known", a.accessKey)
	}
	if a.service != api.ServiceName {
		return "", denied("credential scope names service %q, want %q", a.service, api.ServiceName)
	}
	if v.Region != "" && a.region != v.Region {
		return "", denied("credential scope names region %q, want %q", a.region, v.Region)
	}
	signed := map[string]bool{}
	for _, h := range a.signedHeaders {
		signed[h] = true
	}
	if !signed["host"] || !signed["x-amz-date"] {
		return "", denied("SignedHeaders must include host and x-amz-date")
	}
	t, err := time.Parse(amzDateLayout, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "", denied("missing or malformed X-Amz-Date header")
	}
	if t.Format("20060102") != a.date {
		return "", denied("credential scope date %s does not match X-Amz-Date", a.date)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if d := now().Sub(t); d > skew || d < -skew {
		return "", denied("signature expired or not yet valid: X-Amz-Date %s is more than %v from the server time %s",
			t.Format(amzDateLayout), skew, now().UTC().Format(amzDateLayout))
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return "", denied("X-Amz-Content-Sha256 does not match the request body")
	}

	// Rebuild the request with only the signed headers and re-sign it.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, scheme+"://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return "", denied("cannot rebuild the request to verify it: %v", err)
	}
	req.Host = r.Host
	req.ContentLength = 0
	for h := range signed {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = int64(len(body))
		default:
			for _, val := range r.Header.Values(h) {
				req.Header.Add(h, val)
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret}
	if err := v.signer.SignHTTP(ctx, creds, req, payloadHash, a.service, a.region, t); err != nil {
		return "", denied("cannot verify the signature: %v", err)
	}
	want, _ := parseAuthorization(req.Header.Get("Authorization"))
	if !hmac.Equal([]byte(want.signature), []byte(a.signature)) {
		return "", denied("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return a.accessKey, nil
}

// Authenticate implements Authenticator: it is Verify with the request's
// context, for Config.Authenticator.
func (v *Verifier) Authenticate(r *http.Request, body []byte) error {
	_, err := v.Verify(r.Context(), r, body)
	return err
}

// Middleware wraps next so that only correctly signed requests reach it;
// the rest are answered with AccessDeniedException (403) and touch nothing.
// It reads the body (at most maxBody bytes; larger is a 400) and hands next
// a request whose Body replays it.
func (v *Verifier) Middleware(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			api.WriteError(w, api.Invalid("body", "cannot read request body: %v", err))
			return
		}
		if int64(len(body)) > maxBody {
			api.WriteError(w, api.Invalid("body", "request body exceeds %d bytes", maxBody))
			return
		}
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			api.WriteError(w, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// LoadCredentials reads a credentials file for several users. Two formats
// are accepted:
//
//   - one user per line, "ACCESS_KEY_ID SECRET_ACCESS_KEY" (or separated by
//     ':' or '='); blank lines and lines starting with '#' are skipped;
//   - the AWS shared-credentials INI format: [profile] sections with
//     aws_access_key_id and aws_secret_access_key.
func LoadCredentials(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load credentials: %w", err)
	}
	defer f.Close()
	users := map[string]string{}
	var id, secret string
	flush := func() {
		if id != "" && secret != "" {
			users[id] = secret
		}
		id, secret = "", ""
	}
	ini := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			ini = true
			flush()
			continue
		}
		if ini {
			k, val, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("load credentials: %s:%d: want key = value", path, n)
			}
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				id = strings.TrimSpace(val)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(val)
			}
			continue
		}
		fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' || r == '=' })
		if len(fields) != 2 {
			return nil, fmt.Errorf("load credentials: %s:%d: want ACCESS_KEY_ID SECRET_ACCESS_KEY", path, n)
		}
		users[fields[0]] = fields[1]
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("load credentials: %w", err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("load credentials: %s holds no credentials", path)
	}
	return users, nil
}

// CredentialsFromEnv returns the single user configured by
// VECTORBUCKET_ACCESS_KEY_ID and VECTORBUCKET_SECRET_ACCESS_KEY, nil when
// neither is set, and an error when only one is.
func CredentialsFromEnv() (map[string]string, error) {
	id, secret := os.Getenv(EnvAccessKeyID), os.Getenv(EnvSecretAccessKey)
	switch {
	case id == "" && secret == "":
		return nil, nil
	case id == "" || secret == "":
		return nil, fmt.Errorf("set both %s and %s, or neither", EnvAccessKeyID, EnvSecretAccessKey)
	}
	return map[string]string{id: secret}, nil
}
