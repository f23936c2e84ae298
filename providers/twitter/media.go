package twitter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
)

// chunkSize is the size of one APPEND segment. X documents at most 5 MB a
// segment and its edge has refused 5 MB requests once the multipart
// framing is added; 4 MB keeps clear of that, and a 512 MB video is then
// 128 segments, well under the 1000 segment indexes allow.
const chunkSize = 4 << 20

// Processing waits: X says how long to wait (check_after_secs); it is kept
// within these bounds, and a file still processing after maxStatusPolls
// checks is given up on (a transient error: the upload can be retried).
const (
	minCheckAfter  = 1 * time.Second
	maxCheckAfter  = 60 * time.Second
	defCheckAfter  = 5 * time.Second
	maxStatusPolls = 120
)

// oneShotTypes are the media_type values the one-shot upload takes
// (MediaUploadRequestOneShot); other images go through the chunked upload.
var oneShotTypes = map[string]bool{
	"image/jpeg": true, "image/bmp": true, "image/png": true, "image/webp": true, "image/pjpeg": true, "image/tiff": true,
}

// initTypes are the media_type values initialize takes
// (MediaUploadConfigRequest) that a post can carry.
var initTypes = map[string]bool{
	"video/mp4": true, "video/webm": true, "video/mp2t": true, "video/quicktime": true,
	"image/jpeg": true, "image/gif": true, "image/bmp": true, "image/png": true, "image/webp": true,
	"image/pjpeg": true, "image/tiff": true,
}

// UploadMedia uploads one file and returns its media ID once X has
// processed it. Images go through the one-shot POST /2/media/upload
// (media_category tweet_image); GIFs and videos through initialize, append
// (4 MB segments) and finalize, then STATUS checks while X processes them,
// waiting as long as X asks. Alt text is set with POST /2/media/metadata,
// cut to 1000 characters.
//
// Files over X's caps (image 5 MB, GIF 15 MB, video 512 MB) and audio are
// refused with a Rejected/ReasonInvalid error before anything is sent, as
// are files whose Body does not hold Size bytes. A file X fails to process
// is Rejected too. When u.Size is unknown (0), the file is first spooled to
// a temporary file to learn its size.
func (p *Provider) UploadMedia(ctx context.Context, u providers.Upload) (string, error) {
	const op = "upload media"
	reject := func(format string, args ...any) error {
		return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
			Message: fmt.Sprintf(format, args...)}
	}
	ctype, _, _ := mime.ParseMediaType(u.ContentType)
	var limit int64
	var category string
	switch u.Type {
	case providers.Image:
		limit, category = maxImageSize, "tweet_image"
	case providers.GIF:
		limit, category = maxGIFSize, "tweet_gif"
		if ctype == "" {
			ctype = "image/gif"
		}
		if ctype != "image/gif" {
			// A looping silent video ("gifv") is a video to X.
			category = "tweet_video"
		}
	case providers.Video:
		limit, category = maxVideoSize, "tweet_video"
		if ctype == "" {
			ctype = "video/mp4"
		}
	default:
		return "", reject("X takes no %q media", u.Type)
	}
	if u.Body == nil {
		return "", reject("no file to upload")
	}
	if u.Size > limit {
		return "", reject("%s of %d bytes is over X's %d-byte cap", u.Type, u.Size, limit)
	}

	body, size := u.Body, u.Size
	if size <= 0 {
		f, n, err := spool(u.Body, limit)
		if f != nil {
			defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
		}
		if errors.Is(err, errTooBig) {
			return "", reject("%s is over X's %d-byte cap", u.Type, limit)
		}
		if err != nil {
			return "", fmt.Errorf("twitter: %s: spool: %w", op, err)
		}
		if n == 0 {
			return "", reject("the file is empty")
		}
		body, size = f, n
	}

	var id string
	var info *processingInfo
	var err error
	if u.Type == providers.Image && oneShotTypes[ctype] {
		id, info, err = p.uploadOneShot(ctx, op, body, size, ctype, u.Filename)
	} else {
		id, info, err = p.uploadChunked(ctx, op, body, size, ctype, category, u.Filename)
	}
	if err != nil {
		return "", err
	}
	if err := p.awaitProcessing(ctx, op, id, info); err != nil {
		return "", err
	}
	if err := p.setMetadata(ctx, op, id, u.Alt, false); err != nil {
		return "", err
	}
	return id, nil
}

var errTooBig = errors.New("file over the cap")

// spool copies r into a temporary file, up to limit bytes.
func spool(r io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "dualpower-x-media-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err != nil {
		return f, n, err
	}
	if n > limit {
		return f, n, errTooBig
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return f, n, err
	}
	return f, n, nil
}

// readExactly reads n bytes of r, and fails when r holds fewer or more.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (p *Provider) sizeMismatch(op string, size int64) error {
	return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
		Message: fmt.Sprintf("the file does not hold the %d bytes its size says", size)}
}

// uploadOneShot is POST /2/media/upload as multipart/form-data.
func (p *Provider) uploadOneShot(ctx context.Context, op string, r io.Reader, size int64, ctype, filename string) (string, *processingInfo, error) {
	data, err := readExactly(r, size)
	if err != nil {
		return "", nil, p.sizeMismatch(op, size)
	}
	if extra, _ := r.Read(make([]byte, 1)); extra > 0 {
		return "", nil, p.sizeMismatch(op, size)
	}
	fields := [][2]string{{"media_category", "tweet_image"}, {"media_type", ctype}}
	body, mtype, err := multipartBody(fields, filename, data)
	if err != nil {
		return "", nil, fmt.Errorf("twitter: %s: %w", op, err)
	}
	var resp mediaUploadResponse
	if err := p.send(ctx, op, http.MethodPost, "/2/media/upload", nil, body, mtype, &resp); err != nil {
		return "", nil, err
	}
	return p.mediaAnswer(op, resp)
}

