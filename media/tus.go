package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	expslog "golang.org/x/exp/slog"

	"github.com/reelmart/reelmart"
)

// ProtocolError is a tus protocol failure that tusd itself decided (a wrong
// offset, a missing header): Status is the HTTP status the tus protocol
// prescribes and Code a stable snake_case code.
type ProtocolError struct {
	Status  int
	Code    string
	Message string
}

func (e *ProtocolError) Error() string { return "media: tus: " + e.Code + ": " + e.Message }

// tusCall travels in the request context from ServeTus into tusd's hooks,
// which can only answer tusd, and carries their verdict back.
type tusCall struct {
	userID  string
	created string // the id reserved by the create hook
	err     error  // why a hook refused the request
}

type tusCallKey struct{}

// errHookRefused tells tusd to stop; ServeTus answers with tusCall.err instead.
var errHookRefused = tusd.NewError("ERR_REELMART_REFUSED", "refused", http.StatusBadRequest)

func (s *Service) newTusHandler() (http.Handler, error) {
	store := filestore.New(s.cfg.StagingDir)
	composer := tusd.NewStoreComposer()
	// Only core, creation and termination: no concatenation (it would let
	// uploads be assembled past the quota) and no deferred length (quota and
	// size are checked against Upload-Length when the upload is created).
	composer.UseCore(store)
	composer.UseTerminater(store)
	// Staged files live on this node's disk, so a process-wide lock suffices.
	memorylocker.New().UseIn(composer)
	h, err := tusd.NewUnroutedHandler(tusd.Config{
		StoreComposer:             composer,
		BasePath:                  s.cfg.PublicURL + "/api/v1/uploads/", // Location is then the public URL
		MaxSize:                   s.cfg.MaxUploadBytes,
		DisableDownload:           true,
		DisableConcatenation:      true,
		Cors:                      &tusd.CorsConfig{Disable: true},
		Logger:                    expslog.New(expslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   s.tusCreate,
		PreFinishResponseCallback: s.tusFinished,
		PreUploadTerminateCallback: func(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
			return tusd.HTTPResponse{}, s.forgetUpload(ev.Context, ev.Upload.ID)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("media: tus handler: %w", err)
	}
	return h.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			h.PostFile(w, r)
		case http.MethodHead:
			h.HeadFile(w, r)
		case http.MethodPatch:
			h.PatchFile(w, r)
		case http.MethodDelete:
			h.DelFile(w, r)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})), nil
}

func (s *Service) tusCreate(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	call, _ := ev.Context.Value(tusCallKey{}).(*tusCall)
	if call == nil || call.userID == "" {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, errors.New("media: tus upload created outside ServeTus")
	}
	id := reelmart.NewID()
	filename := ev.Upload.MetaData["filename"]
	if len(filename) > 255 {
		filename = strings.ToValidUTF8(filename[:255], "")
	}
	if err := s.reserveUpload(ev.Context, call.userID, id, ev.Upload.Size, filename); err != nil {
		call.err = err
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, errHookRefused
	}
	call.created = id
	// Keep only the filename: other metadata is the client's and unchecked.
	meta := tusd.MetaData{}
	if filename != "" {
		meta["filename"] = filename
	}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{ID: id, MetaData: meta}, nil
}

func (s *Service) tusFinished(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
	return tusd.HTTPResponse{}, s.markUploadFinished(ev.Context, ev.Upload.ID)
}

// ServeTus serves one tus 1.0 request for the signed-in userID at
// /api/v1/uploads/ (POST, OPTIONS) or /api/v1/uploads/{uploadID} (HEAD,
// PATCH, DELETE). When Reelmart or tusd refuses the request it writes
// nothing and returns the reason — a *reelmart.Error (size, quota, an upload
// that is not the caller's) or a *ProtocolError — for the caller to answer
// in its own error format. Successful answers are written to w.
func (s *Service) ServeTus(w http.ResponseWriter, r *http.Request, userID, uploadID string) error {
	ctx := r.Context()
	call := &tusCall{userID: userID}
	if uploadID != "" {
		if err := s.checkUploadOwner(ctx, userID, uploadID); err != nil {
			return err
		}
	}
	r = r.Clone(context.WithValue(ctx, tusCallKey{}, call))
	// tusd would let a POST act as PATCH or DELETE; the router already
	// decided the method, and the ownership check above depends on it.
	r.Header.Del("X-HTTP-Method-Override")
	// tusd's unrouted handler reads the id from the whole path.
	r.URL.Path = "/" + uploadID
	r.URL.RawPath = ""
	cw := &captureErrors{ResponseWriter: w}
	s.tus.ServeHTTP(cw, r)
	// tusd moves the connection's deadlines while it reads a chunk; clear
	// them so that a later request on this keep-alive connection (a long
	// segment download, say) is not cut off by a stale deadline.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	if cw.status == 0 {
		return nil
	}
	if call.err != nil {
		return call.err
	}
	if call.created != "" { // reserved, then tusd failed to create the files: give the quota back
		if _, err := os.Stat(s.stagedPath(call.created) + ".info"); errors.Is(err, os.ErrNotExist) {
			s.releaseUpload(context.WithoutCancel(ctx), call.created)
		}
	}
	return s.protocolError(cw.status, cw.body.String(), r.Method)
}

// protocolError turns tusd's "ERR_CODE: message" text answer into an error.
func (s *Service) protocolError(status int, body, method string) error {
	code, msg, _ := strings.Cut(strings.TrimSpace(body), ": ")
	switch code {
	case "ERR_MAX_SIZE_EXCEEDED", "ERR_UPLOAD_SIZE_EXCEEDED":
		return ErrUploadTooLarge(s.cfg.MaxUploadBytes)
	case "ERR_UPLOAD_NOT_FOUND":
		return ErrUploadNotFound
	case "":
		if method == http.MethodHead { // tusd drops the body of HEAD errors
			if status == http.StatusNotFound {
				return ErrUploadNotFound
			}
			code, msg = "ERR_UPLOAD_FAILED", http.StatusText(status)
		} else {
			code, msg = "ERR_UPLOAD_FAILED", strings.TrimSpace(body)
		}
	}
	if status >= 500 {
		s.log.Error("media: tus request failed", "status", status, "code", code, "message", msg)
		return fmt.Errorf("media: tus: %s: %s", code, msg)
	}
	return &ProtocolError{Status: status, Code: strings.ToLower(strings.TrimPrefix(code, "ERR_")), Message: msg}
}

// captureErrors passes successful answers through and keeps error answers
// (status >= 400) back, so ServeTus can return them instead.
type captureErrors struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureErrors) WriteHeader(code int) {
	if code >= 400 {
		w.status = code
		for _, h := range []string{"Content-Type", "Content-Length"} {
			w.Header().Del(h)
		}
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureErrors) Write(b []byte) (int, error) {
	if w.status != 0 {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets tusd's http.ResponseController reach the connection for its read deadlines.
func (w *captureErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }
