package mastodontest

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, mode authMode, scope string, fn handler) {
		mux.HandleFunc(pattern, s.api(mode, scope, fn))
	}
	h("GET /api/v1/accounts/verify_credentials", authUser, "read:accounts", s.handleVerifyCredentials)
	h("GET /api/v1/accounts/{id}", authOptional, "read:accounts", s.handleAccount)
	h("GET /api/v1/accounts/lookup", authOptional, "read:accounts", s.handleLookup)
	h("GET /api/v1/accounts/{id}/statuses", authOptional, "read:statuses", s.handleAccountStatuses)
	h("GET /api/v1/instance", authOptional, "", s.handleInstanceV1)
	h("GET /api/v2/instance", authOptional, "", s.handleInstanceV2)

	h("GET /api/v1/statuses/{id}", authOptional, "read:statuses", s.handleStatusGet)
	h("GET /api/v1/statuses/{id}/source", authUser, "read:statuses", s.handleStatusSource)
	h("GET /api/v1/statuses/{id}/history", authOptional, "read:statuses", s.handleStatusHistory)
	h("POST /api/v1/statuses", authUser, "write:statuses", s.handleStatusCreate)
	h("PUT /api/v1/statuses/{id}", authUser, "write:statuses", s.handleStatusEdit)
	h("DELETE /api/v1/statuses/{id}", authUser, "write:statuses", s.handleStatusDelete)
	h("POST /api/v1/statuses/{id}/reblog", authUser, "write:statuses", s.handleReblog)
	h("POST /api/v1/statuses/{id}/unreblog", authUser, "write:statuses", s.handleUnreblog)

	h("POST /api/v2/media", authUser, "write:media", s.handleMediaCreate(true))
	h("POST /api/v1/media", authUser, "write:media", s.handleMediaCreate(false))
	h("GET /api/v1/media/{id}", authUser, "write:media", s.handleMediaGet)
	h("PUT /api/v1/media/{id}", authUser, "write:media", s.handleMediaUpdate)

	h("GET /api/v1/streaming/health", authNone, "", s.handleStreamingHealth)
	mux.HandleFunc("GET /api/v1/streaming", s.handleWebSocket)
	mux.HandleFunc("GET /api/v1/streaming/{stream...}", s.handleSSE)

	h("POST /api/v1/apps", authNone, "", s.handleCreateApp)
	h("GET /api/v1/apps/verify_credentials", authOptional, "", s.handleVerifyApp)
	h("GET /oauth/authorize", authNone, "", s.handleAuthorize)
	h("POST /oauth/token", authNone, "", s.handleToken)
	h("POST /oauth/revoke", authNone, "", s.handleRevoke)

	mux.HandleFunc("/api/", s.api(authNone, "", func(w http.ResponseWriter, r *http.Request, c *call) { s.notFound(w) }))
	mux.HandleFunc("GET /system/media_attachments/files/{id}/{size}/{name}", s.handleMediaFile)
	mux.HandleFunc("GET /avatars/original/missing.png", s.handleStatic)
	mux.HandleFunc("GET /headers/original/missing.png", s.handleStatic)
	mux.HandleFunc("GET /system/custom_emojis/images/{name}", s.handleStatic)
	return mux
}

// ---- accounts ----

