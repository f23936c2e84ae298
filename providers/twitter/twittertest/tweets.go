package twittertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Field and expansion names each endpoint accepts, from the spec's
// parameter enums.
var (
	tweetFields = []string{"article", "attachments", "author_id", "card_uri", "community_id", "context_annotations", "conversation_id", "created_at",
		"display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang", "media_metadata",
		"non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets",
		"reply_settings", "scopes", "source", "suggested_source_links", "suggested_source_links_with_counts", "text", "withheld"}
	tweetExpansions = []string{"article.cover_media", "article.media_entities", "attachments.media_keys", "attachments.media_source_tweet",
		"attachments.poll_ids", "author_id", "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id", "in_reply_to_user_id",
		"entities.note.mentions.username", "referenced_tweets.id", "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id"}
	mediaFields = []string{"alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics", "preview_image_url",
		"promoted_metrics", "public_metrics", "type", "url", "variants", "width"}
	userFields = []string{"affiliation", "confirmed_email", "connection_status", "created_at", "description", "entities", "id",
		"is_identity_verified", "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id", "profile_banner_url",
		"profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscription", "subscription_type", "url", "username",
		"verified", "verified_followers_count", "verified_type", "withheld"}
	userExpansions = []string{"affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"}
	pollFields     = []string{"duration_minutes", "end_datetime", "id", "options", "voting_status"}
	placeFields    = []string{"contained_within", "country", "country_code", "full_name", "geo", "id", "name", "place_type"}
)

// lookupParams are the query parameters of the post lookups.
var lookupParams = []string{"tweet.fields", "expansions", "media.fields", "poll.fields", "user.fields", "place.fields"}

// parseList reads a comma-separated list parameter and checks every value
// against allowed, as X does.
func parseList(q url.Values, name string, allowed []string) (map[string]bool, *fieldError) {
	vs, ok := q[name]
	if !ok {
		return map[string]bool{}, nil
	}
	out := map[string]bool{}
	var bad []string
	for _, v := range strings.Split(vs[0], ",") {
		if !oneOf(v, allowed...) {
			bad = append(bad, v)
			continue
		}
		out[v] = true
	}
	if len(bad) > 0 {
		return nil, &fieldError{
			Parameters: map[string][]string{name: vs},
			Message:    fmt.Sprintf("The `%s` query parameter value [%s] is not one of [%s]", name, strings.Join(bad, ","), strings.Join(allowed, ",")),
		}
	}
	return out, nil
}

// renderer turns posts into X's JSON, with the fields and expansions one
// request asked for, and gathers the includes.
type renderer struct {
	s                *Server
	tf, mf, uf, exp  map[string]bool
	users            []*User
	seenUsers        map[string]bool
	tweets           []*tweet
	seenTweets       map[string]bool
	media            []*media
	seenMedia        map[string]bool
	errors           []problem
	primary          map[string]bool
	userExpansionsOK bool
}

// newRenderer reads the field and expansion parameters; tweetExp says
// whether expansions are the post expansions (else the user ones).
func (s *Server) newRenderer(w http.ResponseWriter, q url.Values, tweetExp bool) (*renderer, bool) {
	rd := &renderer{s: s, seenUsers: map[string]bool{}, seenTweets: map[string]bool{}, seenMedia: map[string]bool{}, primary: map[string]bool{}}
	var errs []fieldError
	var fe *fieldError
	if rd.tf, fe = parseList(q, "tweet.fields", tweetFields); fe != nil {
		errs = append(errs, *fe)
	}
	if rd.mf, fe = parseList(q, "media.fields", mediaFields); fe != nil {
		errs = append(errs, *fe)
	}
	if rd.uf, fe = parseList(q, "user.fields", userFields); fe != nil {
		errs = append(errs, *fe)
	}
	exp := tweetExpansions
	if !tweetExp {
		exp = userExpansions
	}
	if rd.exp, fe = parseList(q, "expansions", exp); fe != nil {
		errs = append(errs, *fe)
	}
	if _, fe = parseList(q, "poll.fields", pollFields); fe != nil {
		errs = append(errs, *fe)
	}
	if _, fe = parseList(q, "place.fields", placeFields); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		s.invalidRequest(w, errs...)
		return nil, false
	}
	return rd, true
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func (rd *renderer) addUser(u *User) {
	if u != nil && !rd.seenUsers[u.id] {
		rd.seenUsers[u.id] = true
		rd.users = append(rd.users, u)
	}
}

