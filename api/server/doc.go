// Package server serves the Amazon S3 Vectors REST API (restJson1) over a
// Backend, so that the official AWS SDKs work against vectorbucket
// unmodified.
//
// Routes: POST /<Operation> with a JSON body for the 18 body-based
// operations; GET, POST and DELETE /tags/{resourceArn} for the tagging
// operations, the ARN percent-encoded in one path segment (routing is on the
// escaped path, so %2F stays inside the segment); GET /health; and
// GET /metrics (Prometheus). An optional PathPrefix moves the API (not
// /health and /metrics) under a path.
//
// Every response carries X-Amzn-RequestId. Errors use the S3 Vectors
// envelope — the status, X-Amzn-ErrorType and a {"__type","message"} body,
// plus "fieldList" for ValidationException — and never expose internal
// causes, which are logged instead. Storage errors are translated by one
// table (errors.go).
//
// With an Authenticator (a SigV4 Verifier), every API request must pass it
// before its body is decoded or anything is read or written; anything else
// is AccessDeniedException (403).
//
// # Behaviour AWS leaves open, as decided here
//
//   - Request bodies over 20 MiB, bodies that are not UTF-8, malformed or
//     truncated JSON, unknown members and members of the wrong type are
//     ValidationException (400), never 413 or 500.
//   - Selectors: exactly one of name and ARN (bucket), or of indexArn and
//     vectorBucketName+indexName (index); both or neither is a
//     ValidationException. An ARN of another region or account than the
//     server's is NotFoundException.
//   - GetVectorBucketPolicy on a bucket without a policy is
//     NotFoundException (as S3's NoSuchBucketPolicy).
//   - Index modes: every index filters exactly before ranking, so buckets
//     and indexes report ENHANCED; setting CLASSIC (UpdateIndexMode,
//     PutVectorBucketDefaultIndexMode, queryMode) is a ValidationException.
//   - QueryVectors pages: QueryPageSize results per page (default 100). The
//     first call ranks the whole topK; the ranking is kept for 10 minutes
//     and served page by page. A nextToken only works with the same query
//     (index, vector, topK, filter, return flags) and expires after 10
//     minutes; a token whose ranking was evicted, or that reaches another
//     server, re-runs the query.
//   - ListVectors with returnData stops a page at about 1 MB of vector data
//     (AWS does the same); clients follow nextToken.
//   - An unknown path is UnknownOperationException (404).
//   - Overload is refused at once, never queued (admission.go): requests
//     beyond MaxInFlight, or whose body does not fit MaxBodyBytesInFlight,
//     are ServiceUnavailableException (503); writes or queries beyond
//     MaxIndexWrites / MaxIndexQueries on one index are
//     TooManyRequestsException (429). Both carry Retry-After and are
//     retried by the SDKs with backoff (our client waits Retry-After).
package server
