package mastodontest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // register decoders for image dimensions
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// media is one uploaded attachment.
type media struct {
	id             string
	owner          *User
	typ            string // image, gifv, video, audio
	contentType    string
	filename       string
	data           []byte
	description    string
	focusX, focusY float64
	hasFocus       bool
	width, height  int
	created        time.Time
	polls          int
	processed      bool
	status         *status // the status it is attached to, nil until then
}

// supportedMIME are the upload types Mastodon 4.x accepts.
var supportedMIME = map[string]string{
	"image/jpeg": "image", "image/png": "image", "image/gif": "image", "image/heic": "image",
	"image/heif": "image", "image/webp": "image", "image/avif": "image",
	"video/webm": "video", "video/mp4": "video", "video/quicktime": "video", "video/ogg": "video",
	"audio/wave": "audio", "audio/wav": "audio", "audio/x-wav": "audio", "audio/x-pn-wave": "audio",
	"audio/vnd.wave": "audio", "audio/ogg": "audio", "audio/vorbis": "audio", "audio/mpeg": "audio",
	"audio/mp3": "audio", "audio/webm": "audio", "audio/flac": "audio", "audio/aac": "audio",
	"audio/m4a": "audio", "audio/x-m4a": "audio", "audio/mp4": "audio", "audio/3gpp": "audio",
	"video/x-ms-asf": "audio",
}

func supportedMIMEList() []string {
	out := make([]string, 0, len(supportedMIME))
	for k := range supportedMIME {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mediaKind decides what an upload is: the declared type, checked against
// the bytes for images (a server that cannot decode an image refuses it).
// An animated GIF becomes "gifv", as Mastodon converts it to a video.
func mediaKind(contentType string, data []byte) (typ, ct string, ok bool) {
	ct = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(data)
		ct = strings.Split(ct, ";")[0]
	}
	typ, ok = supportedMIME[ct]
	if !ok {
		return "", ct, false
	}
	if typ == "image" {
		sniffed := strings.Split(http.DetectContentType(data), ";")[0]
		if !strings.HasPrefix(sniffed, "image/") && ct != "image/heic" && ct != "image/heif" && ct != "image/avif" {
			return "", ct, false
		}
		if ct == "image/gif" && bytes.Contains(data, []byte("NETSCAPE2.0")) {
			typ = "gifv"
		}
	}
	return typ, ct, true
}

// newMediaLocked stores an upload after the size and description checks.
func (s *Server) newMediaLocked(u *User, contentType, filename string, data []byte, description, focus string) (*media, *apiErr) {
	gts := s.opt.Flavor == GoToSocial
	typ, ct, ok := mediaKind(contentType, data)
	if !ok {
		if gts {
			return nil, &apiErr{422, "unsupported media type " + ct}
		}
		return nil, &apiErr{422, "Validation failed: File content type is invalid, File is invalid"}
	}
	limit := s.opt.ImageSizeLimit
	if typ != "image" {
		limit = s.opt.VideoSizeLimit
	}
	if int64(len(data)) > limit {
		if gts {
			return nil, &apiErr{422, fmt.Sprintf("file size %d bytes exceeds limit of %d bytes", len(data), limit)}
		}
		return nil, &apiErr{422, "Validation failed: File file size must be less than " + humanSize(limit)}
	}
	if len([]rune(description)) > descriptionLimit {
		if gts {
			return nil, &apiErr{400, fmt.Sprintf("image description length must be between 0 and %d characters (inclusive), but provided image description was %d chars", descriptionLimit, len([]rune(description)))}
		}
		return nil, &apiErr{422, fmt.Sprintf("Validation failed: Description is too long (maximum is %d characters)", descriptionLimit)}
	}
	m := &media{
		id:          s.ids.next(s.opt.Now()),
		owner:       u,
		typ:         typ,
		contentType: ct,
		filename:    safeFilename(filename, ct),
		data:        data,
		description: description,
		created:     s.opt.Now(),
		processed:   typ == "image" || gts,
	}
	if x, y, ok := parseFocus(focus); ok {
		m.focusX, m.focusY, m.hasFocus = x, y, true
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		m.width, m.height = cfg.Width, cfg.Height
	}
	s.media[m.id] = m
	return m, nil
}

// humanSize is Rails' number_to_human_size for whole MiB/KiB values.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " Bytes"
}

func safeFilename(name, ct string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, c := range name {
		if c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		}
	}
	n := strings.Trim(b.String(), ".")
	if n == "" {
		n = "file"
		if _, sub, ok := strings.Cut(ct, "/"); ok {
			n += "." + sub
		}
	}
	return n
}

// parseFocus reads "x,y" with both in [-1, 1].
func parseFocus(f string) (x, y float64, ok bool) {
	a, b, found := strings.Cut(f, ",")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || x < -1 || x > 1 || y < -1 || y > 1 {
		return 0, 0, false
	}
	return x, y, true
}