func (rd *renderer) addTweet(t *tweet) {
	if t != nil && !rd.seenTweets[t.id] && !rd.primary[t.id] {
		rd.seenTweets[t.id] = true
		rd.tweets = append(rd.tweets, t)
	}
}

func (rd *renderer) addMedia(ms []*media) {
	for _, m := range ms {
		if !rd.seenMedia[m.key] {
			rd.seenMedia[m.key] = true
			rd.media = append(rd.media, m)
		}
	}
}

// refs lists what a post refers to, as referenced_tweets.
func refs(t *tweet) [][2]any {
	var out [][2]any
	if t.retweetOf != nil {
		out = append(out, [2]any{"retweeted", t.retweetOf})
	}
	if t.quote != nil {
		out = append(out, [2]any{"quoted", t.quote})
	}
	if t.replyTo != nil {
		out = append(out, [2]any{"replied_to", t.replyTo})
	}
	return out
}

// expand gathers the includes a primary post asks for.
func (rd *renderer) expand(t *tweet) {
	s := rd.s
	if rd.exp["author_id"] {
		rd.addUser(t.author)
	}
	if rd.exp["in_reply_to_user_id"] && t.replyTo != nil {
		rd.addUser(t.replyTo.author)
	}
	if rd.exp["attachments.media_keys"] {
		rd.addMedia(t.media)
	}
	if rd.exp["entities.mentions.username"] {
		for _, m := range rd.mentions(t) {
			if u := s.users[strings.ToLower(m.value)]; u != nil {
				rd.addUser(u)
			}
		}
	}
	if rd.exp["edit_history_tweet_ids"] {
		for _, id := range t.chain.ids {
			if id != t.id {
				rd.addTweet(s.tweets[id])
			}
		}
	}
	if rd.exp["referenced_tweets.id"] || rd.exp["referenced_tweets.id.author_id"] || rd.exp["referenced_tweets.id.attachments.media_keys"] {
		for _, ref := range refs(t) {
			r := ref[1].(*tweet)
			if r.deleted {
				if rd.exp["referenced_tweets.id"] {
					pr := s.notFoundProblem("referenced_tweets.id", r.id, "tweet")
					pr["detail"] = fmt.Sprintf("Could not find tweet with referenced_tweets.id: [%s].", r.id)
					rd.errors = append(rd.errors, pr)
				}
				continue
			}
			if rd.exp["referenced_tweets.id"] {
				rd.addTweet(r)
			}
			if rd.exp["referenced_tweets.id.author_id"] {
				rd.addUser(r.author)
			}
			if rd.exp["referenced_tweets.id.attachments.media_keys"] {
				rd.addMedia(r.media)
			}
		}
	}
}

// mentions finds the @handles X links in a post's text (outside its URLs).
func (rd *renderer) mentions(t *tweet) []span {
	var urls []span
	for _, e := range t.urls {
		urls = append(urls, span{e.start, e.end, ""})
	}
	var out []span
	for _, m := range findMentions(t.text) {
		if !inside(urls, m.start, m.end) {
			out = append(out, m)
		}
	}
	return out
}

