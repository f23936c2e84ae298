package mastodon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers"
)

// maxUnsizedUpload bounds an upload whose size the caller did not give
// (it is read into memory to learn it).
const maxUnsizedUpload = 512 << 20

// UploadMedia uploads one file (POST /api/v2/media, multipart: file,
// description, focus) and returns its ID once the server can attach it.
//
// Mastodon answers 200 for images and 202 while it still processes video,
// GIFs and audio (url null); GoToSocial answers 200 with a URL at once.
// While processing, GET /api/v1/media/:id answers 206; it is asked again with
// growing waits until it answers 200 with a URL, bounded by ctx and by a
// total of two minutes (then a Transient error). The alt text is cut to the
// server's description limit, in characters.
func (p *Provider) UploadMedia(ctx context.Context, u providers.Upload) (string, error) {
	const op = "upload"
	if u.Body == nil {
		return "", &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: network, Op: op, Message: "no file"}
	}
	altLimit := DefaultDescriptionLimit
	if l, err := p.Limits(ctx); err == nil {
		altLimit = l.MaxAltLength
	} else if ctx.Err() != nil {
		return "", fmt.Errorf("mastodon: upload: %w", ctx.Err())
	}
	body, size, contentType, err := multipartBody(u, cutRunes(u.Alt, altLimit))
	if err != nil {
		return "", fmt.Errorf("mastodon: upload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.server.JoinPath("/api/v2/media").String(), body)
	if err != nil {
		return "", wrapOp(op, p.scrub(err))
	}
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+p.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", contentType)
	var a attachment
	code, err := p.send(ctx, op, req, &a)
	if err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", &providers.Error{Kind: providers.Transient, Network: network, Op: op, Status: code, Message: "answer without a media ID"}
	}
	if code != http.StatusAccepted && a.URL != nil && *a.URL != "" {
		return a.ID, nil
	}
	return a.ID, p.awaitMedia(ctx, a.ID)
}

// awaitMedia asks for media id until it is processed.
func (p *Provider) awaitMedia(ctx context.Context, id string) error {
	const op = "upload"
	deadline := p.now().Add(p.mediaTimeout)
	wait := p.mediaPollMin
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("mastodon: %s: %w", op, ctx.Err())
		case <-t.C:
		}
		var a attachment
		code, err := p.do(ctx, op, http.MethodGet, "/api/v1/media/"+url.PathEscape(id), nil, nil, "", &a)
		if err != nil {
			return err
		}
		if code == http.StatusOK && a.URL != nil && *a.URL != "" {
			return nil
		}
		if !p.now().Add(wait).Before(deadline) {
			return &providers.Error{Kind: providers.Transient, Network: network, Op: op, Status: code,
				Message: fmt.Sprintf("media %s still processing after %s", id, p.mediaTimeout)}
		}
		wait = min(wait*3/2, 5*time.Second)
	}
}

// multipartBody builds the upload's multipart form without holding the file
// in memory when its size is known: the form's head and tail are built
// around it, so the request has a Content-Length (some proxies refuse
// chunked uploads).
func multipartBody(u providers.Upload, alt string) (io.Reader, int64, string, error) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if alt != "" {
		if err := mw.WriteField("description", alt); err != nil {
			return nil, 0, "", err
		}
	}
	if u.FocusX != 0 || u.FocusY != 0 {
		if err := mw.WriteField("focus", focusString(u.FocusX, u.FocusY)); err != nil {
			return nil, 0, "", err
		}
	}
	ct := u.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": uploadName(u)}))
	h.Set("Content-Type", ct)
	if _, err := mw.CreatePart(h); err != nil {
		return nil, 0, "", err
	}
	headBytes := bytes.Clone(head.Bytes())
	head.Reset()
	if err := mw.Close(); err != nil { // writes only the closing boundary
		return nil, 0, "", err
	}
	tail := bytes.Clone(head.Bytes())

	file, size := u.Body, u.Size
	if size <= 0 {
		b, err := io.ReadAll(io.LimitReader(u.Body, maxUnsizedUpload+1))
		if err != nil {
			return nil, 0, "", err
		}
		if len(b) > maxUnsizedUpload {
			return nil, 0, "", errors.New("file too large")
		}
		file, size = bytes.NewReader(b), int64(len(b))
	} else {
		file = io.LimitReader(u.Body, size)
	}
	total := int64(len(headBytes)) + size + int64(len(tail))
	return io.MultiReader(bytes.NewReader(headBytes), file, bytes.NewReader(tail)), total, mw.FormDataContentType(), nil
}

// uploadName is the file name sent with an upload: the caller's, else one
// whose extension matches the content type.
func uploadName(u providers.Upload) string {
	if n := strings.TrimSpace(u.Filename); n != "" {
		return strings.Map(func(r rune) rune {
			if r < 0x20 || r == '"' || r == '/' || r == '\\' {
				return '_'
			}
			return r
		}, n)
	}
	ct, _, _ := mime.ParseMediaType(u.ContentType)
	if ext, ok := commonExt[ct]; ok {
		return "upload" + ext
	}
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		return "upload" + exts[0]
	}
	return "upload"
}

// commonExt names the usual extension of the media types Mastodon takes
// (mime.ExtensionsByType lists several, alphabetically).
var commonExt = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "image/avif": ".avif",
	"image/heic": ".heic", "video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov",
	"audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/flac": ".flac", "audio/mp4": ".m4a",
}

// cutRunes cuts s to at most n characters (code points, as Mastodon
// counts a description).
func cutRunes(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