// uploadChunked is initialize, append… and finalize.
func (p *Provider) uploadChunked(ctx context.Context, op string, r io.Reader, size int64, ctype, category, filename string) (string, *processingInfo, error) {
	init := mediaInitRequest{MediaCategory: category, TotalBytes: size}
	if initTypes[ctype] {
		init.MediaType = ctype
	}
	var resp mediaUploadResponse
	if err := p.call(ctx, op, http.MethodPost, "/2/media/upload/initialize", nil, init, &resp); err != nil {
		return "", nil, err
	}
	id, _, err := p.mediaAnswer(op, resp)
	if err != nil {
		return "", nil, err
	}
	buf := make([]byte, chunkSize)
	for seg, sent := 0, int64(0); sent < size; seg++ {
		n := int64(chunkSize)
		if size-sent < n {
			n = size - sent
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return "", nil, p.sizeMismatch(op, size)
		}
		body, mtype, err := multipartBody([][2]string{{"segment_index", strconv.Itoa(seg)}}, filename, buf[:n])
		if err != nil {
			return "", nil, fmt.Errorf("twitter: %s: %w", op, err)
		}
		if err := p.send(ctx, op, http.MethodPost, "/2/media/upload/"+id+"/append", nil, body, mtype, nil); err != nil {
			return "", nil, err
		}
		sent += n
	}
	if extra, _ := r.Read(make([]byte, 1)); extra > 0 {
		return "", nil, p.sizeMismatch(op, size)
	}
	resp = mediaUploadResponse{}
	if err := p.call(ctx, op, http.MethodPost, "/2/media/upload/"+id+"/finalize", nil, nil, &resp); err != nil {
		return "", nil, err
	}
	_, info, err := p.mediaAnswer(op, resp)
	return id, info, err
}

// mediaAnswer reads the media ID and processing state of a
// MediaUploadResponse.
func (p *Provider) mediaAnswer(op string, r mediaUploadResponse) (string, *processingInfo, error) {
	if r.Data == nil || !validID(r.Data.ID) {
		if len(r.Errors) > 0 {
			return "", nil, p.problemsError(op, r.Errors)
		}
		return "", nil, p.malformed(op, "the answer holds no media ID")
	}
	return r.Data.ID, r.Data.ProcessingInfo, nil
}

// awaitProcessing checks the upload's STATUS until X has processed it,
// waiting check_after_secs between checks.
func (p *Provider) awaitProcessing(ctx context.Context, op, id string, info *processingInfo) error {
	for polls := 0; info != nil; polls++ {
		switch info.State {
		case "succeeded", "":
			return nil
		case "failed":
			msg := "X could not process the file"
			if info.Error != nil && info.Error.Message != "" {
				msg += ": " + truncate(info.Error.Message, 200)
			}
			return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
				Message: p.scrub(msg)}
		case "pending", "in_progress":
		default:
			return p.malformed(op, fmt.Sprintf("unknown processing state %q", truncate(info.State, 40)))
		}
		if polls >= maxStatusPolls {
			return &providers.Error{Kind: providers.Transient, Network: Name, Op: op,
				Message: fmt.Sprintf("X was still processing the file after %d checks", polls)}
		}
		wait := time.Duration(info.CheckAfterSecs) * time.Second
		switch {
		case info.CheckAfterSecs <= 0:
			wait = defCheckAfter
		case wait < minCheckAfter:
			wait = minCheckAfter
		case wait > maxCheckAfter:
			wait = maxCheckAfter
		}
		zerolog.Ctx(ctx).Debug().Str("media_id", id).Str("state", info.State).
			Int("progress", info.ProgressPct).Dur("wait", wait).Msg("media processing")
		select {
		case <-ctx.Done():
			return &providers.Error{Kind: providers.Transient, Network: Name, Op: op, Message: "waiting for X to process the file", Err: ctx.Err()}
		case <-p.after(wait):
		}
		var r mediaUploadResponse
		q := url.Values{"media_id": {id}, "command": {"STATUS"}}
		if err := p.call(ctx, op, http.MethodGet, "/2/media/upload", q, nil, &r); err != nil {
			return err
		}
		if _, info2, err := p.mediaAnswer(op, r); err != nil {
			return err
		} else {
			info = info2
		}
	}
	return nil
}

// setMetadata sets a media's alt text (cut to X's 1000 characters) and,
// when sensitive, X's sensitive-media warning (POST /2/media/metadata).
func (p *Provider) setMetadata(ctx context.Context, op, id, alt string, sensitive bool) error {
	req := metadataRequest{ID: id}
	if alt != "" {
		req.Metadata.AltText = &altText{Text: cutRunes(alt, maxAltLength)}
	}
	if sensitive {
		// The engine knows only that media are sensitive, not why.
		req.Metadata.Sensitive = &sensitiveWarning{Other: true}
	}
	if req.Metadata.AltText == nil && req.Metadata.Sensitive == nil {
		return nil
	}
	return p.call(ctx, op, http.MethodPost, "/2/media/metadata", nil, req, nil)
}

// cutRunes keeps the first n code points of s.
func cutRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// multipartBody builds a form with the fields and one "media" file part.
func multipartBody(fields [][2]string, filename string, data []byte) (io.Reader, string, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if filename == "" {
		filename = "media"
	}
	part, err := w.CreateFormFile("media", filename)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &b, w.FormDataContentType(), nil
}