// tweetJSON renders one post with the requested fields. Entity indices are
// code points of the unescaped text, as in X's v2 answers; "text" itself is
// HTML-escaped ('&', '<', '>') as X sends it.
func (rd *renderer) tweetJSON(t *tweet) map[string]any {
	s := rd.s
	o := map[string]any{
		"id":   t.id,
		"text": escapeText(t.text),
		// Every version lists the whole chain, oldest first: a reader can
		// tell an outdated version by its last entry.
		"edit_history_tweet_ids": append([]string(nil), t.chain.ids...),
	}
	f := rd.tf
	if f["attachments"] && len(t.media) > 0 {
		keys := make([]string, len(t.media))
		for i, m := range t.media {
			keys[i] = m.key
		}
		o["attachments"] = map[string]any{"media_keys": keys}
	}
	if f["author_id"] {
		o["author_id"] = t.author.id
	}
	if f["conversation_id"] {
		o["conversation_id"] = t.convID
	}
	if f["created_at"] {
		o["created_at"] = t.created.UTC().Format(timeFormat)
	}
	if f["edit_controls"] {
		// Edit controls belong to the chain: every version shows the same,
		// as in X's documented example.
		until := t.chain.first.Add(s.opt.EditWindow)
		left := maxEdits - (len(t.chain.ids) - 1)
		if !t.editEligible() {
			left = 0
		}
		o["edit_controls"] = map[string]any{
			"edits_remaining":  left,
			"is_edit_eligible": t.editEligible(),
			"editable_until":   until.UTC().Format(timeFormat),
		}
	}
	if f["entities"] {
		if ents := rd.entities(t); len(ents) > 0 {
			o["entities"] = ents
		}
	}
	if f["in_reply_to_user_id"] && t.replyTo != nil {
		o["in_reply_to_user_id"] = t.replyTo.author.id
	}
	if f["lang"] {
		o["lang"] = "und"
	}
	if f["possibly_sensitive"] {
		o["possibly_sensitive"] = t.sensitive
	}
	if f["public_metrics"] {
		o["public_metrics"] = map[string]any{"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0, "impression_count": 0, "bookmark_count": 0}
	}
	if f["referenced_tweets"] {
		var rs []map[string]any
		for _, ref := range refs(t) {
			rs = append(rs, map[string]any{"type": ref[0], "id": ref[1].(*tweet).id})
		}
		if len(rs) > 0 {
			o["referenced_tweets"] = rs
		}
	}
	if f["reply_settings"] {
		rs := t.replySettings
		if rs == "" {
			rs = "everyone"
		}
		o["reply_settings"] = rs
	}
	if f["display_text_range"] {
		end := cp(t.text, len(t.text))
		if len(t.media) > 0 && len(t.urls) > 0 {
			last := t.urls[len(t.urls)-1]
			end = cp(t.text, last.start)
			if end > 0 && strings.HasSuffix(t.text[:last.start], " ") {
				end--
			}
		}
		o["display_text_range"] = []int{0, end}
	}
	return o
}

func (rd *renderer) entities(t *tweet) map[string]any {
	out := map[string]any{}
	var urls []map[string]any
	var spans []span
	for _, e := range t.urls {
		spans = append(spans, span{e.start, e.end, ""})
		u := map[string]any{
			"start":        cp(t.text, e.start),
			"end":          cp(t.text, e.end),
			"url":          e.tco,
			"expanded_url": e.expanded,
			"display_url":  e.display,
		}
		if e.mediaKey != "" {
			u["media_key"] = e.mediaKey
		}
		urls = append(urls, u)
	}
	if len(urls) > 0 {
		out["urls"] = urls
	}
	var mentions []map[string]any
	for _, m := range rd.mentions(t) {
		e := map[string]any{"start": cp(t.text, m.start), "end": cp(t.text, m.end), "username": m.value}
		if u := rd.s.users[strings.ToLower(m.value)]; u != nil {
			e["id"] = u.id
			e["username"] = u.username
		}
		mentions = append(mentions, e)
	}
	if len(mentions) > 0 {
		out["mentions"] = mentions
	}
	var tags []map[string]any
	for _, h := range findHashtags(t.text) {
		if !inside(spans, h.start, h.end) {
			tags = append(tags, map[string]any{"start": cp(t.text, h.start), "end": cp(t.text, h.end), "tag": h.value})
		}
	}
	if len(tags) > 0 {
		out["hashtags"] = tags
	}
	return out
}

func (rd *renderer) userJSON(u *User) map[string]any {
	o := map[string]any{"id": u.id, "name": u.name, "username": u.username}
	f := rd.uf
	if f["created_at"] {
		o["created_at"] = u.created.UTC().Format(timeFormat)
	}
	if f["description"] {
		o["description"] = ""
	}
	if f["location"] {
		o["location"] = ""
	}
	if f["profile_image_url"] {
		o["profile_image_url"] = rd.s.ts.URL + "/media/profile/" + u.id + "_normal.png"
	}
	if f["protected"] {
		o["protected"] = false
	}
	if f["verified"] {
		o["verified"] = false
	}
	if f["verified_type"] {
		o["verified_type"] = "none"
	}
	if f["url"] {
		o["url"] = ""
	}
	if f["public_metrics"] {
		o["public_metrics"] = map[string]any{"followers_count": 0, "following_count": 0, "tweet_count": u.live, "listed_count": 0, "like_count": 0, "media_count": 0}
	}
	if f["most_recent_tweet_id"] {
		if t := newestLive(u); t != nil {
			o["most_recent_tweet_id"] = t.id
		}
	}
	return o
}

func newestLive(u *User) *tweet {
	for i := len(u.timeline) - 1; i >= 0; i-- {
		if u.timeline[i].live() {
			return u.timeline[i]
		}
	}
	return nil
}

func (rd *renderer) mediaJSON(m *media) map[string]any {
	s := rd.s
	o := map[string]any{"media_key": m.key, "type": m.typ}
	f := rd.mf
	if f["url"] && m.typ == "photo" {
		o["url"] = s.mediaURL(m)
	}
	if f["preview_image_url"] && m.typ != "photo" {
		o["preview_image_url"] = s.previewURL(m)
	}
	if f["variants"] && m.typ != "photo" {
		o["variants"] = s.variants(m)
	}
	if f["alt_text"] && m.alt != "" {
		o["alt_text"] = m.alt
	}
	if f["width"] {
		o["width"] = m.width
	}
	if f["height"] {
		o["height"] = m.height
	}
	if f["duration_ms"] && m.typ == "video" {
		o["duration_ms"] = 10000
	}
	return o
}

// includes renders the gathered expansions, or nil.
func (rd *renderer) includes() map[string]any {
	inc := map[string]any{}
	if len(rd.users) > 0 {
		us := make([]map[string]any, len(rd.users))
		for i, u := range rd.users {
			us[i] = rd.userJSON(u)
		}
		inc["users"] = us
	}
	if len(rd.tweets) > 0 {
		ts := make([]map[string]any, len(rd.tweets))
		for i, t := range rd.tweets {
			ts[i] = rd.tweetJSON(t)
		}
		inc["tweets"] = ts
	}
	if len(rd.media) > 0 {
		ms := make([]map[string]any, len(rd.media))
		for i, m := range rd.media {
			ms[i] = rd.mediaJSON(m)
		}
		inc["media"] = ms
	}
	if len(inc) == 0 {
		return nil
	}
	return inc
}

// answer renders data posts with their includes and errors.
func (rd *renderer) answer(ts []*tweet) map[string]any {
	for _, t := range ts {
		rd.primary[t.id] = true
	}
	data := make([]map[string]any, 0, len(ts))
	for _, t := range ts {
		data = append(data, rd.tweetJSON(t))
		rd.expand(t)
	}
	out := map[string]any{}
	if len(data) > 0 {
		out["data"] = data
	}
	if inc := rd.includes(); inc != nil {
		out["includes"] = inc
	}
	if len(rd.errors) > 0 {
		out["errors"] = rd.errors
	}
	return out
}

func (s *Server) badPathID(w http.ResponseWriter, name, v string) bool {
	if idPattern.MatchString(v) {
		return false
	}
	s.invalidParam(w, name, v, fmt.Sprintf("The `%s` path parameter value [%s] does not match ^[0-9]{1,19}$", name, v))
	return true
}

// ---- handlers ----

// handleMe is GET /2/users/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	q, ok := s.checkQuery(w, r, "user.fields", "expansions", "tweet.fields")
	if !ok {
		return
	}
	rd, ok := s.newRenderer(w, q, false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]any{"data": rd.userJSON(c.user)}
	if rd.exp["most_recent_tweet_id"] {
		if t := newestLive(c.user); t != nil {
			rd.addTweet(t)
		}
	}
	if inc := rd.includes(); inc != nil {
		out["includes"] = inc
	}
	writeJSON(w, http.StatusOK, out)
}

