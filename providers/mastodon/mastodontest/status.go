package mastodontest

import (
	"fmt"
	"strings"
	"time"
)

// status is one status (post or reblog) as the server holds it.
type status struct {
	id         string
	author     *User
	text       string // the source text as typed (stripped, \r\n → \n)
	spoiler    string
	sensitive  bool
	visibility string
	language   string
	replyTo    *status // nil when not a reply
	reblogOf   *status // nil unless a reblog
	quoteOf    *status
	media      []*media
	created    time.Time
	edited     time.Time // zero until edited
	editCount  int
	deleted    bool
	r          rendered
	app        *app
	replies    int
	quotes     int               // live statuses quoting this one
	reblogs    map[*User]*status // live reblogs of this status, by reblogger
	history    []snapshot        // every version once edited, oldest first
}

// snapshot is one version of an edited status, for its history.
type snapshot struct {
	content, spoiler string
	sensitive        bool
	media            []*media
	emojis           []string
	at               time.Time
}

func (st *status) snapshot(at time.Time) snapshot {
	return snapshot{content: st.r.content, spoiler: st.spoiler, sensitive: st.sensitive,
		media: append([]*media(nil), st.media...), emojis: st.r.emojis, at: at}
}

// apiErr is an answer other than success from the shared logic.
type apiErr struct {
	status int
	msg    string
}

func (e *apiErr) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.msg) }

// postInput is a new status or an edit, from the API or from the helpers.
type postInput struct {
	text         string
	spoiler      string
	sensitive    bool
	sensitiveSet bool
	visibility   string
	language     string
	replyTo      string
	quoteOf      string
	mediaIDs     []string
	mediaAttrs   []map[string]string
	app          *app
}

var visibilities = map[string]bool{"public": true, "unlisted": true, "private": true, "direct": true}

// normalizeText is what the server does to typed text before storing it:
// line endings unified, surrounding whitespace stripped.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// ---- create ----

// createLocked validates and stores a new status for u, in the order the
// real server checks things, and streams it.
func (s *Server) createLocked(u *User, in postInput) (*status, *apiErr) {
	gts := s.opt.Flavor == GoToSocial
	var parent *status
	if in.replyTo != "" {
		parent = s.statuses[in.replyTo]
		if parent == nil || parent.deleted || !s.visibleLocked(parent, u) || parent.reblogOf != nil {
			if gts {
				return nil, &apiErr{404, "target status not found"}
			}
			return nil, &apiErr{404, "The post you are trying to reply to does not appear to exist."}
		}
	}
	var quoted *status
	if in.quoteOf != "" && !gts { // GoToSocial 0.19 has no quote posts
		quoted = s.statuses[in.quoteOf]
		if quoted == nil || quoted.deleted || !s.visibleLocked(quoted, u) || quoted.reblogOf != nil {
			return nil, s.notFoundErr()
		}
	}
	atts, err := s.mediaForLocked(u, nil, in.mediaIDs)
	if err != nil {
		return nil, err
	}
	text := normalizeText(in.text)
	spoiler := strings.TrimSpace(in.spoiler)
	sensitive := in.sensitive
	if !gts {
		// PostStatusService: a spoiler text makes the status sensitive, and
		// a status with a spoiler text but no text posts the spoiler as
		// its text.
		if spoiler != "" {
			sensitive = true
		}
		if text == "" && spoiler != "" {
			text, spoiler = normalizeText(in.spoiler), ""
		}
	}
	vis := in.visibility
	if vis == "" {
		vis = "public"
		if gts {
			vis = "unlisted"
		}
	}
	if !visibilities[vis] {
		if gts {
			return nil, &apiErr{400, "invalid visibility"}
		}
		return nil, &apiErr{422, "Validation failed: Visibility is not included in the list"}
	}
	if err := s.validateTextLocked(text, spoiler, len(atts) > 0); err != nil {
		return nil, err
	}
	lang := in.language
	if !validLanguage(lang) {
		lang = "en"
	}
	now := s.opt.Now()
	st := &status{
		id:         s.ids.next(now),
		author:     u,
		text:       text,
		spoiler:    spoiler,
		sensitive:  sensitive,
		visibility: vis,
		language:   lang,
		replyTo:    parent,
		quoteOf:    quoted,
		media:      atts,
		created:    now,
		app:        in.app,
		reblogs:    map[*User]*status{},
	}
	st.r = render(s.opt.Flavor, s.opt.Domain, text, s.resolveLocked, func(c string) bool { return s.emojis[c] })
	for _, m := range atts {
		m.status = st
	}
	if parent != nil {
		parent.replies++
	}
	if quoted != nil {
		quoted.quotes++
	}
	s.statuses[st.id] = st
	s.live++
	u.statuses = append(u.statuses, st)
	s.streamLocked(u, "update", s.statusJSONLocked(st, u))
	return st, nil
}

