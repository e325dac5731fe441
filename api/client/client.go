// Package client is the Go client for vectorbucket and any other Amazon S3
// Vectors–compatible endpoint. It speaks the wire format of the official AWS
// SDKs (POST /<Operation> with a JSON body; the tagging operations on
// /tags/{percent-encoded ARN}), signs requests with SigV4 for service
// "s3vectors" when credentials are given, retries throttling and server
// errors with exponential backoff and full jitter, and offers paginators and
// a concurrent bulk upload.
//
// Every method takes a context first and returns errors that unwrap to
// *api.Error for service errors:
//
//	var e *api.Error
//	if errors.As(err, &e) && e.Code == api.CodeNotFound { … }
//	if errors.Is(err, api.ErrNotFound) { … }
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/vectorbucket/vectorbucket/api"
)

// Defaults for Options.
const (
	DefaultRegion      = "us-east-1"
	DefaultMaxAttempts = 3
	DefaultBaseDelay   = 50 * time.Millisecond
	DefaultMaxDelay    = 20 * time.Second
	// emptyPayloadHash is the SHA-256 of an empty body.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxErrorBody     = 1 << 20
)

// Options configure a Client. Only Endpoint is required.
type Options struct {
	// Endpoint is the base URL, e.g. "http://127.0.0.1:8080"; a path prefix
	// ("http://host/s3v") is kept in front of every operation path.
	Endpoint string
	// Region goes into the SigV4 credential scope (default us-east-1).
	Region string
	// AccessKeyID and SecretAccessKey enable SigV4 signing; without them
	// requests are sent unsigned. SessionToken is optional.
	AccessKeyID, SecretAccessKey, SessionToken string
	// HTTPClient sends the requests (default: a client with no timeout of
	// its own, keeping up to 64 idle connections per host; use contexts for
	// deadlines).
	HTTPClient *http.Client
	// MaxAttempts bounds tries per call, first included (default 3; 1
	// disables retries).
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff: before retry n (1-based)
	// the client sleeps a uniformly random time in [0, min(MaxDelay,
	// BaseDelay·2^n)).
	BaseDelay, MaxDelay time.Duration
	// UserAgent is sent as User-Agent (default "vectorbucket-go-client").
	UserAgent string
}

// Client calls an S3 Vectors endpoint. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	opts   Options
	http   *http.Client
	signer *v4.Signer
	creds  *aws.Credentials
}

// New returns a Client for the endpoint in opts.
func New(opts Options) (*Client, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("client: Options.Endpoint is required")
	}
	base, err := url.Parse(strings.TrimSuffix(opts.Endpoint, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("client: endpoint %q is not an http(s) URL", opts.Endpoint)
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "vectorbucket-go-client"
	}
	c := &Client{base: base, opts: opts, http: opts.HTTPClient}
	if c.http == nil {
		// http.DefaultTransport keeps only 2 idle connections per host,
		// which makes concurrent bulk uploads reconnect constantly.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.http = &http.Client{Transport: t}
	}
	if (opts.AccessKeyID == "") != (opts.SecretAccessKey == "") {
		return nil, errors.New("client: set both AccessKeyID and SecretAccessKey, or neither")
	}
	if opts.AccessKeyID != "" {
		c.signer = v4.NewSigner()
		c.creds = &aws.Credentials{AccessKeyID: opts.AccessKeyID, SecretAccessKey: opts.SecretAccessKey, SessionToken: opts.SessionToken}
	}
	return c, nil
}

// call is one operation invocation.
type call struct {
	op     string // for error context
	method string
	path   string // escaped, relative to the endpoint
	query  url.Values
	body   []byte   // nil: no body
	pooled *bodyRef // set when body lives in a pooled buffer
}