// handleTimeline is GET /2/users/{id}/tweets: the user's posts, newest
// first, between since_id and until_id, a page at a time.
func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if s.badPathID(w, "id", id) {
		return
	}
	q, ok := s.checkQuery(w, r, append([]string{"since_id", "until_id", "max_results", "pagination_token", "exclude", "start_time", "end_time"}, lookupParams...)...)
	if !ok {
		return
	}
	rd, ok := s.newRenderer(w, q, true)
	if !ok {
		return
	}
	var errs []fieldError
	bound := func(name string) uint64 {
		v, ok := q[name]
		if !ok {
			return 0
		}
		if !idPattern.MatchString(v[0]) {
			errs = append(errs, fieldError{Parameters: map[string][]string{name: v}, Message: fmt.Sprintf("The `%s` query parameter value [%s] does not match ^[0-9]{1,19}$", name, v[0])})
			return 0
		}
		n, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			errs = append(errs, fieldError{Parameters: map[string][]string{name: v}, Message: fmt.Sprintf("The `%s` query parameter value [%s] is not valid", name, v[0])})
		}
		return n
	}
	since, until := bound("since_id"), bound("until_id")
	max := 10
	if v, ok := q["max_results"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 5 || n > 100 {
			errs = append(errs, fieldError{Parameters: map[string][]string{"max_results": v}, Message: fmt.Sprintf("The `max_results` query parameter value [%s] is not between 5 and 100", v[0])})
		}
		max = n
	}
	var cursor uint64
	if v, ok := q["pagination_token"]; ok {
		n, err := strconv.ParseUint(strings.TrimPrefix(v[0], "7140d"), 36, 64)
		if err != nil || !strings.HasPrefix(v[0], "7140d") {
			errs = append(errs, fieldError{Parameters: map[string][]string{"pagination_token": v}, Message: fmt.Sprintf("The `pagination_token` query parameter value [%s] is not valid", v[0])})
		}
		cursor = n
	}
	exclude := map[string]bool{}
	if v, ok := q["exclude"]; ok {
		for _, e := range strings.Split(v[0], ",") {
			if e != "replies" && e != "retweets" {
				errs = append(errs, fieldError{Parameters: map[string][]string{"exclude": v}, Message: fmt.Sprintf("The `exclude` query parameter value [%s] is not one of [replies,retweets]", e)})
			}
			exclude[e] = true
		}
	}
	var startT, endT time.Time
	for name, dst := range map[string]*time.Time{"start_time": &startT, "end_time": &endT} {
		if v, ok := q[name]; ok {
			tm, err := time.Parse(time.RFC3339, v[0])
			if err != nil {
				errs = append(errs, fieldError{Parameters: map[string][]string{name: v}, Message: fmt.Sprintf("The `%s` query parameter value [%s] is not a valid RFC3339 date-time", name, v[0])})
			}
			*dst = tm
		}
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Message < errs[j].Message })
		s.invalidRequest(w, errs...)
		return
	}
	// As the spec says, since_id takes precedence over start_time and
	// until_id over end_time.
	if since != 0 {
		startT = time.Time{}
	}
	if until != 0 {
		endT = time.Time{}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.usersByID[id]
	if u == nil {
		p := s.notFoundProblem("id", id, "user")
		writeJSON(w, http.StatusOK, map[string]any{"errors": []problem{p}})
		return
	}
	upper := uint64(1<<64 - 1)
	if until != 0 {
		upper = until
	}
	if cursor != 0 && cursor < upper {
		upper = cursor
	}
	// X serves only the newest 3,200 posts of a timeline (800 when
	// replies are excluded): anything older is out of reach.
	if floor := reachFloor(u, exclude["replies"]); floor > since {
		since = floor
	}
	// Everything at or above upper is out; walk down from there.
	i := sort.Search(len(u.timeline), func(i int) bool { return u.timeline[i].n >= upper }) - 1
	match := func(t *tweet) bool {
		switch {
		case !t.live(),
			exclude["replies"] && t.replyTo != nil,
			exclude["retweets"] && t.retweetOf != nil,
			!startT.IsZero() && t.created.Before(startT),
			!endT.IsZero() && !t.created.Before(endT):
			return false
		}
		return true
	}
	var page []*tweet
	more := false
	for ; i >= 0 && u.timeline[i].n > since; i-- {
		t := u.timeline[i]
		if !match(t) {
			continue
		}
		if len(page) == max {
			more = true
			break
		}
		page = append(page, t)
	}
	out := rd.answer(page)
	meta := map[string]any{"result_count": len(page)}
	if len(page) > 0 {
		meta["newest_id"] = page[0].id
		meta["oldest_id"] = page[len(page)-1].id
		if more {
			meta["next_token"] = "7140d" + strconv.FormatUint(page[len(page)-1].n, 36)
		}
	}
	out["meta"] = meta
	writeJSON(w, http.StatusOK, out)
}

