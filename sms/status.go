package sms

import (
	"context"
	"time"
)

// Delivery is what a provider's delivery report says of a message.
type Delivery int

// Delivery states, from the providers' reports mapped onto one scale.
const (
	// DeliveryUnknown: the provider has no report (yet), or gave a code
	// this package does not know.
	DeliveryUnknown Delivery = iota
	// DeliveryPending: queued or scheduled at the provider.
	DeliveryPending
	// DeliverySent: handed to the telecom operator.
	DeliverySent
	// DeliveryDelivered: delivered to the handset.
	DeliveryDelivered
	// DeliveryUndelivered: the operator could not deliver it (phone off,
	// out of reach).
	DeliveryUndelivered
	// DeliveryFailed: refused by the line, the operator, a filter or a
	// blacklist, or cancelled.
	DeliveryFailed
)

var deliveryNames = [...]string{"unknown", "pending", "sent", "delivered", "undelivered", "failed"}

// String returns "unknown", "pending", "sent", "delivered", "undelivered"
// or "failed".
func (d Delivery) String() string {
	if d < 0 || int(d) >= len(deliveryNames) {
		return "unknown"
	}
	return deliveryNames[d]
}

// Final reports whether the state will not change any more.
func (d Delivery) Final() bool {
	return d == DeliveryDelivered || d == DeliveryUndelivered || d == DeliveryFailed
}

// Status is a delivery report for one message.
type Status struct {
	MessageID string
	Delivery  Delivery
	// Code is the provider's own status code, as text.
	Code string
	// At is when the provider reached that state, when it says; zero
	// otherwise.
	At time.Time
}

// StatusChecker is implemented by provider clients that can fetch a
// delivery report for a message id of theirs.
type StatusChecker interface {
	Status(ctx context.Context, messageID string) (Status, error)
}

// CreditChecker is implemented by provider clients that can tell the
// account's remaining credit, in the provider's own unit (rials for most).
type CreditChecker interface {
	Credit(ctx context.Context) (float64, error)
}