func (s *Server) notFoundErr() *apiErr {
	if s.opt.Flavor == GoToSocial {
		return &apiErr{404, ""}
	}
	return &apiErr{404, "Record not found"}
}

func validLanguage(l string) bool {
	if len(l) != 2 && len(l) != 3 {
		return false
	}
	for _, c := range l {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// validateTextLocked applies the blank and length validations.
func (s *Server) validateTextLocked(text, spoiler string, hasMedia bool) *apiErr {
	if s.opt.Flavor == GoToSocial {
		if text == "" && spoiler == "" && !hasMedia {
			return &apiErr{400, "no status content, content warning, media, or poll provided"}
		}
		if n := countLength(s.opt.Flavor, text, spoiler, s.opt.urlLength()); n > s.opt.MaxCharacters {
			return &apiErr{400, fmt.Sprintf("status too long, %d characters provided (including content warning) but limit is %d", n, s.opt.MaxCharacters)}
		}
		return nil
	}
	if text == "" && !hasMedia {
		return &apiErr{422, "Validation failed: Text can't be blank"}
	}
	if countLength(s.opt.Flavor, text, spoiler, s.opt.urlLength()) > s.opt.MaxCharacters {
		return &apiErr{422, fmt.Sprintf("Validation failed: Text character limit of %d exceeded", s.opt.MaxCharacters)}
	}
	return nil
}

// mediaForLocked resolves media IDs for a status of u's: unattached media
// of u's, or media already on status st (an edit).
func (s *Server) mediaForLocked(u *User, st *status, ids []string) ([]*media, *apiErr) {
	gts := s.opt.Flavor == GoToSocial
	if len(ids) > s.opt.MaxMediaAttachments {
		if gts {
			return nil, &apiErr{400, fmt.Sprintf("too many media files attached to status, %d attached but limit is %d", len(ids), s.opt.MaxMediaAttachments)}
		}
		return nil, &apiErr{422, fmt.Sprintf("Cannot attach more than %d files", s.opt.MaxMediaAttachments)}
	}
	var out []*media
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		m := s.media[id]
		if m == nil || m.owner != u || (m.status != nil && m.status != st) {
			missing = append(missing, id)
			continue
		}
		out = append(out, m)
	}
	if len(missing) > 0 {
		if gts {
			return nil, &apiErr{400, "media attachment " + missing[0] + " not found"}
		}
		return nil, &apiErr{422, fmt.Sprintf("Media %s not found or already attached to another post", strings.Join(missing, ", "))}
	}
	if len(out) > 1 {
		for _, m := range out {
			if m.typ == "video" || m.typ == "gifv" || m.typ == "audio" {
				if gts {
					break
				}
				return nil, &apiErr{422, "Cannot attach a video to a post that already contains images"}
			}
		}
	}
	for _, m := range out {
		if !s.processedLocked(m) {
			return nil, &apiErr{422, "Cannot attach files that have not finished processing. Try again in a moment!"}
		}
	}
	return out, nil
}

// ---- edit ----

// editLocked applies an edit the way UpdateStatusService does: text,
// spoiler text, sensitive and media are replaced by what is sent (absent
// media_ids remove the media), language kept unless sent.
func (s *Server) editLocked(u *User, id string, in postInput) (*status, *apiErr) {
	st := s.statuses[id]
	if st == nil || st.deleted || !s.visibleLocked(st, u) {
		return nil, s.notFoundErr()
	}
	if st.author != u || st.reblogOf != nil {
		if s.opt.Flavor == GoToSocial {
			return nil, &apiErr{403, "status does not belong to requester"}
		}
		return nil, &apiErr{403, "This action is not allowed"}
	}
	atts, err := s.mediaForLocked(u, st, in.mediaIDs)
	if err != nil {
		return nil, err
	}
	text := normalizeText(in.text)
	spoiler := strings.TrimSpace(in.spoiler)
	if err := s.validateTextLocked(text, spoiler, len(atts) > 0); err != nil {
		return nil, err
	}
	for _, a := range in.mediaAttrs {
		m := s.media[a["id"]]
		if m == nil || !hasMedia(atts, m) {
			continue
		}
		if d, ok := a["description"]; ok {
			if len([]rune(d)) > descriptionLimit {
				return nil, &apiErr{422, fmt.Sprintf("Validation failed: Description is too long (maximum is %d characters)", descriptionLimit)}
			}
		}
	}
	changed := text != st.text || spoiler != st.spoiler || !sameMedia(atts, st.media)
	sensitive := st.sensitive
	if in.sensitiveSet {
		sensitive = in.sensitive
	}
	if s.opt.Flavor == Mastodon && spoiler != "" {
		sensitive = true
	}
	changed = changed || sensitive != st.sensitive
	lang := st.language
	if validLanguage(in.language) {
		changed = changed || in.language != lang
		lang = in.language
	}
	for _, a := range in.mediaAttrs {
		m := s.media[a["id"]]
		if m == nil || !hasMedia(atts, m) {
			continue
		}
		if d, ok := a["description"]; ok && d != m.description {
			m.description = d
			changed = true
		}
		if f, ok := a["focus"]; ok {
			if x, y, ok := parseFocus(f); ok && (x != m.focusX || y != m.focusY || !m.hasFocus) {
				m.focusX, m.focusY, m.hasFocus = x, y, true
				changed = true
			}
		}
	}
	if !changed {
		return st, nil
	}
	if len(st.history) == 0 {
		st.history = append(st.history, st.snapshot(st.created))
	}
	for _, m := range st.media {
		if !hasMedia(atts, m) {
			m.status = nil
		}
	}
	for _, m := range atts {
		m.status = st
	}
	st.text, st.spoiler, st.sensitive, st.language, st.media = text, spoiler, sensitive, lang, atts
	st.r = render(s.opt.Flavor, s.opt.Domain, text, s.resolveLocked, func(c string) bool { return s.emojis[c] })
	st.edited = s.opt.Now()
	st.editCount++
	st.history = append(st.history, st.snapshot(st.edited))
	s.streamLocked(u, "status.update", s.statusJSONLocked(st, u))
	return st, nil
}

func hasMedia(ms []*media, m *media) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

func sameMedia(a, b []*media) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---- delete ----

// deleteLocked removes a status of u's (and every reblog of it) and
// streams the deletes.
func (s *Server) deleteLocked(u *User, id string) (*status, *apiErr) {
	st := s.statuses[id]
	if st == nil || st.deleted || st.author != u {
		// Mastodon looks the status up among the caller's own.
		return nil, s.notFoundErr()
	}
	s.removeLocked(st)
	return st, nil
}

func (s *Server) removeLocked(st *status) {
	st.deleted = true
	s.live--
	u := st.author
	for i, x := range u.statuses {
		if x == st {
			u.statuses = append(u.statuses[:i:i], u.statuses[i+1:]...)
			break
		}
	}
	if st.replyTo != nil {
		st.replyTo.replies--
	}
	if st.quoteOf != nil {
		st.quoteOf.quotes--
	}
	if st.reblogOf != nil {
		delete(st.reblogOf.reblogs, u)
	}
	for _, rb := range st.reblogs {
		s.removeLocked(rb)
	}
	s.streamLocked(u, "delete", st.id)
}

// ---- reblog ----

func (s *Server) reblogLocked(u *User, id, visibility string) (*status, *apiErr) {
	orig := s.statuses[id]
	if orig == nil || orig.deleted || !s.visibleLocked(orig, u) {
		return nil, s.notFoundErr()
	}
	if orig.reblogOf != nil {
		orig = orig.reblogOf
	}
	if orig.visibility == "direct" || orig.visibility == "private" && orig.author != u {
		if s.opt.Flavor == GoToSocial {
			return nil, &apiErr{403, "status is not boostable"}
		}
		return nil, &apiErr{403, "This action is not allowed"}
	}
	if rb, ok := orig.reblogs[u]; ok {
		return rb, nil
	}
	if visibility == "" {
		visibility = "public"
	}
	if !visibilities[visibility] {
		return nil, &apiErr{422, "Validation failed: Visibility is not included in the list"}
	}
	now := s.opt.Now()
	rb := &status{
		id:         s.ids.next(now),
		author:     u,
		visibility: visibility,
		reblogOf:   orig,
		created:    now,
		reblogs:    map[*User]*status{},
	}
	orig.reblogs[u] = rb
	s.statuses[rb.id] = rb
	s.live++
	u.statuses = append(u.statuses, rb)
	s.streamLocked(u, "update", s.statusJSONLocked(rb, u))
	return rb, nil
}

func (s *Server) unreblogLocked(u *User, id string) (*status, *apiErr) {
	orig := s.statuses[id]
	if orig == nil || orig.deleted || !s.visibleLocked(orig, u) {
		return nil, s.notFoundErr()
	}
	if orig.reblogOf != nil {
		orig = orig.reblogOf
	}
	if rb, ok := orig.reblogs[u]; ok {
		s.removeLocked(rb)
	}
	return orig, nil
}

// visibleLocked reports whether viewer (nil: anonymous) may see st. The
// fake has no follows: private and direct statuses are the author's own
// (and, for direct, those it mentions).
func (s *Server) visibleLocked(st *status, viewer *User) bool {
	switch st.visibility {
	case "public", "unlisted":
		return true
	}
	if viewer == nil {
		return false
	}
	if st.author == viewer {
		return true
	}
	for _, a := range st.r.mentions {
		if a.user == viewer {
			return true
		}
	}
	return false
}

// ---- JSON ----

func strPtr(s string) *string { return &s }
func boolPtr(b bool) *bool    { return &b }

func (s *Server) accountJSONLocked(a *account) apiAccount {
	avatar := s.URL() + "/avatars/original/missing.png"
	header := s.URL() + "/headers/original/missing.png"
	out := apiAccount{
		ID:              a.id,
		Username:        a.username,
		Acct:            a.acct,
		DisplayName:     a.username,
		Discoverable:    true,
		Indexable:       true,
		CreatedAt:       formatTime(a.created.UTC().Truncate(24 * time.Hour)),
		URL:             a.url,
		URI:             a.uri,
		Avatar:          avatar,
		AvatarStatic:    avatar,
		Header:          header,
		HeaderStatic:    header,
		HideCollections: boolPtr(false),
		Emojis:          []apiEmoji{},
		Roles:           []any{},
		Fields:          []apiField{},
	}
	if u := a.user; u != nil {
		out.DisplayName = u.displayName()
		out.StatusesCount = len(u.statuses)
		if n := len(u.statuses); n > 0 {
			d := u.statuses[n-1].created.UTC().Format("2006-01-02")
			out.LastStatusAt = &d
		}
		if s.opt.Flavor == Mastodon {
			out.Noindex = boolPtr(false)
		}
	}
	return out
}

func (s *Server) credentialAccountJSONLocked(u *User) apiAccount {
	a := s.accountJSONLocked(u.acct)
	priv := "public"
	if s.opt.Flavor == GoToSocial {
		priv = "unlisted"
	}
	a.Source = &apiSource{Privacy: priv, Language: "en", Fields: []apiField{}, Indexable: true, Discoverable: true, AttributionDomains: []string{}}
	a.Role = &apiRole{ID: "-99", Name: "", Permissions: "0", Color: "", Highlighted: false}
	return a
}

func (s *Server) emojiJSON(code string) apiEmoji {
	u := s.URL() + "/system/custom_emojis/images/" + code + ".png"
	return apiEmoji{Shortcode: code, URL: u, StaticURL: u, VisibleInPicker: true}
}

// statusURL is a status's web page: /@user/ID on Mastodon,
// /@user/statuses/ID on GoToSocial.
func (s *Server) statusURL(st *status) string {
	if s.opt.Flavor == GoToSocial {
		return st.author.acct.url + "/statuses/" + st.id
	}
	return st.author.acct.url + "/" + st.id
}

// statusJSONLocked renders st as viewer sees it (viewer may be nil).
func (s *Server) statusJSONLocked(st *status, viewer *User) apiStatus {
	return s.statusJSONDepth(st, viewer, 0)
}

// statusJSONDepth renders st at a quoting depth: 0 for a status itself, 1
// for the status it quotes.
func (s *Server) statusJSONDepth(st *status, viewer *User, depth int) apiStatus {
	out := apiStatus{
		ID:               st.id,
		CreatedAt:        formatTime(st.created),
		Sensitive:        st.sensitive,
		SpoilerText:      st.spoiler,
		Visibility:       st.visibility,
		URI:              st.author.acct.uri + "/statuses/" + st.id,
		URL:              strPtr(s.statusURL(st)),
		RepliesCount:     st.replies,
		ReblogsCount:     len(st.reblogs),
		QuotesCount:      st.quotes,
		Content:          st.r.content,
		Account:          s.accountJSONLocked(st.author.acct),
		MediaAttachments: []apiMedia{},
		Mentions:         []apiMention{},
		Tags:             []apiTag{},
		Emojis:           []apiEmoji{},
	}
	if st.reblogOf != nil {
		out.URI = st.author.acct.uri + "/statuses/" + st.id + "/activity"
		out.URL = nil
		inner := s.statusJSONDepth(st.reblogOf, viewer, depth)
		out.Reblog = &inner
		out.Sensitive = false
	} else {
		out.Language = strPtr(st.language)
	}
	if st.replyTo != nil {
		out.InReplyToID = strPtr(st.replyTo.id)
		out.InReplyToAccountID = strPtr(st.replyTo.author.ID)
	}
	if !st.edited.IsZero() {
		out.EditedAt = strPtr(formatTime(st.edited))
	}
	if viewer != nil {
		_, reblogged := st.reblogs[viewer]
		out.Favourited, out.Reblogged, out.Muted, out.Bookmarked = boolPtr(false), boolPtr(reblogged), boolPtr(false), boolPtr(false)
		if st.author == viewer {
			out.Pinned = boolPtr(false)
		}
		out.Filtered = []any{}
	}
	if st.app != nil && st.author == viewer && st.reblogOf == nil {
		out.Application = &apiApplication{Name: st.app.name, Website: st.app.website}
	}
	for _, m := range st.media {
		out.MediaAttachments = append(out.MediaAttachments, s.mediaJSONLocked(m))
	}
	for _, a := range st.r.mentions {
		out.Mentions = append(out.Mentions, apiMention{ID: a.id, Username: a.username, URL: a.url, Acct: a.acct})
	}
	for _, t := range st.r.tags {
		out.Tags = append(out.Tags, apiTag{Name: t, URL: tagURL(s.opt.Domain, t)})
	}
	for _, e := range st.r.emojis {
		out.Emojis = append(out.Emojis, s.emojiJSON(e))
	}
	if q := st.quoteOf; q != nil {
		switch {
		case q.deleted:
			out.Quote = &apiQuote{State: "deleted"}
		case depth > 0:
			// Mastodon shows a quote inside a quoted status by ID only.
			out.Quote = &apiShallowQuote{State: "accepted", QuotedStatusID: strPtr(q.id)}
		default:
			inner := s.statusJSONDepth(q, viewer, depth+1)
			out.Quote = &apiQuote{State: "accepted", QuotedStatus: &inner}
		}
	}
	return out
}