// Timeline reach X documents for GET /2/users/{id}/tweets.
const (
	timelineReach        = 3200
	timelineReachNoReply = 800
)

// reachFloor returns the ID just below the oldest post a timeline read can
// reach, or 0 when every post is in reach. It walks at most the reach.
func reachFloor(u *User, noReplies bool) uint64 {
	reach := timelineReach
	if noReplies {
		reach = timelineReachNoReply
	}
	if len(u.timeline) <= reach {
		return 0
	}
	seen := 0
	for i := len(u.timeline) - 1; i >= 0; i-- {
		t := u.timeline[i]
		if !t.live() || noReplies && t.replyTo != nil {
			continue
		}
		if seen++; seen == reach {
			return t.n - 1
		}
	}
	return 0
}

// handleTweet is GET /2/tweets/{id}. A missing or deleted post answers 200
// with a resource-not-found problem in "errors", as X does.
func (s *Server) handleTweet(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if s.badPathID(w, "id", id) {
		return
	}
	q, ok := s.checkQuery(w, r, lookupParams...)
	if !ok {
		return
	}
	rd, ok := s.newRenderer(w, q, true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tweets[id]
	if t == nil || t.deleted {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []problem{s.notFoundProblem("id", id, "tweet")}})
		return
	}
	out := rd.answer([]*tweet{t})
	out["data"] = out["data"].([]map[string]any)[0]
	writeJSON(w, http.StatusOK, out)
}

