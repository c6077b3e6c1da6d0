// Package reelmart holds what every part of the service shares: the error
// type that carries a stable code from a domain rule to the HTTP answer.
//
// Domains return *Error for anything a client did or can act on; the api
// package maps Kind to an HTTP status and Code to the problem+json `code`.
// Any other error is an internal failure and is answered as 500.
package reelmart

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an Error by what the client can do about it.
type Kind int

const (
	// KindInternal is a failure of the service itself.
	KindInternal Kind = iota
	// KindBadRequest is a request that cannot be parsed (malformed JSON, wrong types).
	KindBadRequest
	// KindInvalid is a well-formed request that breaks a rule (a field out of range).
	KindInvalid
	// KindUnauthenticated means credentials are missing, wrong or expired.
	KindUnauthenticated
	// KindForbidden means the caller is known but may not do this.
	KindForbidden
	// KindNotFound means the thing named does not exist (or is hidden from the caller).
	KindNotFound
	// KindConflict means the request clashes with the current state.
	KindConflict
	// KindTooLarge means the request body is over its limit.
	KindTooLarge
	// KindUnsupportedMedia means the request body has the wrong content type.
	KindUnsupportedMedia
	// KindRateLimited means the caller must wait before trying again.
	KindRateLimited
	// KindPaymentRequired means the payment could not be made (insufficient funds).
	KindPaymentRequired
	// KindUnavailable means a backend the request needs is down.
	KindUnavailable
	// KindMethodNotAllowed means the path exists but not with this method.
	KindMethodNotAllowed
)

// FieldError names one invalid field of a request and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure with a stable, machine-readable Code (snake_case, e.g.
// "email_taken") and a Message written for people.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration // when to try again (always set for KindRateLimited); sent as Retry-After
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Message)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error of kind with code and a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid *Error with code "validation_failed" listing
// fields, or nil when fields is empty, so callers can collect and return in one step.
func Invalid(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Code: "validation_failed", Message: "the request has invalid fields", Fields: fields}
}

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// ErrorKind returns the Kind of the *Error in err's chain, or KindInternal.
func ErrorKind(err error) Kind {
	if e := AsError(err); e != nil {
		return e.Kind
	}
	return KindInternal
}