func (s *Server) handleVerifyCredentials(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	body := s.credentialAccountJSONLocked(c.user)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	a := s.accounts[r.PathValue("id")]
	if a == nil {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	body := s.accountJSONLocked(a)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// handleLookup finds an account by acct: "bob" or "bob@social.example"
// for a local one, "bob@remote.example" for a remote one the server knows.
func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request, c *call) {
	acct := strings.TrimPrefix(r.URL.Query().Get("acct"), "@")
	user, host, _ := strings.Cut(acct, "@")
	s.mu.Lock()
	var a *account
	if host == "" || strings.EqualFold(host, s.opt.Domain) {
		if u := s.users[strings.ToLower(user)]; u != nil {
			a = u.acct
		}
	} else {
		a = s.remotes[strings.ToLower(acct)]
	}
	if a == nil {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	body := s.accountJSONLocked(a)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// handleAccountStatuses pages an account's statuses newest first, as
// Mastodon's paginate_by_id does: min_id wins over since_id and returns
// the page just newer than it; max_id bounds from above. GoToSocial
// ignores since_id.
func (s *Server) handleAccountStatuses(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		limit = rubyInt(v)
		if limit < 0 {
			limit = -limit
		}
		limit = min(limit, 40)
	}
	truthy := func(k string) bool {
		switch strings.ToLower(q.Get(k)) {
		case "", "0", "f", "false", "off":
			return false
		}
		return true
	}
	maxID, minID, sinceID := q.Get("max_id"), q.Get("min_id"), q.Get("since_id")
	if s.opt.Flavor == GoToSocial {
		sinceID = ""
	}
	excludeReplies, excludeReblogs := truthy("exclude_replies"), truthy("exclude_reblogs")
	onlyMedia, pinned := truthy("only_media"), truthy("pinned")
	tagged := strings.ToLower(strings.TrimPrefix(q.Get("tagged"), "#"))

	s.mu.Lock()
	u := s.usersByID[r.PathValue("id")]
	if u == nil {
		s.mu.Unlock()
		if s.accounts[r.PathValue("id")] != nil {
			writeJSON(w, http.StatusOK, []apiStatus{}) // remote: nothing held
			return
		}
		s.notFound(w)
		return
	}
	keep := func(st *status) bool {
		if !s.visibleLocked(st, c.user) {
			return false
		}
		if excludeReblogs && st.reblogOf != nil {
			return false
		}
		// Mastodon keeps self-replies (threads) when excluding replies.
		if excludeReplies && st.replyTo != nil && st.replyTo.author != st.author {
			return false
		}
		if onlyMedia && len(st.media) == 0 {
			return false
		}
		if tagged != "" && !hasTag(st, tagged) {
			return false
		}
		return true
	}
	list := u.statuses // ascending by ID
	var page []*status
	if !pinned && limit > 0 {
		if minID != "" {
			// Oldest first from just above min_id, then reversed.
			i := sort.Search(len(list), func(i int) bool { return cmpID(list[i].id, minID) > 0 })
			for ; i < len(list) && len(page) < limit; i++ {
				if maxID != "" && cmpID(list[i].id, maxID) >= 0 {
					break
				}
				if keep(list[i]) {
					page = append(page, list[i])
				}
			}
			for a, b := 0, len(page)-1; a < b; a, b = a+1, b-1 {
				page[a], page[b] = page[b], page[a]
			}
		} else {
			i := len(list) - 1
			if maxID != "" {
				i = sort.Search(len(list), func(i int) bool { return cmpID(list[i].id, maxID) >= 0 }) - 1
			}
			for ; i >= 0 && len(page) < limit; i-- {
				if sinceID != "" && cmpID(list[i].id, sinceID) <= 0 {
					break
				}
				if keep(list[i]) {
					page = append(page, list[i])
				}
			}
		}
	}
	out := make([]apiStatus, 0, len(page))
	for _, st := range page {
		out = append(out, s.statusJSONLocked(st, c.user))
	}
	s.mu.Unlock()

	if len(page) > 0 {
		base := baseURL(r) + r.URL.Path
		link := func(k, v string) string {
			lq := url.Values{}
			for _, name := range []string{"limit", "only_media", "exclude_replies", "exclude_reblogs", "pinned", "tagged"} {
				if vs, ok := q[name]; ok {
					lq[name] = vs
				}
			}
			lq.Set(k, v)
			return "<" + base + "?" + lq.Encode() + ">"
		}
		var parts []string
		if len(page) == limit {
			parts = append(parts, link("max_id", page[len(page)-1].id)+`; rel="next"`)
		}
		parts = append(parts, link("min_id", page[0].id)+`; rel="prev"`)
		w.Header().Set("Link", strings.Join(parts, ", "))
	}
	writeJSON(w, http.StatusOK, out)
}

func hasTag(st *status, tag string) bool {
	for _, t := range st.r.tags {
		if t == tag {
			return true
		}
	}
	return false
}

// ---- instance ----

func (s *Server) streamingURL() string {
	if s.opt.Flavor == GoToSocial {
		// GoToSocial says wss:// whatever the scheme it is served over.
		return "wss://" + strings.TrimPrefix(s.URL(), "http://")
	}
	return "ws://" + strings.TrimPrefix(s.URL(), "http://")
}

func (s *Server) version() string {
	if s.opt.Flavor == GoToSocial {
		return "0.19.2"
	}
	return "4.5.0"
}

func (s *Server) handleInstanceV2(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	users := len(s.users)
	contact := s.accountJSONLocked(s.alice.acct)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"domain":       s.opt.Domain,
		"title":        "Fake " + s.opt.Flavor.String(),
		"version":      s.version(),
		"source_url":   "https://github.com/mastodon/mastodon",
		"description":  "An in-process fake for tests.",
		"usage":        map[string]any{"users": map[string]any{"active_month": users}},
		"thumbnail":    map[string]any{"url": s.URL() + "/headers/original/missing.png", "blurhash": nil, "versions": nil},
		"icon":         []any{},
		"languages":    []string{"en"},
		"api_versions": map[string]any{"mastodon": 6},
		"configuration": map[string]any{
			"urls": map[string]any{
				"streaming": s.streamingURL(),
				"status":    nil,
			},
			"vapid":    map[string]any{"public_key": "BFakeVapidKey="},
			"accounts": map[string]any{"max_featured_tags": 10, "max_pinned_statuses": 5},
			"statuses": map[string]any{
				"max_characters":              s.opt.MaxCharacters,
				"max_media_attachments":       s.opt.MaxMediaAttachments,
				"characters_reserved_per_url": s.opt.urlLength(),
			},
			"media_attachments": map[string]any{
				"supported_mime_types":   supportedMIMEList(),
				"description_limit":      descriptionLimit,
				"image_size_limit":       s.opt.ImageSizeLimit,
				"image_matrix_limit":     33177600,
				"video_size_limit":       s.opt.VideoSizeLimit,
				"video_frame_rate_limit": 120,
				"video_matrix_limit":     8294400,
			},
			"polls": map[string]any{
				"max_options": 4, "max_characters_per_option": 50,
				"min_expiration": 300, "max_expiration": 2629746,
			},
			"translation": map[string]any{"enabled": false},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil, "url": nil},
		"contact":       map[string]any{"email": "admin@" + s.opt.Domain, "account": contact},
		"rules":         []any{},
	})
}

