// Package errcode lists every extensions.code the server answers with, in
// one place.
package errcode

// Input and request shape.
const (
	BadUserInput        = "BAD_USER_INPUT"        // an argument is invalid; extensions.argument names it
	BadRequest          = "BAD_REQUEST"           // malformed JSON, a batch of operations
	RequestTooLarge     = "REQUEST_TOO_LARGE"     // the body is over --max-body
	TooDeep             = "QUERY_TOO_DEEP"        // the selection is deeper than --max-depth
	QueryTooComplex     = "QUERY_TOO_COMPLEX"     // over the cost, size or distinct-query limits
	DeferNeedsMultipart = "DEFER_NEEDS_MULTIPART" // @defer without Accept: multipart/mixed
	PersistedNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
	PersistedNotFound   = "PERSISTED_QUERY_NOT_FOUND"
	AmbiguousName       = "AMBIGUOUS_NAME" // a bare name or id names several entities; extensions.candidates lists them
	NotFound            = "NOT_FOUND"      // an alert id not found in the window searched
	MalformedSourceData = "MALFORMED_SOURCE_DATA"
	MisdirectedRequest  = "MISDIRECTED_REQUEST" // a Host header the server does not serve
	Unauthenticated     = "UNAUTHENTICATED"
	Forbidden           = "FORBIDDEN"
	RateLimited         = "RATE_LIMITED" // extensions.retryAfter in seconds
	ServerBusy          = "SERVER_BUSY"  // admission control: Retry-After
	ShuttingDown        = "SHUTTING_DOWN"
	TableUnavailable    = "TABLE_UNAVAILABLE" // extensions.table
	SourceUnavailable   = "SOURCE_UNAVAILABLE"
	Timeout             = "TIMEOUT"
	PartialResult       = "PARTIAL_RESULT"
	Internal            = "INTERNAL" // a recovered panic or an unexpected error; extensions.requestId
)
