package twittertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Size caps X documents for media (docs.x.com, media best practices):
// images 5 MB and GIFs 15 MB for everyone; video on a post 8 GB (16 GB for
// X Premium), video in a DM 512 MB (1 GB for Premium).
const (
	maxPhotoBytes       = 5 << 20
	maxGIFBytes         = 15 << 20
	maxPostVideoBytes   = 8 << 30
	maxPostVideoPremium = 16 << 30
	maxDMVideoBytes     = 512 << 20
	maxDMVideoPremium   = 1 << 30
	maxAltText          = 1000
	mediaLifetime       = 24 * time.Hour
)

// Processing states of an upload (ProcessingInfo.state).
const (
	stateUploading  = ""
	statePending    = "pending"
	stateInProgress = "in_progress"
	stateSucceeded  = "succeeded"
	stateFailed     = "failed"
)

// media is one uploaded file.
type media struct {
	id, key   string
	owner     *User
	typ       string // "photo", "animated_gif", "video", or "subtitles"
	category  string
	mediaType string
	total     int64
	segments  map[int][]byte
	data      []byte
	state     string
	polls     int
	alt       string
	sensitive bool // a sensitive_media_warning was set
	width     int
	height    int
	created   time.Time
	expires   time.Time
	finalized bool
	doneAt    time.Time // when processing ends by the clock
}

var idRE = regexp.MustCompile(`^[0-9]{1,19}$`)

// mediaKeyPrefix is the media-key type prefix X uses: 3 for photos, 16 for
// animated GIFs, 7 for videos.
func mediaKeyPrefix(typ string) string {
	switch typ {
	case "animated_gif":
		return "16_"
	case "video":
		return "7_"
	}
	return "3_"
}

// capFor is the size cap of a media type in a category, for a user with or
// without X Premium.
func capFor(typ, category string, premium bool) int64 {
	switch {
	case typ == "animated_gif":
		return maxGIFBytes
	case typ == "video" && category == "dm_video" && premium:
		return maxDMVideoPremium
	case typ == "video" && category == "dm_video":
		return maxDMVideoBytes
	case typ == "video" && premium:
		return maxPostVideoPremium
	case typ == "video":
		return maxPostVideoBytes
	}
	return maxPhotoBytes
}

// newMediaLocked registers a media ID for u.
func (s *Server) newMediaLocked(u *User, typ, category, mediaType string) *media {
	id, _ := s.newID()
	m := &media{
		id: id, key: mediaKeyPrefix(typ) + id, owner: u, typ: typ, category: category, mediaType: mediaType,
		segments: map[int][]byte{}, created: s.now(), expires: s.now().Add(mediaLifetime),
	}
	s.media[id] = m
	s.mediaByKey[m.key] = m
	return m
}

// addMediaLocked makes a processed attachment for a post made by a helper.
func (s *Server) addMediaLocked(u *User, o MediaOpts) (*media, error) {
	typ := o.Type
	if typ == "" {
		typ = "photo"
	}
	if typ != "photo" && typ != "animated_gif" && typ != "video" {
		return nil, fmt.Errorf("twittertest: unknown media type %q", o.Type)
	}
	if limit := capFor(typ, "", s.opt.Premium); int64(len(o.Data)) > limit {
		return nil, fmt.Errorf("twittertest: %s of %d bytes is over X's cap of %d", typ, len(o.Data), limit)
	}
	m := s.newMediaLocked(u, typ, "tweet_"+map[string]string{"photo": "image", "animated_gif": "gif", "video": "video"}[typ], http.DetectContentType(o.Data))
	m.data = o.Data
	m.total = int64(len(o.Data))
	m.alt = o.AltText
	m.finalized = true
	m.state = stateSucceeded
	m.width, m.height = dimensions(typ, o.Data)
	return m, nil
}

// dimensions reads an image's size; videos get a fixed 1280×720 (the fake
// does not parse MP4).
func dimensions(typ string, data []byte) (int, int) {
	if typ == "video" {
		return 1280, 720
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		return cfg.Width, cfg.Height
	}
	return 0, 0
}

// checkImage refuses what is not an image X takes.
func checkImage(data []byte) bool {
	switch http.DetectContentType(data) {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp":
		return true
	}
	return false
}