func (s *Server) handleInstanceV1(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	users, statuses := len(s.users), s.live
	contact := s.accountJSONLocked(s.alice.acct)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"uri":               s.opt.Domain,
		"title":             "Fake " + s.opt.Flavor.String(),
		"short_description": "An in-process fake for tests.",
		"description":       "An in-process fake for tests.",
		"email":             "admin@" + s.opt.Domain,
		"version":           s.version(),
		"urls":              map[string]any{"streaming_api": s.streamingURL()},
		"stats":             map[string]any{"user_count": users, "status_count": statuses, "domain_count": 0},
		"thumbnail":         s.URL() + "/headers/original/missing.png",
		"languages":         []string{"en"},
		"registrations":     false,
		"approval_required": false,
		"invites_enabled":   false,
		"configuration": map[string]any{
			"accounts": map[string]any{"max_featured_tags": 10},
			"statuses": map[string]any{
				"max_characters":              s.opt.MaxCharacters,
				"max_media_attachments":       s.opt.MaxMediaAttachments,
				"characters_reserved_per_url": s.opt.urlLength(),
			},
			"media_attachments": map[string]any{
				"supported_mime_types":   supportedMIMEList(),
				"image_size_limit":       s.opt.ImageSizeLimit,
				"image_matrix_limit":     33177600,
				"video_size_limit":       s.opt.VideoSizeLimit,
				"video_frame_rate_limit": 120,
				"video_matrix_limit":     8294400,
			},
			"polls": map[string]any{
				"max_options": 4, "max_characters_per_option": 50,
				"min_expiration": 300, "max_expiration": 2629746,
			},
		},
		"contact_account": contact,
		"rules":           []any{},
	})
}

// ---- statuses ----