// handleTweets is GET /2/tweets?ids=…: up to 100 posts; the missing ones
// are problems in "errors".
func (s *Server) handleTweets(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	q, ok := s.checkQuery(w, r, append([]string{"ids"}, lookupParams...)...)
	if !ok {
		return
	}
	v, ok := q["ids"]
	if !ok || v[0] == "" {
		s.invalidParam(w, "ids", "", "The `ids` query parameter can not be empty")
		return
	}
	ids := strings.Split(v[0], ",")
	if len(ids) > 100 {
		s.invalidParam(w, "ids", v[0], fmt.Sprintf("The number of values in the `ids` query parameter list [%d] is not between 1 and 100", len(ids)))
		return
	}
	for _, id := range ids {
		if !idPattern.MatchString(id) {
			s.invalidParam(w, "ids", id, fmt.Sprintf("The `ids` query parameter value [%s] does not match ^[0-9]{1,19}$", id))
			return
		}
	}
	rd, ok := s.newRenderer(w, q, true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*tweet
	var missing []problem
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if t := s.tweets[id]; t != nil && !t.deleted {
			found = append(found, t)
		} else {
			missing = append(missing, s.notFoundProblem("ids", id, "tweet"))
		}
	}
	out := rd.answer(found)
	if len(missing) > 0 {
		errs, _ := out["errors"].([]problem)
		out["errors"] = append(missing, errs...)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCreate is POST /2/tweets: a post, a reply, a quote, or (with
// edit_options) an edit.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var body struct {
		Text  string `json:"text"`
		Reply *struct {
			InReplyTo string `json:"in_reply_to_tweet_id"`
		} `json:"reply"`
		Quote string `json:"quote_tweet_id"`
		Media *struct {
			IDs []string `json:"media_ids"`
		} `json:"media"`
		Poll          json.RawMessage `json:"poll"`
		Card          string          `json:"card_uri"`
		ReplySettings string          `json:"reply_settings"`
		EditOptions   *struct {
			Previous string `json:"previous_post_id"`
		} `json:"edit_options"`
	}
	if !s.decodeBody(w, r, c.body, createSchema, &body) {
		return
	}
	req := createReq{text: body.Text, quote: body.Quote, poll: body.Poll != nil, card: body.Card != "", replySettings: body.ReplySettings, viaAPI: true}
	if body.Reply != nil {
		req.replyTo = body.Reply.InReplyTo
	}
	if body.Media != nil {
		req.mediaIDs = body.Media.IDs
	}
	if body.EditOptions != nil {
		req.editOf = body.EditOptions.Previous
	}
	s.mu.Lock()
	t, rej := s.createLocked(c.user, req)
	var out map[string]any
	if rej == nil {
		out = map[string]any{"data": map[string]any{
			"id":                     t.id,
			"text":                   escapeText(t.text),
			"edit_history_tweet_ids": append([]string(nil), t.chain.ids...),
		}}
	}
	s.mu.Unlock()
	if rej != nil {
		rej.write(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// handleDelete is DELETE /2/tweets/{id}.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if s.badPathID(w, "id", id) {
		return
	}
	if _, ok := s.checkQuery(w, r); !ok {
		return
	}
	s.mu.Lock()
	rej := s.deleteLocked(c.user, id)
	s.mu.Unlock()
	if rej != nil {
		rej.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"deleted": true}})
}

// handleRetweet is POST /2/users/{id}/retweets.
func (s *Server) handleRetweet(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id := r.PathValue("id")
	if s.badPathID(w, "id", id) {
		return
	}
	if id != c.user.id {
		forbidden(w, "You are not permitted to perform this action.")
		return
	}
	var body struct {
		TweetID string `json:"tweet_id"`
	}
	if !s.decodeBody(w, r, c.body, retweetSchema, &body) {
		return
	}
	s.mu.Lock()
	rt, rej := s.retweetLocked(c.user, body.TweetID)
	s.mu.Unlock()
	if rej != nil {
		rej.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"id": rt.id, "retweeted": true}})
}

// handleUnretweet is DELETE /2/users/{id}/retweets/{source_tweet_id}.
// Undoing a retweet that does not exist is success: "retweeted": false.
func (s *Server) handleUnretweet(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	id, src := r.PathValue("id"), r.PathValue("source_tweet_id")
	if s.badPathID(w, "id", id) || s.badPathID(w, "source_tweet_id", src) {
		return
	}
	if id != c.user.id {
		forbidden(w, "You are not permitted to perform this action.")
		return
	}
	s.mu.Lock()
	s.unretweetLocked(c.user, src)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"retweeted": false}})
}
