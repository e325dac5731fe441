package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes (the S3 Vectors exception names).
const (
	CodeValidation                = "ValidationException"
	CodeServiceQuotaExceeded      = "ServiceQuotaExceededException"
	CodeAccessDenied              = "AccessDeniedException"
	CodeNotFound                  = "NotFoundException"
	CodeRequestTimeout            = "RequestTimeoutException"
	CodeConflict                  = "ConflictException"
	CodeTooManyRequests           = "TooManyRequestsException"
	CodeInternalServer            = "InternalServerException"
	CodeServiceUnavailable        = "ServiceUnavailableException"
	CodeKmsDisabled               = "KmsDisabledException"
	CodeKmsInvalidKeyUsage        = "KmsInvalidKeyUsageException"
	CodeKmsInvalidState           = "KmsInvalidStateException"
	CodeKmsNotFound               = "KmsNotFoundException"
	headerErrorType               = "X-Amzn-ErrorType"
	headerRequestID               = "X-Amzn-RequestId"
	defaultInternalServerMessage  = "We encountered an internal error. Please try again."
	defaultServiceUnavailableText = "Currently unable to handle the request"
)

// HeaderErrorType is the response header naming the error code.
const HeaderErrorType = headerErrorType

// HeaderRequestID is the response header carrying the request id.
const HeaderRequestID = headerRequestID

var codeStatus = map[string]int{
	CodeValidation:           http.StatusBadRequest,
	CodeServiceQuotaExceeded: http.StatusPaymentRequired,
	CodeAccessDenied:         http.StatusForbidden,
	CodeNotFound:             http.StatusNotFound,
	CodeRequestTimeout:       http.StatusRequestTimeout,
	CodeConflict:             http.StatusConflict,
	CodeTooManyRequests:      http.StatusTooManyRequests,
	CodeInternalServer:       http.StatusInternalServerError,
	CodeServiceUnavailable:   http.StatusServiceUnavailable,
	CodeKmsDisabled:          http.StatusBadRequest,
	CodeKmsInvalidKeyUsage:   http.StatusBadRequest,
	CodeKmsInvalidState:      http.StatusBadRequest,
	CodeKmsNotFound:          http.StatusBadRequest,
}

// StatusFor returns the HTTP status of an error code; unknown codes are 500.
func StatusFor(code string) int {
	if s, ok := codeStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an S3 Vectors error: the exception name, its HTTP status, a
// message and, for ValidationException, the failed fields.
type Error struct {
	Code      string
	Status    int
	Message   string
	FieldList []ValidationField
	// RequestID is the X-Amzn-RequestId of the response that carried the
	// error (client side only).
	RequestID string
	// RetryAfter, when positive, is sent (server) or was received (client)
	// as the Retry-After header, in whole seconds: how long to wait before
	// retrying a refused request.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Is reports whether target is an *Error with the same code and no message,
// so that errors.Is(err, api.ErrNotFound) tests the kind of an error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Retryable reports whether a client should retry the request, following
// the AWS SDK's standard retryer: 429/503 and every 5xx, plus the
// RequestTimeout and TooManyRequests codes.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeTooManyRequests, CodeRequestTimeout, CodeServiceUnavailable, CodeInternalServer:
		return true
	}
	return e.Status >= 500
}

// Sentinels for errors.Is; they carry no message.
var (
	ErrValidation           = &Error{Code: CodeValidation, Status: 400}
	ErrServiceQuotaExceeded = &Error{Code: CodeServiceQuotaExceeded, Status: 402}
	ErrAccessDenied         = &Error{Code: CodeAccessDenied, Status: 403}
	ErrNotFound             = &Error{Code: CodeNotFound, Status: 404}
	ErrRequestTimeout       = &Error{Code: CodeRequestTimeout, Status: 408}
	ErrConflict             = &Error{Code: CodeConflict, Status: 409}
	ErrTooManyRequests      = &Error{Code: CodeTooManyRequests, Status: 429}
	ErrInternalServer       = &Error{Code: CodeInternalServer, Status: 500}
	ErrServiceUnavailable   = &Error{Code: CodeServiceUnavailable, Status: 503}
)

// NewError builds an error of the given code with a formatted message.
func NewError(code, format string, args ...any) *Error {
	return &Error{Code: code, Status: StatusFor(code), Message: fmt.Sprintf(format, args...)}
}