// jsonCall builds a POST /<op> call with in encoded as JSON. PutVectors
// bodies (megabytes of floats) are written straight into a pooled buffer
// sized for the batch; release returns it once no attempt reads it.
func jsonCall(op string, in any) (call, error) {
	var body []byte
	var err error
	var ref *bodyRef
	switch r := in.(type) {
	case *api.PutVectorsRequest:
		ref = newBodyRef(putSizeHint(r))
		body, err = api.AppendPutVectorsJSON(ref.buf[:0], r)
		ref.buf = body
	case *api.QueryVectorsRequest:
		ref = newBodyRef(256 + 12*len(r.QueryVector.Float32) + len(r.Filter))
		body, err = api.AppendQueryVectorsJSON(ref.buf[:0], r)
		ref.buf = body
	default:
		body, err = json.Marshal(in)
	}
	if err != nil {
		if ref != nil {
			ref.release()
		}
		return call{}, fmt.Errorf("%s: encode request: %w", op, err)
	}
	return call{op: op, method: http.MethodPost, path: "/" + op, body: body, pooled: ref}, nil
}

// putSizeHint estimates the encoded size of a PutVectors body: shortest
// float32 decimals take up to 15 bytes, typically 9–12.
func putSizeHint(r *api.PutVectorsRequest) int {
	n := 128
	for i := range r.Vectors {
		n += 48 + len(r.Vectors[i].Key) + 12*len(r.Vectors[i].Data.Float32)
	}
	return n
}

// invoke runs a POST /<op> call and decodes the response into out.
func (c *Client) invoke(ctx context.Context, op string, in, out any) error {
	cl, err := jsonCall(op, in)
	if err != nil {
		return err
	}
	if cl.pooled != nil {
		defer cl.pooled.release()
	}
	return c.do(ctx, cl, out)
}

// do sends cl, retrying retryable failures, and decodes a 200 body into out.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	var lastErr error
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, cl)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := api.DecodeResponse(body, out); err != nil {
				return fmt.Errorf("%s: decode response: %w", cl.op, err)
			}
			return nil
		}
		lastErr = err
		if ctx.Err() != nil || attempt >= c.opts.MaxAttempts || !retryable(err) {
			break
		}
		if err := sleep(ctx, c.wait(attempt, err)); err != nil {
			break
		}
	}
	if ctx.Err() != nil && !isAPIError(lastErr) {
		return fmt.Errorf("%s: %w", cl.op, ctx.Err())
	}
	return fmt.Errorf("%s: %w", cl.op, lastErr)
}

func isAPIError(err error) bool {
	var e *api.Error
	return errors.As(err, &e)
}

// retryable follows the AWS SDK standard retryer: 5xx, throttling and
// request-timeout codes, and transport errors (connection refused or reset).
func retryable(err error) bool {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// wait is the pause before retry attempt: the backoff, or the server's
// Retry-After when that is longer (capped by MaxDelay).
func (c *Client) wait(attempt int, err error) time.Duration {
	d := c.backoff(attempt)
	var e *api.Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = min(e.RetryAfter, c.opts.MaxDelay)
	}
	return d
}

func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.opts.MaxDelay
	if attempt < 30 {
		if d := c.opts.BaseDelay << attempt; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once sends one attempt and returns the body of a 200 response, an
// *api.Error for an error response, or a transport error.
func (c *Client) once(ctx context.Context, cl call) ([]byte, error) {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + cl.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, err
	}
	u.Path = p
	u.RawQuery = cl.query.Encode()
	var rd io.Reader
	switch {
	case cl.pooled != nil:
		// The transport may read and close the body after Do returns:
		// the buffer goes back to the pool only after that Close.
		rd = cl.pooled.reader()
	case cl.body != nil:
		rd = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), rd)
	if err != nil {
		if rc, ok := rd.(io.Closer); ok {
			_ = rc.Close()
		}
		return nil, err
	}
	if cl.pooled != nil {
		req.ContentLength = int64(len(cl.body))
		body := cl.body
		req.GetBody = func() (io.ReadCloser, error) {
			// Replays (redirects) copy: the pooled buffer may be reused.
			return io.NopCloser(bytes.NewReader(bytes.Clone(body))), nil
		}
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if c.signer != nil {
		hash := emptyPayloadHash
		if len(cl.body) > 0 {
			sum := sha256.Sum256(cl.body)
			hash = hex.EncodeToString(sum[:])
		}
		if err := c.signer.SignHTTP(ctx, *c.creds, req, hash, api.ServiceName, c.opts.Region, time.Now().UTC()); err != nil {
			return nil, fmt.Errorf("sign request: %w", err)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return io.ReadAll(resp.Body)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, api.ParseError(resp.StatusCode, resp.Header, body)
}
