package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/vectorbucket/vectorbucket/api"
)

// CreateVectorBucket creates a vector bucket and returns its ARN.
func (c *Client) CreateVectorBucket(ctx context.Context, in *api.CreateVectorBucketRequest) (*api.CreateVectorBucketResponse, error) {
	out := &api.CreateVectorBucketResponse{}
	if err := c.invoke(ctx, api.OpCreateVectorBucket, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetVectorBucket describes a vector bucket.
func (c *Client) GetVectorBucket(ctx context.Context, in *api.GetVectorBucketRequest) (*api.GetVectorBucketResponse, error) {
	out := &api.GetVectorBucketResponse{}
	if err := c.invoke(ctx, api.OpGetVectorBucket, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListVectorBuckets returns one page of vector buckets; see NewListVectorBucketsPaginator.
func (c *Client) ListVectorBuckets(ctx context.Context, in *api.ListVectorBucketsRequest) (*api.ListVectorBucketsResponse, error) {
	out := &api.ListVectorBucketsResponse{}
	if err := c.invoke(ctx, api.OpListVectorBuckets, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteVectorBucket deletes an empty vector bucket.
func (c *Client) DeleteVectorBucket(ctx context.Context, in *api.DeleteVectorBucketRequest) error {
	return c.invoke(ctx, api.OpDeleteVectorBucket, in, nil)
}

// PutVectorBucketPolicy sets a bucket's resource policy.
func (c *Client) PutVectorBucketPolicy(ctx context.Context, in *api.PutVectorBucketPolicyRequest) error {
	return c.invoke(ctx, api.OpPutVectorBucketPolicy, in, nil)
}

// GetVectorBucketPolicy returns a bucket's resource policy.
func (c *Client) GetVectorBucketPolicy(ctx context.Context, in *api.GetVectorBucketPolicyRequest) (*api.GetVectorBucketPolicyResponse, error) {
	out := &api.GetVectorBucketPolicyResponse{}
	if err := c.invoke(ctx, api.OpGetVectorBucketPolicy, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteVectorBucketPolicy removes a bucket's resource policy.
func (c *Client) DeleteVectorBucketPolicy(ctx context.Context, in *api.DeleteVectorBucketPolicyRequest) error {
	return c.invoke(ctx, api.OpDeleteVectorBucketPolicy, in, nil)
}

// PutVectorBucketDefaultIndexMode sets the index mode new indexes in a bucket inherit.
func (c *Client) PutVectorBucketDefaultIndexMode(ctx context.Context, in *api.PutVectorBucketDefaultIndexModeRequest) error {
	return c.invoke(ctx, api.OpPutVectorBucketDefaultIndexMode, in, nil)
}

// CreateIndex creates a vector index and returns its ARN.
func (c *Client) CreateIndex(ctx context.Context, in *api.CreateIndexRequest) (*api.CreateIndexResponse, error) {
	out := &api.CreateIndexResponse{}
	if err := c.invoke(ctx, api.OpCreateIndex, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetIndex describes a vector index.
func (c *Client) GetIndex(ctx context.Context, in *api.GetIndexRequest) (*api.GetIndexResponse, error) {
	out := &api.GetIndexResponse{}
	if err := c.invoke(ctx, api.OpGetIndex, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListIndexes returns one page of a bucket's indexes; see NewListIndexesPaginator.
func (c *Client) ListIndexes(ctx context.Context, in *api.ListIndexesRequest) (*api.ListIndexesResponse, error) {
	out := &api.ListIndexesResponse{}
	if err := c.invoke(ctx, api.OpListIndexes, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteIndex deletes an index and all its vectors.
func (c *Client) DeleteIndex(ctx context.Context, in *api.DeleteIndexRequest) error {
	return c.invoke(ctx, api.OpDeleteIndex, in, nil)
}

// UpdateIndexMode switches an index between CLASSIC and ENHANCED filtering.
func (c *Client) UpdateIndexMode(ctx context.Context, in *api.UpdateIndexModeRequest) error {
	return c.invoke(ctx, api.OpUpdateIndexMode, in, nil)
}

// PutVectors inserts or replaces up to 500 vectors; see PutVectorsBulk for more.
func (c *Client) PutVectors(ctx context.Context, in *api.PutVectorsRequest) error {
	return c.invoke(ctx, api.OpPutVectors, in, nil)
}

// GetVectors fetches up to 100 vectors by key.
func (c *Client) GetVectors(ctx context.Context, in *api.GetVectorsRequest) (*api.GetVectorsResponse, error) {
	out := &api.GetVectorsResponse{}
	if err := c.invoke(ctx, api.OpGetVectors, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListVectors returns one page of an index's vectors; see NewListVectorsPaginator.
func (c *Client) ListVectors(ctx context.Context, in *api.ListVectorsRequest) (*api.ListVectorsResponse, error) {
	out := &api.ListVectorsResponse{}
	if err := c.invoke(ctx, api.OpListVectors, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteVectors deletes up to 500 vectors by key.
func (c *Client) DeleteVectors(ctx context.Context, in *api.DeleteVectorsRequest) error {
	return c.invoke(ctx, api.OpDeleteVectors, in, nil)
}

// QueryVectors returns one page of the nearest neighbours of a query vector; see NewQueryVectorsPaginator and QueryAll.
func (c *Client) QueryVectors(ctx context.Context, in *api.QueryVectorsRequest) (*api.QueryVectorsResponse, error) {
	out := &api.QueryVectorsResponse{}
	if err := c.invoke(ctx, api.OpQueryVectors, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// TagResource adds or overwrites tags on a bucket or index ARN.
func (c *Client) TagResource(ctx context.Context, resourceArn string, tags map[string]string) error {
	cl, err := jsonCall(api.OpTagResource, &api.TagResourceRequest{Tags: tags})
	if err != nil {
		return err
	}
	cl.path = api.TagsPath(resourceArn)
	return c.do(ctx, cl, nil)
}

// UntagResource removes tags from a bucket or index ARN.
func (c *Client) UntagResource(ctx context.Context, resourceArn string, tagKeys []string) error {
	return c.do(ctx, call{op: api.OpUntagResource, method: http.MethodDelete, path: api.TagsPath(resourceArn),
		query: url.Values{"tagKeys": tagKeys}}, nil)
}

// ListTagsForResource returns the tags of a bucket or index ARN.
func (c *Client) ListTagsForResource(ctx context.Context, resourceArn string) (map[string]string, error) {
	var out api.ListTagsForResourceResponse
	if err := c.do(ctx, call{op: api.OpListTagsForResource, method: http.MethodGet, path: api.TagsPath(resourceArn)}, &out); err != nil {
		return nil, err
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return out.Tags, nil
}