// Validation builds a ValidationException from failed fields; its message
// follows the AWS form "N validation error(s) detected: …".
func Validation(fields ...ValidationField) *Error {
	var b strings.Builder
	if len(fields) == 1 {
		b.WriteString("1 validation error detected: ")
	} else {
		fmt.Fprintf(&b, "%d validation errors detected: ", len(fields))
	}
	for i, f := range fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Path == "body" {
			b.WriteString(f.Message)
		} else {
			fmt.Fprintf(&b, "Value at '%s' failed to satisfy constraint: %s", f.Path, f.Message)
		}
	}
	return &Error{Code: CodeValidation, Status: 400, Message: b.String(), FieldList: fields}
}

// Invalid builds a ValidationException for one field.
func Invalid(path, format string, args ...any) *Error {
	return Validation(ValidationField{Path: path, Message: fmt.Sprintf(format, args...)})
}

// NotFound builds a NotFoundException.
func NotFound(format string, args ...any) *Error {
	return NewError(CodeNotFound, format, args...)
}

// Conflict builds a ConflictException.
func Conflict(format string, args ...any) *Error {
	return NewError(CodeConflict, format, args...)
}

// QuotaExceeded builds a ServiceQuotaExceededException (HTTP 402).
func QuotaExceeded(format string, args ...any) *Error {
	return NewError(CodeServiceQuotaExceeded, format, args...)
}

// AccessDenied builds an AccessDeniedException.
func AccessDenied(format string, args ...any) *Error {
	return NewError(CodeAccessDenied, format, args...)
}

// TooManyRequests builds a TooManyRequestsException.
func TooManyRequests(format string, args ...any) *Error {
	return NewError(CodeTooManyRequests, format, args...)
}

// RequestTimeout builds a RequestTimeoutException.
func RequestTimeout(format string, args ...any) *Error {
	return NewError(CodeRequestTimeout, format, args...)
}

// ServiceUnavailable builds a ServiceUnavailableException with AWS's message.
func ServiceUnavailable() *Error {
	return NewError(CodeServiceUnavailable, defaultServiceUnavailableText)
}

// Internal builds an InternalServerException. The cause is not exposed to the
// client; log it before calling.
func Internal() *Error {
	return NewError(CodeInternalServer, defaultInternalServerMessage)
}

// AsError converts any error into an *Error: an *Error in err's chain is
// returned as is; anything else becomes an InternalServerException.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal()
}

// envelope is the JSON body of an error response.
type envelope struct {
	Type      string            `json:"__type"`
	Message   string            `json:"message"`
	FieldList []ValidationField `json:"fieldList,omitempty"`
}

// WriteError writes err as an S3 Vectors error response: status, the
// X-Amzn-ErrorType header and a {"__type","message","fieldList"} body.
// Errors that are not *Error become InternalServerException. The caller
// sets X-Amzn-RequestId.
func WriteError(w http.ResponseWriter, err error) {
	e := AsError(err)
	status := e.Status
	if status == 0 {
		status = StatusFor(e.Code)
	}
	body, _ := json.Marshal(envelope{Type: e.Code, Message: e.Message, FieldList: e.FieldList})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(headerErrorType, e.Code)
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ParseError reads an error response the way the AWS SDKs do: the code from
// X-Amzn-ErrorType, else the body's "code" or "__type" (anything after ':'
// and up to '#' dropped); the message from "message" or "Message".
func ParseError(status int, header http.Header, body []byte) *Error {
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(body, &raw)
	field := func(names ...string) string {
		for _, n := range names {
			for k, v := range raw {
				if strings.EqualFold(k, n) {
					var s string
					if json.Unmarshal(v, &s) == nil && s != "" {
						return s
					}
				}
			}
		}
		return ""
	}
	code := header.Get(headerErrorType)
	if code == "" {
		code = field("code", "__type")
	}
	code = sanitizeCode(code)
	if code == "" {
		code = fmt.Sprintf("HTTP%d", status)
	}
	e := &Error{Code: code, Status: status, Message: field("message"), RequestID: header.Get(headerRequestID)}
	if secs, err := strconv.Atoi(header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(min(secs, 3600)) * time.Second
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("X-Amz-Request-Id")
	}
	for k, v := range raw {
		if strings.EqualFold(k, "fieldList") {
			_ = json.Unmarshal(v, &e.FieldList)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

func sanitizeCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.IndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}
