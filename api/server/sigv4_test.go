package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/vectorbucket/vectorbucket/api"
)

var testUsers = map[string]string{"AKIDALICE": "alice-secret", "AKIDBOB": "bob-secret"}

const testIndexArn = "arn:aws:s3vectors:us-east-1:123456789012:bucket/media/index/movies"

// sigServer runs Middleware in front of a handler that records who called.
func sigServer(t *testing.T, v *Verifier) (*httptest.Server, *[]string) {
	var seen []string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+string(body))
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/tags/") && r.Method == http.MethodGet {
			_, _ = io.WriteString(w, `{"tags":{}}`)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	srv := httptest.NewServer(v.Middleware(api.MaxRequestBytes, inner))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func sdkClient(endpoint, id, secret string) *s3vectors.Client {
	return s3vectors.New(s3vectors.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		})),
		RetryMaxAttempts: 1,
	})
}

// TestOfficialSDKSignatures drives the official Go SDK (v1.15.0) through the
// verifier: POST operations and all three /tags routes (whose canonical URI
// the SDK double-encodes) for two users, and rejections for bad secrets.
func TestOfficialSDKSignatures(t *testing.T) {
	v, err := NewVerifier(testUsers)
	if err != nil {
		t.Fatal(err)
	}
	srv, seen := sigServer(t, v)
	ctx := context.Background()
	for id, secret := range testUsers {
		for _, endpoint := range []string{srv.URL, srv.URL + "/prefix"} {
			c := sdkClient(endpoint, id, secret)
			if _, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: aws.String(testIndexArn), Vectors: []types.PutInputVector{
				{Key: aws.String("a"), Data: &types.VectorDataMemberFloat32{Value: []float32{1, 2}}}}}); err != nil {
				t.Errorf("%s %s PutVectors: %v", id, endpoint, err)
			}
			if _, err := c.ListVectorBuckets(ctx, &s3vectors.ListVectorBucketsInput{}); err != nil {
				t.Errorf("%s ListVectorBuckets: %v", id, err)
			}
			if _, err := c.TagResource(ctx, &s3vectors.TagResourceInput{ResourceArn: aws.String(testIndexArn), Tags: map[string]string{"k": "v w"}}); err != nil {
				t.Errorf("%s TagResource: %v", id, err)
			}
			if _, err := c.ListTagsForResource(ctx, &s3vectors.ListTagsForResourceInput{ResourceArn: aws.String(testIndexArn)}); err != nil {
				t.Errorf("%s ListTagsForResource: %v", id, err)
			}
			if _, err := c.UntagResource(ctx, &s3vectors.UntagResourceInput{ResourceArn: aws.String(testIndexArn), TagKeys: []string{"k", "a b"}}); err != nil {
				t.Errorf("%s UntagResource: %v", id, err)
			}
		}
	}
	if len(*seen) != 20 {
		t.Errorf("handler saw %d requests, want 20", len(*seen))
	}
	before := len(*seen)
	for _, c := range []*s3vectors.Client{
		sdkClient(srv.URL, "AKIDALICE", "bob-secret"),
		sdkClient(srv.URL, "AKIDMALLORY", "x"),
	} {
		_, err := c.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{IndexArn: aws.String(testIndexArn)})
		var ad *types.AccessDeniedException
		if !errors.As(err, &ad) {
			t.Errorf("bad credentials: got %T %v, want AccessDeniedException", err, err)
		}
	}
	anon := s3vectors.New(s3vectors.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	_, err = anon.GetIndex(ctx, &s3vectors.GetIndexInput{IndexArn: aws.String(testIndexArn)})
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) || !strings.Contains(ad.ErrorMessage(), "missing Authorization") {
		t.Errorf("unsigned: %v", err)
	}
	if len(*seen) != before {
		t.Errorf("rejected requests reached the handler")
	}
}

