package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/chelseru/chelseru-go/sms"
	"github.com/chelseru/chelseru-go/sms/outbox"
)

var (
	_ sms.LogStore = (*Store)(nil)
	_ outbox.Store = (*Store)(nil)
)

// The statements of the SMS log, the outbox and the rate limits.
type smsQueries struct {
	addSMS, getSMS, setSMSStatus                          string
	enqueue, claim, renew, finish, finishUntried, getItem string
	hit, sweepHits                                        string
}

func newSMSQueries(p string, postgres bool) smsQueries {
	lock := ""
	if postgres {
		// Two workers never claim one row: each skips the rows another
		// has locked. SQLite has one writer, so it needs nothing.
		lock = " FOR UPDATE SKIP LOCKED"
	}
	const outboxColumns = `id, receiver, text, template, params, secret, status, attempts, provider, message_id, last_error`
	return smsQueries{
		addSMS: `INSERT INTO ` + p + `sms_log (provider, receiver, text, template, params, status, message_id, error, parts, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		getSMS: `SELECT id, provider, receiver, text, template, params, status, message_id, error, parts, created_at, updated_at
			FROM ` + p + `sms_log WHERE id = ?`,
		setSMSStatus: `UPDATE ` + p + `sms_log SET status = ?, updated_at = ? WHERE id = ?`,

		enqueue: `INSERT INTO ` + p + `sms_outbox (receiver, text, template, params, secret, status, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING id`,
		claim: `UPDATE ` + p + `sms_outbox SET status = 'sending', claimed_by = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (SELECT id FROM ` + p + `sms_outbox
				WHERE (status = 'queued' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until < ?)
				ORDER BY id LIMIT ?` + lock + `)
			RETURNING ` + outboxColumns,
		renew: `UPDATE ` + p + `sms_outbox SET lease_until = ?, updated_at = ?
			WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
		finish: `UPDATE ` + p + `sms_outbox SET status = ?, next_attempt_at = ?, provider = ?, message_id = ?, last_error = ?,
				claimed_by = '', lease_until = NULL, updated_at = ?,
				text = CASE WHEN secret AND ? THEN '' ELSE text END, params = CASE WHEN secret AND ? THEN '' ELSE params END
			WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
		finishUntried: `UPDATE ` + p + `sms_outbox SET status = 'queued', next_attempt_at = ?, attempts = attempts - 1,
				claimed_by = '', lease_until = NULL, updated_at = ?
			WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
		getItem: `SELECT ` + outboxColumns + ` FROM ` + p + `sms_outbox WHERE id = ?`,

		hit: `INSERT INTO ` + p + `rate_limits (key, window_start, hits) VALUES (?, ?, 1)
			ON CONFLICT (key, window_start) DO UPDATE SET hits = ` + p + `rate_limits.hits + 1
			RETURNING hits`,
		sweepHits: `DELETE FROM ` + p + `rate_limits WHERE window_start < ?`,
	}
}

func encodeParams(params []string) string {
	if len(params) == 0 {
		return ""
	}
	b, _ := json.Marshal(params) // a []string always encodes
	return string(b)
}

func decodeParams(s string) []string {
	if s == "" {
		return nil
	}
	var p []string
	_ = json.Unmarshal([]byte(s), &p) // written by encodeParams
	return p
}

type smsRow struct {
	ID        int64
	Provider  string
	Receiver  string
	Text      string
	Template  string
	Params    string
	Status    string
	MessageID string
	Error     string
	Parts     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AddSMS implements sms.LogStore.
func (s *Store) AddSMS(ctx context.Context, r sms.LogRecord) (int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(s.sq.addSMS, r.Provider, r.To, r.Text, r.Template, encodeParams(r.Params), r.Status,
		r.MessageID, r.Error, r.Parts, utc(r.CreatedAt), utc(r.UpdatedAt)).Scan(&ids).Error
	if err != nil {
		return 0, fmt.Errorf("store: add SMS: %w", err)
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("store: add SMS: %d ids returned", len(ids))
	}
	return ids[0], nil
}

// SMSRecord implements sms.LogStore.
func (s *Store) SMSRecord(ctx context.Context, id int64) (sms.LogRecord, bool, error) {
	var rows []smsRow
	if err := s.db.WithContext(ctx).Raw(s.sq.getSMS, id).Scan(&rows).Error; err != nil {
		return sms.LogRecord{}, false, fmt.Errorf("store: SMS record: %w", err)
	}
	if len(rows) == 0 {
		return sms.LogRecord{}, false, nil
	}
	r := rows[0]
	return sms.LogRecord{
		ID: r.ID, Provider: r.Provider, To: r.Receiver, Text: r.Text, Template: r.Template, Params: decodeParams(r.Params),
		Status: r.Status, MessageID: r.MessageID, Error: r.Error, Parts: r.Parts,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, true, nil
}

// SetSMSStatus implements sms.LogStore.
func (s *Store) SetSMSStatus(ctx context.Context, id int64, status string, at time.Time) error {
	if err := s.db.WithContext(ctx).Exec(s.sq.setSMSStatus, status, utc(at), id).Error; err != nil {
		return fmt.Errorf("store: set SMS status: %w", err)
	}
	return nil
}

type outboxRow struct {
	ID        int64
	Receiver  string
	Text      string
	Template  string
	Params    string
	Secret    bool
	Status    string
	Attempts  int
	Provider  string
	MessageID string
	LastError string
}

func (r outboxRow) item() outbox.Item {
	return outbox.Item{
		ID:       r.ID,
		Message:  sms.Message{To: r.Receiver, Text: r.Text, Template: r.Template, Params: decodeParams(r.Params), Secret: r.Secret},
		Status:   outbox.Status(r.Status),
		Attempts: r.Attempts, Provider: r.Provider, MessageID: r.MessageID, Error: r.LastError,
	}
}

// EnqueueSMS implements outbox.Store.
func (s *Store) EnqueueSMS(ctx context.Context, m sms.Message, at time.Time) (int64, error) {
	t := utc(at)
	var ids []int64
	err := s.db.WithContext(ctx).Raw(s.sq.enqueue, m.To, m.Text, m.Template, encodeParams(m.Params), m.Secret, t, t, t).Scan(&ids).Error
	if err != nil {
		return 0, fmt.Errorf("store: enqueue SMS: %w", err)
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("store: enqueue SMS: %d ids returned", len(ids))
	}
	return ids[0], nil
}

// ClaimSMS implements outbox.Store.
func (s *Store) ClaimSMS(ctx context.Context, worker string, limit int, now, leaseUntil time.Time) ([]outbox.Item, error) {
	n := utc(now)
	var rows []outboxRow
	err := s.db.WithContext(ctx).Raw(s.sq.claim, worker, utc(leaseUntil), n, n, n, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: claim SMS: %w", err)
	}
	items := make([]outbox.Item, len(rows))
	for i, r := range rows {
		items[i] = r.item()
	}
	// RETURNING gives no order; claims go oldest first.
	sortItems(items)
	return items, nil
}

func sortItems(items []outbox.Item) {
	slices.SortFunc(items, func(a, b outbox.Item) int { return cmp.Compare(a.ID, b.ID) })
}

// RenewSMS implements outbox.Store.
func (s *Store) RenewSMS(ctx context.Context, id int64, worker string, leaseUntil time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(s.sq.renew, utc(leaseUntil), utc(time.Now()), id, worker)
	if res.Error != nil {
		return false, fmt.Errorf("store: renew SMS claim: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishSMS implements outbox.Store. The text and parameters of a Secret
// message are cleared once it is sent, failed or abandoned.
func (s *Store) FinishSMS(ctx context.Context, id int64, worker string, o outbox.Outcome, at time.Time) error {
	t := utc(at)
	db := s.db.WithContext(ctx)
	var err error
	if o.Untried {
		err = db.Exec(s.sq.finishUntried, utc(o.NextAttempt), t, id, worker).Error
	} else {
		done := o.Status != outbox.Queued
		next := o.NextAttempt
		if next.IsZero() {
			next = at
		}
		err = db.Exec(s.sq.finish, string(o.Status), utc(next), o.Provider, o.MessageID, o.Error, t, done, done, id, worker).Error
	}
	if err != nil {
		return fmt.Errorf("store: finish SMS: %w", err)
	}
	return nil
}

// OutboxItem implements outbox.Store.
func (s *Store) OutboxItem(ctx context.Context, id int64) (outbox.Item, bool, error) {
	var rows []outboxRow
	if err := s.db.WithContext(ctx).Raw(s.sq.getItem, id).Scan(&rows).Error; err != nil {
		return outbox.Item{}, false, fmt.Errorf("store: outbox item: %w", err)
	}
	if len(rows) == 0 {
		return outbox.Item{}, false, nil
	}
	return rows[0].item(), true, nil
}

// sweepEvery is how many hits pass between sweeps of old rate-limit rows.
const sweepEvery = 1000

// Hit counts one event against key in the current fixed window of the
// given length and reports whether it is within limit, and, when it is
// not, how long until the window ends. The count lives in the database,
// so the limit holds across every server instance. Windows older than a
// week are swept now and then.
func (s *Store) Hit(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := time.Now().UTC()
	start := now.Truncate(window)
	var hits []int
	if err := s.db.WithContext(ctx).Raw(s.sq.hit, key, utc(start)).Scan(&hits).Error; err != nil {
		return false, 0, fmt.Errorf("store: rate limit: %w", err)
	}
	if len(hits) != 1 {
		return false, 0, fmt.Errorf("store: rate limit: %d counts returned", len(hits))
	}
	if s.hits.Add(1)%sweepEvery == 0 {
		if err := s.db.WithContext(ctx).Exec(s.sq.sweepHits, utc(now.Add(-7*24*time.Hour))).Error; err != nil {
			return false, 0, fmt.Errorf("store: rate limit sweep: %w", err)
		}
	}
	if hits[0] > limit {
		return false, start.Add(window).Sub(now), nil
	}
	return true, 0, nil
}