func (s *Server) handleStatusGet(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	st := s.statuses[r.PathValue("id")]
	if st == nil || st.deleted || !s.visibleLocked(st, c.user) {
		s.mu.Unlock()
		s.notFound(w)
		return
	}
	body := s.statusJSONLocked(st, c.user)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// handleStatusSource answers the source of the caller's own status: the
// text as typed, for an edit form.
func (s *Server) handleStatusSource(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[r.PathValue("id")]
	if st == nil || st.deleted || !s.visibleLocked(st, c.user) {
		s.notFound(w)
		return
	}
	if st.author != c.user {
		s.writeError(w, http.StatusForbidden, "This action is not allowed")
		return
	}
	writeJSON(w, http.StatusOK, apiStatusSource{ID: st.id, Text: st.text, SpoilerText: st.spoiler})
}

// handleStatusHistory answers every version of a status, oldest first; a
// status never edited has one.
func (s *Server) handleStatusHistory(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[r.PathValue("id")]
	if st == nil || st.deleted || !s.visibleLocked(st, c.user) {
		s.notFound(w)
		return
	}
	versions := st.history
	if len(versions) == 0 {
		versions = []snapshot{st.snapshot(st.created)}
	}
	out := make([]apiStatusEdit, 0, len(versions))
	for _, v := range versions {
		e := apiStatusEdit{Content: v.content, SpoilerText: v.spoiler, Sensitive: v.sensitive, CreatedAt: formatTime(v.at),
			Account: s.accountJSONLocked(st.author.acct), MediaAttachments: []apiMedia{}, Emojis: []apiEmoji{}}
		for _, m := range v.media {
			e.MediaAttachments = append(e.MediaAttachments, s.mediaJSONLocked(m))
		}
		for _, code := range v.emojis {
			e.Emojis = append(e.Emojis, s.emojiJSON(code))
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

// inputFrom reads a create or edit request's parameters.
func inputFrom(p *params) postInput {
	in := postInput{
		text:       p.get("status"),
		spoiler:    p.get("spoiler_text"),
		visibility: p.get("visibility"),
		language:   p.get("language"),
		replyTo:    p.get("in_reply_to_id"),
		quoteOf:    p.get("quoted_status_id"),
		mediaIDs:   p.strings("media_ids"),
		mediaAttrs: p.attrs,
	}
	in.sensitive, in.sensitiveSet = p.boolean("sensitive")
	return in
}

func (s *Server) handleStatusCreate(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	in := inputFrom(p)
	in.app = c.tok.app
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	idemKey := c.user.ID + "\x00" + key
	if key != "" && s.opt.Flavor == Mastodon {
		if e, ok := s.idem[idemKey]; ok && now.Sub(e.at) < time.Hour {
			st := s.statuses[e.statusID]
			if st == nil || st.deleted {
				s.notFound(w)
				return
			}
			writeJSON(w, http.StatusOK, s.statusJSONLocked(st, c.user))
			return
		}
	}
	st, aerr := s.createLocked(c.user, in)
	if aerr != nil {
		s.writeError(w, aerr.status, aerr.msg)
		return
	}
	if key != "" && s.opt.Flavor == Mastodon {
		s.idem[idemKey] = idemEntry{statusID: st.id, at: now}
	}
	writeJSON(w, http.StatusOK, s.statusJSONLocked(st, c.user))
}

func (s *Server) handleStatusEdit(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	in := inputFrom(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, aerr := s.editLocked(c.user, r.PathValue("id"), in)
	if aerr != nil {
		s.writeError(w, aerr.status, aerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSONLocked(st, c.user))
}

func (s *Server) handleStatusDelete(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, aerr := s.deleteLocked(c.user, r.PathValue("id"))
	if aerr != nil {
		s.writeError(w, aerr.status, aerr.msg)
		return
	}
	body := s.statusJSONLocked(st, c.user)
	if st.reblogOf == nil {
		body.Text = strPtr(st.text) // the source, for "delete and redraft"
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleReblog(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rb, aerr := s.reblogLocked(c.user, r.PathValue("id"), p.get("visibility"))
	if aerr != nil {
		s.writeError(w, aerr.status, aerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSONLocked(rb, c.user))
}

func (s *Server) handleUnreblog(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	orig, aerr := s.unreblogLocked(c.user, r.PathValue("id"))
	if aerr != nil {
		s.writeError(w, aerr.status, aerr.msg)
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSONLocked(orig, c.user))
}