// form is a request body read as multipart/form-data or JSON, as the media
// endpoints take both.
type form struct {
	fields map[string]string
	files  map[string][]byte
	json   map[string]json.RawMessage
	isJSON bool
}

func readForm(r *http.Request, body []byte) (*form, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("missing or bad Content-Type")
	}
	f := &form{fields: map[string]string{}, files: map[string][]byte{}}
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return f, nil
			}
			if err != nil {
				return nil, fmt.Errorf("bad multipart body: %w", err)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return nil, fmt.Errorf("bad multipart body: %w", err)
			}
			name := p.FormName()
			if _, dup := f.fields[name]; dup {
				return nil, fmt.Errorf("field %s given twice", name)
			}
			f.fields[name] = string(b)
			f.files[name] = b
		}
	case "application/json":
		f.isJSON = true
		if err := json.Unmarshal(body, &f.json); err != nil {
			return nil, fmt.Errorf("the body is not a JSON object")
		}
		for k, v := range f.json {
			var sv string
			if json.Unmarshal(v, &sv) == nil {
				f.fields[k] = sv
			} else {
				f.fields[k] = string(v)
			}
		}
		return f, nil
	}
	return nil, fmt.Errorf("Content-Type %s is not multipart/form-data or application/json", ct)
}

// payload returns the file in field name: raw bytes from multipart, base64
// from JSON.
func (f *form) payload(name string) ([]byte, bool) {
	if !f.isJSON {
		b, ok := f.files[name]
		return b, ok
	}
	v, ok := f.fields[name]
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, false
	}
	return b, true
}

func (s *Server) uploadAnswer(m *media) map[string]any {
	d := map[string]any{
		"id":                 m.id,
		"media_key":          m.key,
		"size":               m.total,
		"expires_after_secs": int(m.expires.Sub(s.now()).Seconds()),
	}
	if m.typ == "video" || m.typ == "animated_gif" {
		if pi := s.processingInfo(m); pi != nil {
			d["processing_info"] = pi
		}
	}
	return map[string]any{"data": d}
}

func (s *Server) processingInfo(m *media) map[string]any {
	switch m.state {
	case statePending:
		return map[string]any{"state": statePending, "check_after_secs": 1}
	case stateInProgress:
		return map[string]any{"state": stateInProgress, "check_after_secs": 1, "progress_percent": m.polls * 100 / (s.opt.ProcessingPolls + 1)}
	case stateSucceeded:
		return map[string]any{"state": stateSucceeded, "progress_percent": 100}
	case stateFailed:
		return map[string]any{"state": stateFailed, "progress_percent": 100}
	}
	return nil
}

