package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
)

// uploadMedia downloads each medium the rendered post keeps from its
// source and uploads it to the target with its alt text. A medium that
// cannot be had (gone, too big, not what it claims to be) or that the
// target refuses is left out; a transient failure fails the whole publish,
// to be retried.
func (e *Engine) uploadMedia(ctx context.Context, a *account, r *Rendered, l providers.Limits) ([]string, error) {
	if len(r.Media) == 0 || a.caps.Uploader == nil {
		return nil, nil
	}
	log := zerolog.Ctx(ctx)
	var ids []string
	for _, m := range r.Media {
		limit := sizeLimit(m.Type, l)
		f, size, ctype, err := e.download(ctx, m, limit)
		if err != nil {
			if providers.KindOf(err) == providers.Transient && ctx.Err() == nil && !errors.Is(err, errTooBig) && !errors.Is(err, errWrongType) {
				return nil, err
			}
			log.Warn().Err(err).Str("media", m.URL).Msg("media left out")
			continue
		}
		id, err := a.caps.Uploader.UploadMedia(ctx, providers.Upload{
			Type: m.Type, ContentType: ctype, Filename: path.Base(f.Name()), Size: size, Body: f,
			Alt: cutRunes(m.Alt, l.MaxAltLength), FocusX: m.FocusX, FocusY: m.FocusY,
		})
		f.Close()
		os.Remove(f.Name())
		if err != nil {
			if providers.Permanent(err) {
				log.Warn().Err(err).Str("media", m.URL).Msg("media refused by the target; left out")
				continue
			}
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

var (
	errTooBig    = errors.New("larger than the target takes")
	errWrongType = errors.New("not the type of media it claims to be")
)

// download fetches one medium into a temporary file, refusing more than
// limit bytes and content that is not of the medium's type.
func (e *Engine) download(ctx context.Context, m providers.Media, limit int64) (*os.File, int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return nil, 0, "", &providers.Error{Kind: providers.Rejected, Op: "download media", Message: "bad media URL"}
	}
	resp, err := e.httpClient.Do(req)
	if err != nil {
		return nil, 0, "", &providers.Error{Kind: providers.Transient, Op: "download media", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		kind := providers.Transient
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusForbidden {
			kind = providers.NotFound
		}
		return nil, 0, "", &providers.Error{Kind: kind, Op: "download media", Status: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		return nil, 0, "", fmt.Errorf("media of %d bytes: %w", resp.ContentLength, errTooBig)
	}
	f, err := os.CreateTemp("", "dualpower-media-*"+path.Ext(m.URL))
	if err != nil {
		return nil, 0, "", err
	}
	fail := func(err error) (*os.File, int64, string, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, "", err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fail(&providers.Error{Kind: providers.Transient, Op: "download media", Err: err})
	}
	if n > limit {
		return fail(fmt.Errorf("media over %d bytes: %w", limit, errTooBig))
	}
	head := make([]byte, 512)
	k, _ := f.ReadAt(head, 0)
	ctype := resp.Header.Get("Content-Type")
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = http.DetectContentType(head[:k])
	}
	ctype, _, _ = strings.Cut(ctype, ";")
	if !typeMatches(m.Type, ctype) {
		return fail(fmt.Errorf("%s served as %s: %w", m.Type, ctype, errWrongType))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	return f, n, ctype, nil
}

func typeMatches(t providers.MediaType, ctype string) bool {
	switch t {
	case providers.Image:
		return strings.HasPrefix(ctype, "image/")
	case providers.GIF:
		return ctype == "image/gif" || strings.HasPrefix(ctype, "video/")
	case providers.Video:
		return strings.HasPrefix(ctype, "video/")
	case providers.Audio:
		return strings.HasPrefix(ctype, "audio/")
	}
	return false
}