// signed builds a request signed by the SDK's signer at time at.
func signed(t *testing.T, base, method, path, body, id, secret, region, service string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVerifyCases(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	v, _ := NewVerifier(testUsers)
	v.Now = func() time.Time { return now }
	var gotErr error
	var gotUser string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gotUser, gotErr = v.Verify(r.Context(), r, body)
	}))
	defer srv.Close()
	const body = `{"indexArn":"` + testIndexArn + `","topK":3}`
	tagsPath := api.TagsPath(testIndexArn)
	tests := []struct {
		name   string
		build  func() *http.Request
		region string // Verifier.Region
		want   string // "" = accepted; else a substring of the message
	}{
		{"good POST", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
		}, "", ""},
		{"good tags DELETE with query", func() *http.Request {
			return signed(t, srv.URL, "DELETE", tagsPath+"?tagKeys=a&tagKeys=b%20c", "", "AKIDBOB", "bob-secret", "eu-west-1", "s3vectors", now)
		}, "", ""},
		{"14 minutes skew", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now.Add(-14*time.Minute))
		}, "", ""},
		{"16 minutes old", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now.Add(-16*time.Minute))
		}, "", "expired"},
		{"16 minutes ahead", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now.Add(16*time.Minute))
		}, "", "not yet valid"},
		{"wrong secret", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "bob-secret", "us-east-1", "s3vectors", now)
		}, "", "does not match"},
		{"unknown key", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDEVE", "alice-secret", "us-east-1", "s3vectors", now)
		}, "", "not known"},
		{"wrong service", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3", now)
		}, "", "service"},
		{"region pinned", func() *http.Request {
			return signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "eu-west-1", "s3vectors", now)
		}, "us-east-1", "region"},
		{"tampered body", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			tampered := strings.Replace(body, `"topK":3`, `"topK":9`, 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(tampered)), int64(len(tampered))
			return r
		}, "", "does not match"},
		{"tampered path", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.URL.Path = "/DeleteIndex"
			return r
		}, "", "does not match"},
		{"tampered tags ARN", func() *http.Request {
			r := signed(t, srv.URL, "GET", tagsPath, "", "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			other := api.TagsPath(strings.Replace(testIndexArn, "movies", "series", 1))
			r.URL.Path, r.URL.RawPath = "", ""
			r.URL.Opaque = "//" + r.URL.Host + other
			return r
		}, "", "does not match"},
		{"tampered query", func() *http.Request {
			r := signed(t, srv.URL, "DELETE", tagsPath+"?tagKeys=a", "", "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.URL.RawQuery = "tagKeys=b"
			return r
		}, "", "does not match"},
		{"tampered signed header", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("Amz-Sdk-Request", "attempt=2; max=3")
			return r
		}, "", "does not match"},
		{"unsigned extra header is fine", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
			return r
		}, "", ""},
		{"missing Authorization", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Del("Authorization")
			return r
		}, "", "missing Authorization"},
		{"presigned", func() *http.Request {
			r, _ := http.NewRequest("GET", srv.URL+tagsPath+"?X-Amz-Signature=abc", nil)
			return r
		}, "", "presigned"},
		{"other algorithm", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("Authorization", "AWS AKIDALICE:abc")
			return r
		}, "", "AWS4-HMAC-SHA256"},
		{"malformed scope", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "/aws5_request", 1))
			return r
		}, "", "scope"},
		{"date header mismatch", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("X-Amz-Date", now.Add(24*time.Hour).Format(amzDateLayout))
			return r
		}, "", "does not match X-Amz-Date"},
		{"content hash mismatch", func() *http.Request {
			r := signed(t, srv.URL, "POST", "/QueryVectors", body, "AKIDALICE", "alice-secret", "us-east-1", "s3vectors", now)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r
		}, "", "X-Amz-Content-Sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.Region = tt.region
			gotErr, gotUser = nil, ""
			resp, err := http.DefaultClient.Do(tt.build())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.want == "" {
				if gotErr != nil || gotUser == "" {
					t.Errorf("rejected: %v", gotErr)
				}
				return
			}
			var e *api.Error
			if !errors.As(gotErr, &e) || e.Code != api.CodeAccessDenied || e.Status != 403 {
				t.Fatalf("got %v, want AccessDeniedException", gotErr)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestMiddlewareBodyLimit(t *testing.T) {
	v, _ := NewVerifier(testUsers)
	h := v.Middleware(10, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler reached") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/PutVectors", bytes.NewReader(make([]byte, 11))))
	if rec.Code != 400 || rec.Header().Get(api.HeaderErrorType) != api.CodeValidation {
		t.Errorf("status %d %s", rec.Code, rec.Header().Get(api.HeaderErrorType))
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	_ = os.WriteFile(plain, []byte("# users\nAKIDA secretA\n\nAKIDB:secretB\nAKIDC=secretC\n"), 0o600)
	got, err := LoadCredentials(plain)
	if err != nil || len(got) != 3 || got["AKIDA"] != "secretA" || got["AKIDB"] != "secretB" || got["AKIDC"] != "secretC" {
		t.Errorf("plain: %v %v", got, err)
	}
	ini := filepath.Join(dir, "ini")
	_ = os.WriteFile(ini, []byte("[default]\naws_access_key_id = AKIDD\naws_secret_access_key = sec/D+x=\n[other]\naws_access_key_id=AKIDE\naws_secret_access_key=secretE\n"), 0o600)
	got, err = LoadCredentials(ini)
	if err != nil || len(got) != 2 || got["AKIDD"] != "sec/D+x=" || got["AKIDE"] != "secretE" {
		t.Errorf("ini: %v %v", got, err)
	}
	bad := filepath.Join(dir, "bad")
	_ = os.WriteFile(bad, []byte("onlyone\n"), 0o600)
	if _, err := LoadCredentials(bad); err == nil {
		t.Error("malformed file accepted")
	}
	if _, err := LoadCredentials(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	t.Setenv(EnvAccessKeyID, "AKIDENV")
	t.Setenv(EnvSecretAccessKey, "")
	if _, err := CredentialsFromEnv(); err == nil {
		t.Error("half-set environment accepted")
	}
	t.Setenv(EnvSecretAccessKey, "s")
	if got, err := CredentialsFromEnv(); err != nil || got["AKIDENV"] != "s" {
		t.Errorf("env: %v %v", got, err)
	}
	if _, err := NewVerifier(nil); err == nil {
		t.Error("NewVerifier(nil) succeeded")
	}
}