// handleUploadOneShot is POST /2/media/upload: one image (or subtitles) in
// one request, multipart or JSON with base64.
func (s *Server) handleUploadOneShot(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	f, err := readForm(r, c.body)
	if err != nil {
		s.invalidRequest(w, fieldError{Message: err.Error()})
		return
	}
	allowed := map[string]bool{"media": true, "media_category": true, "media_type": true, "additional_owners": true, "shared": true}
	for k := range f.fields {
		if !allowed[k] {
			s.invalidParam(w, k, f.fields[k], fmt.Sprintf("$.%s: is not defined in the schema and the schema does not allow additional properties", k))
			return
		}
	}
	cat, ok := f.fields["media_category"]
	if !ok {
		s.invalidParam(w, "media_category", "", "$.media_category: is missing but it is required")
		return
	}
	if cat != "tweet_image" && cat != "dm_image" && cat != "subtitles" {
		s.invalidParam(w, "media_category", cat, "$.media_category: does not have a value in the enumeration [tweet_image, dm_image, subtitles]")
		return
	}
	if mt, ok := f.fields["media_type"]; ok && !oneOf(mt, "text/srt", "text/vtt", "image/jpeg", "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff") {
		s.invalidParam(w, "media_type", mt, "$.media_type: does not have a value in the enumeration")
		return
	}
	data, ok := f.payload("media")
	if !ok {
		s.invalidParam(w, "media", "", "$.media: is missing but it is required")
		return
	}
	if len(data) > maxPhotoBytes {
		s.invalidParam(w, "media", strconv.Itoa(len(data)), fmt.Sprintf("File size exceeds %d bytes.", maxPhotoBytes))
		return
	}
	typ := "photo"
	if cat == "subtitles" {
		typ = "subtitles"
	} else if !checkImage(data) {
		s.invalidParam(w, "media", "", "media type unrecognized.")
		return
	}
	s.mu.Lock()
	m := s.newMediaLocked(c.user, typ, cat, http.DetectContentType(data))
	m.data, m.total, m.finalized, m.state = data, int64(len(data)), true, stateSucceeded
	m.width, m.height = dimensions(typ, data)
	ans := s.uploadAnswer(m)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func oneOf(v string, set ...string) bool {
	for _, x := range set {
		if v == x {
			return true
		}
	}
	return false
}

// handleUploadInit is POST /2/media/upload/initialize (JSON).
func (s *Server) handleUploadInit(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var req struct {
		MediaType        *string  `json:"media_type"`
		MediaCategory    *string  `json:"media_category"`
		TotalBytes       *int64   `json:"total_bytes"`
		AdditionalOwners []string `json:"additional_owners"`
		Shared           *bool    `json:"shared"`
	}
	if !s.decodeBody(w, r, c.body, initSchema, &req) {
		return
	}
	if req.TotalBytes == nil {
		s.invalidParam(w, "total_bytes", "", "$.total_bytes: is missing but it is required")
		return
	}
	if req.MediaType == nil {
		s.invalidParam(w, "media_type", "", "$.media_type: is missing but it is required")
		return
	}
	mt, cat := *req.MediaType, ""
	if req.MediaCategory != nil {
		cat = *req.MediaCategory
	}
	// Without a category X takes the media for a post, by its type:
	// tweet_image, tweet_gif or tweet_video.
	if cat == "" {
		switch {
		case strings.HasPrefix(mt, "video/"):
			cat = "tweet_video"
		case mt == "image/gif":
			cat = "tweet_gif"
		case strings.HasPrefix(mt, "text/"):
			cat = "subtitles"
		default:
			cat = "tweet_image"
		}
	}
	typ := "photo"
	switch {
	case cat == "subtitles":
		typ = "subtitles"
	case strings.HasSuffix(cat, "_video"):
		typ = "video"
	case strings.HasSuffix(cat, "_gif"):
		typ = "animated_gif"
	}
	switch {
	case typ == "video" && !strings.HasPrefix(mt, "video/"),
		typ == "animated_gif" && mt != "image/gif",
		typ == "photo" && !strings.HasPrefix(mt, "image/"):
		s.invalidParam(w, "media_type", mt, fmt.Sprintf("media_type %s does not match media_category %s.", mt, cat))
		return
	}
	if limit := capFor(typ, cat, s.opt.Premium); *req.TotalBytes > limit {
		s.invalidParam(w, "total_bytes", strconv.FormatInt(*req.TotalBytes, 10), fmt.Sprintf("File size exceeds %d bytes.", limit))
		return
	}
	s.mu.Lock()
	m := s.newMediaLocked(c.user, typ, cat, mt)
	m.total = *req.TotalBytes
	d := map[string]any{"id": m.id, "media_key": m.key, "expires_after_secs": int(mediaLifetime.Seconds()) - 1}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": d})
}

// ownMedia finds media id of u for the upload commands.
func (s *Server) ownMediaLocked(u *User, id string) *media {
	m := s.media[id]
	if m == nil || m.owner != u {
		return nil
	}
	return m
}

// handleUploadAppend is POST /2/media/upload/{id}/append: one segment,
// multipart or JSON with base64.
func (s *Server) handleUploadAppend(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if !idRE.MatchString(id) {
		s.invalidParam(w, "id", id, fmt.Sprintf("The `id` path parameter value [%s] is not valid", id))
		return
	}
	f, err := readForm(r, c.body)
	if err != nil {
		s.invalidRequest(w, fieldError{Message: err.Error()})
		return
	}
	segStr, ok := f.fields["segment_index"]
	if !ok {
		s.invalidParam(w, "segment_index", "", "$.segment_index: is missing but it is required")
		return
	}
	seg, err := strconv.Atoi(segStr)
	if err != nil || seg < 0 || seg > 999 {
		s.invalidParam(w, "segment_index", segStr, "$.segment_index: must be an integer between 0 and 999")
		return
	}
	data, ok := f.payload("media")
	if !ok {
		s.invalidParam(w, "media", "", "$.media: is missing but it is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMediaLocked(c.user, id)
	if m == nil || m.finalized || !s.now().Before(m.expires) {
		s.invalidParam(w, "id", id, "The media ID is invalid, expired or already finalized.")
		return
	}
	var sum int64
	for i, b := range m.segments {
		if i != seg {
			sum += int64(len(b))
		}
	}
	if sum+int64(len(data)) > m.total {
		s.invalidParam(w, "media", strconv.Itoa(len(data)), "Segments exceed the total_bytes given at initialize.")
		return
	}
	m.segments[seg] = data
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"expires_at": m.expires.Unix()}})
}

