package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Status words of the SMS log besides the delivery states of [Delivery]
// ("pending", "sent", "delivered", "undelivered", "failed", "unknown").
const (
	// LogAccepted: the provider accepted the message; no delivery report
	// has been read yet.
	LogAccepted = "accepted"
	// LogFailed: the provider refused the message or could not be reached.
	LogFailed = "failed"
)

// LogRecord is one send as the SMS log keeps it.
type LogRecord struct {
	ID       int64
	Provider string
	To       string // canonical 09XXXXXXXXX when it parses; as given otherwise
	// Text, Template and Params are the message's; Text and Params are
	// empty for a Secret message.
	Text     string
	Template string
	Params   []string
	// Status is LogAccepted or LogFailed after the send, and a delivery
	// state (Delivery.String) once a report has been read.
	Status    string
	MessageID string
	// Error is the send's error text (credentials are never in it).
	Error     string
	Parts     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LogStore keeps the SMS log; *store.Store is one. Implementations must
// be safe for concurrent use.
type LogStore interface {
	// AddSMS stores a record and returns its id.
	AddSMS(ctx context.Context, r LogRecord) (int64, error)
	// SMSRecord returns the record with id; found is false when there is
	// none.
	SMSRecord(ctx context.Context, id int64) (r LogRecord, found bool, err error)
	// SetSMSStatus sets a record's status and updated time.
	SetSMSStatus(ctx context.Context, id int64, status string, at time.Time) error
}

// WithLog returns a Sender that passes each message to s and then records
// it in the log: provider, receiver, text or template and parameters
// (neither text nor parameters of a Secret message), status, the
// provider's message id, the error, and the part count. The receipt's
// LogID is the record's id. A failure to write the log does not undo a
// send: it is reported to logger (nil discards) and the send's own result
// is returned.
func WithLog(s Sender, store LogStore, logger *slog.Logger) Sender {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return SenderFunc(func(ctx context.Context, m Message) (Receipt, error) {
		r, err := s.Send(ctx, m)
		rec := LogRecord{Provider: r.Provider, To: m.To, Template: m.Template, Parts: r.Parts, MessageID: r.MessageID, Status: LogAccepted}
		if mob, perr := ParseMobile(m.To); perr == nil {
			rec.To = mob.String()
		}
		if !m.Secret {
			rec.Text, rec.Params = m.Text, m.Params
		}
		if err != nil {
			rec.Status, rec.Error = LogFailed, err.Error()
			var pe *ProviderError
			if errors.As(err, &pe) {
				rec.Provider = pe.Provider
			}
		}
		if rec.Parts == 0 && err == nil {
			rec.Parts = 1
		}
		now := time.Now().UTC()
		rec.CreatedAt, rec.UpdatedAt = now, now
		id, lerr := store.AddSMS(context.WithoutCancel(ctx), rec)
		if lerr != nil {
			logger.ErrorContext(ctx, "sms: write the SMS log", "to", Mobile(rec.To), "provider", rec.Provider, "err", lerr)
		}
		r.LogID = id
		return r, err
	})
}

// RefreshStatus reads the delivery report of a logged message from its
// provider and stores it as the record's status. checker is the client of
// the provider the record names.
func RefreshStatus(ctx context.Context, store LogStore, checker StatusChecker, id int64) (LogRecord, error) {
	rec, found, err := store.SMSRecord(ctx, id)
	switch {
	case err != nil:
		return LogRecord{}, fmt.Errorf("sms: refresh status: %w", err)
	case !found:
		return LogRecord{}, fmt.Errorf("sms: refresh status: no SMS log record %d", id)
	case rec.MessageID == "":
		return rec, fmt.Errorf("sms: refresh status: record %d has no provider message id", id)
	}
	st, err := checker.Status(ctx, rec.MessageID)
	if err != nil {
		return rec, fmt.Errorf("sms: refresh status: %w", err)
	}
	now := time.Now().UTC()
	if err := store.SetSMSStatus(ctx, id, st.Delivery.String(), now); err != nil {
		return rec, fmt.Errorf("sms: refresh status: %w", err)
	}
	rec.Status, rec.UpdatedAt = st.Delivery.String(), now
	return rec, nil
}