// processedLocked reports whether processing has finished, finishing it
// when the configured number of polls or clock time has passed.
func (s *Server) processedLocked(m *media) bool {
	if m.processed {
		return true
	}
	if s.opt.MediaPolls >= 0 && m.polls >= s.opt.MediaPolls {
		m.processed = true
	}
	if s.opt.MediaProcessing > 0 && !s.opt.Now().Before(m.created.Add(s.opt.MediaProcessing)) {
		m.processed = true
	}
	return m.processed
}

// FinishProcessing ends server-side processing of media id at once.
func (s *Server) FinishProcessing(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.media[id]; m != nil {
		m.processed = true
	}
}

func (s *Server) mediaURL(m *media, size string) string {
	return s.URL() + "/system/media_attachments/files/" + m.id + "/" + size + "/" + m.filename
}

func (s *Server) mediaJSONLocked(m *media) apiMedia {
	out := apiMedia{ID: m.id, Type: m.typ}
	if m.description != "" {
		out.Description = strPtr(m.description)
	}
	meta := &apiMeta{}
	if m.width > 0 {
		meta.Original = &apiMetaSize{Width: m.width, Height: m.height, Size: fmt.Sprintf("%dx%d", m.width, m.height), Aspect: float64(m.width) / float64(m.height)}
		meta.Small = meta.Original
	}
	if m.hasFocus {
		meta.Focus = &apiFocus{X: m.focusX, Y: m.focusY}
	}
	out.Meta = meta
	if m.processed {
		out.URL = strPtr(s.mediaURL(m, "original"))
		out.PreviewURL = strPtr(s.mediaURL(m, "small"))
		out.Blurhash = strPtr("UFBWY:8_0Jxv4mof?bof00xu%Mt7-;ayIUWB")
	}
	return out
}

// ---- handlers ----

const maxUpload = 200 << 20

func (s *Server) handleMediaCreate(v2 bool) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		p, err := parseParams(r, 32<<20)
		if err != nil {
			s.writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		fhs := p.files["file"]
		if len(fhs) == 0 {
			if s.opt.Flavor == GoToSocial {
				s.writeError(w, http.StatusBadRequest, "no attachment given")
				return
			}
			s.writeError(w, http.StatusBadRequest, errMissing("file"))
			return
		}
		f, err := fhs[0].Open()
		if err != nil {
			s.writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			s.writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.mu.Lock()
		m, aerr := s.newMediaLocked(c.user, fhs[0].Header.Get("Content-Type"), fhs[0].Filename, data, p.get("description"), p.get("focus"))
		if aerr != nil {
			s.mu.Unlock()
			s.writeError(w, aerr.status, aerr.msg)
			return
		}
		if !v2 {
			m.processed = true // v1 waits for processing
		}
		body := s.mediaJSONLocked(m)
		done := m.processed
		s.mu.Unlock()
		code := http.StatusOK
		if !done {
			code = http.StatusAccepted
		}
		writeJSON(w, code, body)
	}
}

// ownMediaLocked finds media id of u's that is not yet attached, as
// Mastodon's media endpoints only see those.
func (s *Server) ownMediaLocked(u *User, id string) *media {
	m := s.media[id]
	if m == nil || m.owner != u || m.status != nil && s.opt.Flavor == Mastodon {
		return nil
	}
	return m
}

func (s *Server) handleMediaGet(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	m := s.ownMediaLocked(c.user, r.PathValue("id"))
	if m == nil {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	done := s.processedLocked(m)
	if !done {
		m.polls++
	}
	body := s.mediaJSONLocked(m)
	s.mu.Unlock()
	code := http.StatusOK
	if !done {
		code = http.StatusPartialContent
	}
	writeJSON(w, code, body)
}

func (s *Server) handleMediaUpdate(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, 32<<20)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMediaLocked(c.user, r.PathValue("id"))
	if m == nil {
		s.notFound(w)
		return
	}
	if p.has("description") {
		d := p.get("description")
		if len([]rune(d)) > descriptionLimit {
			s.invalid(w, fmt.Sprintf("Validation failed: Description is too long (maximum is %d characters)", descriptionLimit))
			return
		}
		m.description = d
	}
	if x, y, ok := parseFocus(p.get("focus")); ok {
		m.focusX, m.focusY, m.hasFocus = x, y, true
	}
	code := http.StatusOK
	if !s.processedLocked(m) {
		code = http.StatusPartialContent
	}
	writeJSON(w, code, s.mediaJSONLocked(m))
}

// handleMediaFile serves an uploaded file back, as the server's file host
// does (no API headers, no token needed).
func (s *Server) handleMediaFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.media[r.PathValue("id")]
	s.mu.Unlock()
	if m == nil || r.PathValue("name") != m.filename {
		http.NotFound(w, r)
		return
	}
	data, ct := m.data, m.contentType
	if r.PathValue("size") == "small" && m.typ != "image" {
		data, ct = placeholderPNG, "image/png"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "public, max-age=315576000, immutable")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(data)
}

// placeholderPNG is a small PNG: avatars, headers, emoji and video
// previews.
var placeholderPNG = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// PNG is a small valid PNG image the server accepts, for tests.
func PNG() []byte { return append([]byte(nil), placeholderPNG...) }

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(placeholderPNG)
}