// handleUploadFinalize is POST /2/media/upload/{id}/finalize.
func (s *Server) handleUploadFinalize(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if !idRE.MatchString(id) {
		s.invalidParam(w, "id", id, fmt.Sprintf("The `id` path parameter value [%s] is not valid", id))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMediaLocked(c.user, id)
	if m == nil || m.finalized || !s.now().Before(m.expires) {
		s.invalidParam(w, "id", id, "The media ID is invalid, expired or already finalized.")
		return
	}
	var data []byte
	for i := 0; i < len(m.segments); i++ {
		b, ok := m.segments[i]
		if !ok {
			s.invalidParam(w, "id", id, fmt.Sprintf("Segment %d is missing.", i))
			return
		}
		data = append(data, b...)
	}
	if int64(len(data)) != m.total {
		s.invalidParam(w, "id", id, fmt.Sprintf("File size mismatch: %d bytes appended, %d announced.", len(data), m.total))
		return
	}
	if m.typ == "photo" && !checkImage(data) {
		s.invalidParam(w, "id", id, "media type unrecognized.")
		return
	}
	m.data, m.segments, m.finalized = data, nil, true
	m.width, m.height = dimensions(m.typ, data)
	if m.typ == "video" || m.typ == "animated_gif" {
		m.state = statePending
		m.doneAt = s.now().Add(time.Duration(s.opt.ProcessingPolls) * time.Second)
	} else {
		m.state = stateSucceeded
	}
	writeJSON(w, http.StatusOK, s.uploadAnswer(m))
}

// handleUploadStatus is GET /2/media/upload?command=STATUS&media_id=…: each
// poll moves a video or GIF along, pending → in_progress → succeeded (or
// failed), ProcessingPolls polls in all.
func (s *Server) handleUploadStatus(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	q, ok := s.checkQuery(w, r, "media_id", "command")
	if !ok {
		return
	}
	if cmd, ok := q["command"]; ok && cmd[0] != "STATUS" {
		s.invalidParam(w, "command", cmd[0], fmt.Sprintf("The `command` query parameter value [%s] is not one of [STATUS]", cmd[0]))
		return
	}
	id := q.Get("media_id")
	if !idRE.MatchString(id) {
		s.invalidParam(w, "media_id", id, fmt.Sprintf("The `media_id` query parameter value [%s] is not valid", id))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMediaLocked(c.user, id)
	if m == nil || !m.finalized {
		s.invalidParam(w, "media_id", id, "The media ID is invalid or not finalized.")
		return
	}
	if m.state == statePending || m.state == stateInProgress {
		m.polls++
		switch {
		case m.polls < s.opt.ProcessingPolls && s.now().Before(m.doneAt):
			m.state = stateInProgress
		case s.mediaFails:
			m.state = stateFailed
		default:
			m.state = stateSucceeded
		}
	}
	ans := s.uploadAnswer(m)
	if m.typ == "photo" {
		ans["data"].(map[string]any)["processing_info"] = s.processingInfo(m)
	}
	writeJSON(w, http.StatusOK, ans)
}

// handleMetadata is POST /2/media/metadata: alt text (≤ 1000 characters).
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var req struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText *struct {
				Text string `json:"text"`
			} `json:"alt_text"`
			Warning *struct {
				Adult    bool `json:"adult_content"`
				Violence bool `json:"graphic_violence"`
				Other    bool `json:"other"`
			} `json:"sensitive_media_warning"`
		} `json:"metadata"`
	}
	if !s.decodeBody(w, r, c.body, metadataSchema, &req) {
		return
	}
	if req.Metadata.AltText != nil && utf8.RuneCountInString(req.Metadata.AltText.Text) > maxAltText {
		s.invalidParam(w, "metadata.alt_text.text", req.Metadata.AltText.Text, fmt.Sprintf("$.metadata.alt_text.text: may only be %d characters long", maxAltText))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ownMediaLocked(c.user, req.ID)
	if m == nil {
		s.invalidParam(w, "id", req.ID, "The media ID is invalid.")
		return
	}
	meta := map[string]any{}
	if req.Metadata.AltText != nil {
		m.alt = req.Metadata.AltText.Text
		meta["alt_text"] = map[string]any{"text": m.alt}
	}
	if w := req.Metadata.Warning; w != nil {
		m.sensitive = w.Adult || w.Violence || w.Other
		meta["sensitive_media_warning"] = map[string]any{"adult_content": w.Adult, "graphic_violence": w.Violence, "other": w.Other}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"id": m.id, "associated_metadata": meta}})
}

