package api

// Snapshot operations: vectorbucket extensions that S3 Vectors does not
// have (see docs/extensions.md, "Snapshots and time travel"). They are
// served at POST /<name> with the same JSON envelope and error types as
// the S3 Vectors operations, but are not in BodyOperations, which lists the
// S3 Vectors operations only.
const (
	OpCreateSnapshot  = "CreateSnapshot"
	OpListSnapshots   = "ListSnapshots"
	OpDeleteSnapshot  = "DeleteSnapshot"
	OpRestoreSnapshot = "RestoreSnapshot"
)

// SnapshotOperations lists the snapshot operations served at POST /<name>.
var SnapshotOperations = []string{OpCreateSnapshot, OpListSnapshots, OpDeleteSnapshot, OpRestoreSnapshot}

// MaxListSnapshots is the largest ListSnapshots page.
const MaxListSnapshots = 500

// Snapshot describes one snapshot of an index.
type Snapshot struct {
	// Name is 1–63 characters of a-z, 0-9, '.', '_' and '-'.
	Name string `json:"name"`
	// CreatedAt is when the snapshot was taken.
	CreatedAt Timestamp `json:"createdAt"`
	// Generation is the manifest generation the snapshot names.
	Generation uint64 `json:"generation"`
	// VectorCount is the number of vectors in that generation.
	VectorCount int64 `json:"vectorCount"`
}

// CreateSnapshotRequest is the input of CreateSnapshot.
type CreateSnapshotRequest struct {
	IndexRef
	SnapshotName string `json:"snapshotName"`
}

// CreateSnapshotResponse is the output of CreateSnapshot.
type CreateSnapshotResponse struct {
	Snapshot Snapshot `json:"snapshot"`
}

// ListSnapshotsRequest is the input of ListSnapshots.
type ListSnapshotsRequest struct {
	IndexRef
	MaxResults *int   `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
}

// ListSnapshotsResponse is the output of ListSnapshots; NextToken is empty
// on the last page.
type ListSnapshotsResponse struct {
	Snapshots []Snapshot `json:"snapshots"`
	NextToken string     `json:"nextToken,omitempty"`
}

// DeleteSnapshotRequest is the input of DeleteSnapshot.
type DeleteSnapshotRequest struct {
	IndexRef
	SnapshotName string `json:"snapshotName"`
}

// RestoreSnapshotRequest is the input of RestoreSnapshot.
type RestoreSnapshotRequest struct {
	IndexRef
	SnapshotName string `json:"snapshotName"`
}

// RestoreSnapshotResponse is the output of RestoreSnapshot: the new
// generation whose contents are the snapshot's.
type RestoreSnapshotResponse struct {
	Generation uint64 `json:"generation"`
}

// MaxSnapshotNameLen is the longest snapshot name.
const MaxSnapshotNameLen = 63

// CheckSnapshotName returns "" when name is a valid snapshot name (1–63
// characters of a-z, 0-9, '.', '_' and '-', not "." or ".."), else what is
// wrong with it.
func CheckSnapshotName(name string) string {
	if len(name) < 1 || len(name) > MaxSnapshotNameLen {
		return "must be between 1 and 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return "may contain only lowercase letters, digits, '.', '_' and '-'"
		}
	}
	if name == "." || name == ".." {
		return "must not be \".\" or \"..\""
	}
	return ""
}

func snapshotRequest(r IndexRef, name string) *Error {
	var f fields
	r.check(&f)
	f.name("snapshotName", name, CheckSnapshotName)
	return f.err()
}

// Validate implements Validator.
func (r *CreateSnapshotRequest) Validate() *Error { return snapshotRequest(r.IndexRef, r.SnapshotName) }

// Validate implements Validator.
func (r *DeleteSnapshotRequest) Validate() *Error { return snapshotRequest(r.IndexRef, r.SnapshotName) }

// Validate implements Validator.
func (r *RestoreSnapshotRequest) Validate() *Error {
	return snapshotRequest(r.IndexRef, r.SnapshotName)
}

// Validate implements Validator.
func (r *ListSnapshotsRequest) Validate() *Error {
	var f fields
	r.check(&f)
	f.maxResults(r.MaxResults, MaxListSnapshots)
	f.token(r.NextToken, MaxListTokenLen)
	return f.err()
}