// ---- downloads ----

// mediaURL and friends are where the fake serves a file, standing in for
// pbs.twimg.com and video.twimg.com.
func (s *Server) mediaURL(m *media) string {
	ext := "jpg"
	switch http.DetectContentType(m.data) {
	case "image/png":
		ext = "png"
	case "image/gif":
		ext = "gif"
	case "image/webp":
		ext = "webp"
	}
	return fmt.Sprintf("%s/media/%s.%s", s.ts.URL, m.key, ext)
}

func (s *Server) previewURL(m *media) string {
	return fmt.Sprintf("%s/media/%s/preview.png", s.ts.URL, m.key)
}

// variants lists a video's renditions (three MP4 bitrates and an HLS
// playlist) or a GIF's single MP4, as X does.
func (s *Server) variants(m *media) []map[string]any {
	if m.typ == "animated_gif" {
		return []map[string]any{{"bit_rate": 0, "content_type": "video/mp4", "url": fmt.Sprintf("%s/media/%s/vid/0.mp4", s.ts.URL, m.key)}}
	}
	out := []map[string]any{{"content_type": "application/x-mpegURL", "url": fmt.Sprintf("%s/media/%s/pl.m3u8", s.ts.URL, m.key)}}
	for _, br := range []int{632000, 950000, 2176000} {
		out = append(out, map[string]any{"bit_rate": br, "content_type": "video/mp4", "url": fmt.Sprintf("%s/media/%s/vid/%d.mp4", s.ts.URL, m.key, br)})
	}
	return out
}

var previewPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for x := range 4 {
		for y := range 4 {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}()

// handleDownload serves uploaded media at the URLs the API hands out. It
// needs no authentication, like X's media hosts.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	key, rest, _ := strings.Cut(file, "/")
	if rest == "" {
		key = strings.TrimSuffix(key, key[strings.LastIndexByte(key, '.')+1:])
		key = strings.TrimSuffix(key, ".")
	}
	s.mu.Lock()
	m := s.mediaByKey[key]
	if m != nil {
		s.downloads++
	}
	s.mu.Unlock()
	if m == nil || !m.finalized {
		http.NotFound(w, r)
		return
	}
	switch {
	case rest == "":
		w.Header().Set("Content-Type", http.DetectContentType(m.data))
		_, _ = w.Write(m.data)
	case rest == "preview.png":
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(previewPNG)
	case rest == "pl.m3u8" && m.typ == "video":
		w.Header().Set("Content-Type", "application/x-mpegURL")
		_, _ = fmt.Fprintf(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2176000\n/media/%s/vid/2176000.mp4\n", m.key)
	case strings.HasPrefix(rest, "vid/") && strings.HasSuffix(rest, ".mp4") && m.typ != "photo":
		w.Header().Set("Content-Type", "video/mp4")
		_, _ = w.Write(m.data)
	default:
		http.NotFound(w, r)
	}
}
